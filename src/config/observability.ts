/**
 * Logging and metrics settings every function reads, under Powertools for AWS Lambda's
 * standard variable names (so a Lambda team configures them as it would any Powertools
 * function). Lambda's advanced logging controls (AWS_LAMBDA_LOG_LEVEL), when set, still
 * take precedence over the log level: Powertools applies them.
 *
 * @see https://docs.powertools.aws.dev/lambda/typescript/latest/environment-variables/
 */
import { parseLogLevel, type LogLevel } from '../observability/logger';
import { METRICS_NAMESPACE } from '../observability/metrics';
import { readOptionalString, type Env } from './env';

/** The variables read here (the template check compares each function's declared environment against them). */
export const OBSERVABILITY_ENV = ['POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_METRICS_NAMESPACE', 'POWERTOOLS_LOG_LEVEL'] as const;

/** Where and how a function logs and emits metrics. */
export interface ObservabilityConfig {
  /** The `service` field of log lines and the `service` dimension of metrics (the dashboard reads it). */
  readonly serviceName: string;
  /** CloudWatch namespace of the EMF metrics. */
  readonly metricsNamespace: string;
  readonly logLevel: LogLevel;
}

/** Reads the settings; `defaultService` is the function's name in the dashboard and alarms. */
export function loadObservabilityConfig(env: Env, defaultService: string): ObservabilityConfig {
  return {
    serviceName: readOptionalString(env, 'POWERTOOLS_SERVICE_NAME') ?? defaultService,
    metricsNamespace: readOptionalString(env, 'POWERTOOLS_METRICS_NAMESPACE') ?? METRICS_NAMESPACE,
    logLevel: parseLogLevel(readOptionalString(env, 'POWERTOOLS_LOG_LEVEL')),
  };
}
