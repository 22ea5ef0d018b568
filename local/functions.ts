/**
 * The project's real handlers, wired for the local run: the same factories the Lambda
 * entry points use, with the local environment passed in and their JSON logs and EMF
 * metrics sent to the local log instead of stdout (which the live display owns).
 */
import './esm-interop'; // before the handlers: their @middy/core is ESM-only
import type { Context } from 'aws-lambda';
import { createHandler as createForwarder } from '../forwarder/index';
import { createDefaultDeps, createHandler as createReconciler, type HandlerDeps } from '../reconciler/index';
import { createBackfillAwsDeps, createHandler as createSnapshot } from '../snapshot/index';
import { loadBackfillConfig } from '../src/config/backfill';
import { loadObservabilityConfig } from '../src/config/observability';
import { createLogger } from '../src/observability/logger';
import { createMetrics } from '../src/observability/metrics';
import type { LocalFunction } from './poller';

/** The forwarder handler (forwarder/index.ts createHandler) with the given environment. */
export function createForwarderHandler(env: Readonly<Record<string, string>>, write: (line: string) => void): LocalFunction {
  const observed = loadObservabilityConfig(env, 'forwarder');
  const handler = createForwarder({
    env,
    logger: createLogger({ service: observed.serviceName, level: observed.logLevel, write }),
    metrics: createMetrics({ service: observed.serviceName, namespace: observed.metricsNamespace, write }),
  });
  return (event, context) => handler(event as never, context) as Promise<unknown>;
}

/**
 * The reconciler handler (reconciler/index.ts createHandler) with the dependencies its
 * createDefaultDeps builds, except that logs and metrics go to `write`.
 */
export function createLocalReconcilerHandler(env: Readonly<Record<string, string>>, write: (line: string) => void): LocalFunction {
  const observed = loadObservabilityConfig(env, 'reconciler');
  const deps = (): HandlerDeps =>
    createDefaultDeps(env, {
      logger: createLogger({ service: observed.serviceName, level: observed.logLevel, write }),
      metrics: createMetrics({ service: observed.serviceName, namespace: observed.metricsNamespace, write }),
    });
  const handler = createReconciler(deps);
  return (event, context: Context) => handler(event, context) as Promise<unknown>;
}

/**
 * The snapshot function's handler (snapshot/index.ts createHandler) with the dependencies
 * its entry point builds, except that logs and metrics go to `write`. Its continuations
 * go through the Lambda API (the local front) to `functionName`, as in AWS, where Lambda
 * sets AWS_LAMBDA_FUNCTION_NAME to the function's own name.
 */
export function createLocalSnapshotHandler(env: Readonly<Record<string, string>>, write: (line: string) => void, functionName: string): LocalFunction {
  const observed = loadObservabilityConfig(env, 'snapshot');
  const handler = createSnapshot(() =>
    createBackfillAwsDeps(loadBackfillConfig({ ...env, AWS_LAMBDA_FUNCTION_NAME: functionName }), {
      logger: createLogger({ service: observed.serviceName, level: observed.logLevel, write }),
      metrics: createMetrics({ service: observed.serviceName, namespace: observed.metricsNamespace, write }),
    }),
  );
  return (event, context: Context) => handler(event, context) as Promise<unknown>;
}
