/**
 * The middy middleware every function handler uses for logs and metrics: before the
 * handler, the Lambda context goes into every log line and the cold start is counted; after
 * it (or when it throws), the invocation's metrics are written. The same job as Powertools'
 * `injectLambdaContext` and `logMetrics` middlewares, for the project's Logger and Metrics
 * (which wrap Powertools' classes) and for dependencies wired lazily on the first invocation.
 *
 * @see https://docs.powertools.aws.dev/lambda/typescript/latest/core/logger/#capturing-lambda-context-info
 * @see https://docs.powertools.aws.dev/lambda/typescript/latest/core/metrics/#capturing-a-cold-start-invocation-as-metric
 */
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { Logger } from './logger';
import type { Metrics } from './metrics';

/** What the middleware needs; called once per invocation (it may wire dependencies on first use). */
export type Observed = () => { readonly logger?: Logger; readonly metrics?: Metrics } | undefined;

/**
 * Adds the Lambda context to the logs and counts the cold start before, flushes metrics after.
 * `observed` is called once per invocation, before the handler; a failure there (e.g. bad
 * configuration) fails the invocation and nothing is flushed.
 */
export function observability<TEvent = unknown, TResult = unknown>(observed: Observed): MiddlewareObj<TEvent, TResult, Error, Context> {
  const seen = new WeakMap<object, ReturnType<Observed>>();
  const flush = (request: object) => seen.get(request)?.metrics?.flush();
  return {
    before: (request) => {
      const deps = observed();
      seen.set(request, deps);
      deps?.logger?.addContext?.(request.context);
      deps?.metrics?.captureColdStart?.(request.context);
    },
    after: flush,
    onError: flush,
  };
}
