/**
 * Configuration of the teardown function (the stack's custom resource), read from the
 * environment. What to release comes with each request (its ResourceProperties); the
 * environment only says where to announce (logging and metrics: src/config/observability.ts).
 */
import { readString, type Env } from './env';

/** Names of every environment variable {@link loadTeardownConfig} reads. */
export const TEARDOWN_ENV = ['EVENT_BUS_NAME'] as const;

export interface TeardownConfig {
  eventBusName: string;
  /** The function's own name (Lambda sets AWS_LAMBDA_FUNCTION_NAME): continuations invoke it. */
  functionName: string;
}

export function loadTeardownConfig(env: Env): TeardownConfig {
  return {
    eventBusName: readString(env, 'EVENT_BUS_NAME', 'default'),
    functionName: readString(env, 'AWS_LAMBDA_FUNCTION_NAME'),
  };
}
