/**
 * The snapshot function: runs backfills. A backfill is the Scan of the rows a table held
 * before its stream existed, published to Kinesis as `snapshot` change events.
 * - The reconciler starts a run (writes it to the state table) and invokes this function
 *   asynchronously with `{"action":"backfill","tableName":...,"runId":...}`.
 * - An invocation works until shortly before its deadline, checkpoints in the state table
 *   and invokes itself again to continue (runner.ts); the reconciler observes the run
 *   through the state table only.
 * - createBackfillAwsDeps(config, overrides) wires the AWS adapters; the local run passes
 *   its own logger and metrics.
 */
import middy from '@middy/core';
import { createDynamoDbClient, createKinesisClient, createLambdaClient } from '../src/aws/clients';
import { createLambdaInvoker, parseBackfillInvocation } from '../src/backfill-state/invocation';
import { createRunnerStore } from '../src/backfill-state/dynamodb-segments';
import { loadBackfillConfig, type BackfillConfig } from '../src/config/backfill';
import { loadOriginOptions } from '../src/config/origin';
import { compileOriginOptions } from '../src/change-event';
import { ConfigurationError, describeError, MalformedInputError } from '../src/errors';
import { loadObservabilityConfig } from '../src/config/observability';
import { createLogger } from '../src/observability/logger';
import { createMetrics } from '../src/observability/metrics';
import { observability } from '../src/observability/middleware';
import { createKinesisPort, createPublisher } from '../src/publisher';
import type { BackfillDeps } from './deps';
import { runBackfillInvocation, type RunResult } from './runner';
import { createSnapshotPublisher } from './snapshot-publisher';
import { createDynamoDbSourceTable } from './source-table';

export { BACKFILL_METRICS, type BackfillDeps } from './deps';
export { LEASE_GRACE_MS, RUN_OUTCOME, runBackfillInvocation, type RunContext, type RunOutcome, type RunResult } from './runner';

/** The parts of a Lambda context the backfill uses. */
export interface BackfillLambdaContext {
  readonly awsRequestId: string;
  getRemainingTimeInMillis(): number;
}

/** What an invocation returns: the run's progress, or why the payload was refused. */
export type SnapshotResponse =
  | ({ readonly action: 'backfill'; readonly kind: 'run' } & RunResult)
  | { readonly status: 'malformed'; readonly error: string };

/**
 * Runs (or continues) the run named by `{"action":"backfill","tableName":...,"runId":...}`.
 * Throws MalformedInputError for any other payload: starting a run is the reconciler's job.
 */
export async function handleBackfillInvocation(event: unknown, context: BackfillLambdaContext, deps: BackfillDeps): Promise<RunResult> {
  const invocation = parseBackfillInvocation(event);
  if (invocation.runId === undefined) {
    throw new MalformedInputError(
      'the snapshot function continues started runs and needs a "runId"; start a backfill through the reconciler (dms-event-bus backfill <table>)',
    );
  }
  return runBackfillInvocation(
    { tableName: invocation.tableName, runId: invocation.runId },
    { invocationId: context.awsRequestId, getRemainingTimeInMillis: () => context.getRemainingTimeInMillis() },
    deps,
  );
}

/**
 * The snapshot function's dependencies on AWS, built once per container (no client at
 * module scope). It continues its runs by invoking itself (AWS_LAMBDA_FUNCTION_NAME).
 * `overrides` replaces any part.
 */
export function createBackfillAwsDeps(config: BackfillConfig, overrides: Partial<BackfillDeps> = {}): BackfillDeps {
  let invoker = overrides.invoker;
  if (invoker === undefined) {
    if (config.lambdaFunctionName === undefined) throw new ConfigurationError('AWS_LAMBDA_FUNCTION_NAME is required to continue backfills (Lambda sets it)');
    invoker = createLambdaInvoker(createLambdaClient(), config.lambdaFunctionName);
  }
  const publisher =
    overrides.publisher ??
    createSnapshotPublisher(
      createPublisher({
        port: createKinesisPort({ client: createKinesisClient(), streamName: config.kinesisStreamName }),
        limits: { maxRecordBytes: config.maxRecordSizeBytes },
      }),
    );
  const dynamodb = createDynamoDbClient();
  return {
    settings: {
      pageLimit: config.pageLimit,
      readCapacityFraction: config.readCapacityFraction,
      onDemandMaxRcu: config.onDemandMaxRcu,
      stopMarginMs: config.stopMarginMs,
      maxSegmentAttempts: config.maxSegmentAttempts,
      maxRecordSizeBytes: config.maxRecordSizeBytes,
    },
    store: createRunnerStore(dynamodb, config.stateTable),
    source: createDynamoDbSourceTable(dynamodb),
    region: config.region,
    logger: createLogger({ service: 'snapshot' }),
    metrics: createMetrics({ service: 'snapshot' }),
    clock: { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
    random: Math.random,
    ...overrides,
    invoker,
    publisher,
  };
}

/**
 * Builds the Lambda handler. `deps` is a factory called once per container on first use.
 * A malformed payload is logged once and answered (retrying cannot fix it); any other
 * error is thrown, so Lambda's asynchronous retry runs the invocation again (the run
 * resumes from its checkpoints).
 */
export function createHandler(deps: BackfillDeps | (() => BackfillDeps)) {
  let resolved: BackfillDeps | undefined;
  const get = () => (resolved ??= typeof deps === 'function' ? deps() : deps);
  const base = async (event: unknown, context: BackfillLambdaContext): Promise<SnapshotResponse> => {
    try {
      parseBackfillInvocation(event); // bad input is reported as such, before any configuration is read
      return { action: 'backfill', kind: 'run', ...(await handleBackfillInvocation(event, context, get())) };
    } catch (error) {
      if (!(error instanceof MalformedInputError)) throw error;
      get().logger.error('malformed backfill invocation', { error: describeError(error), event });
      get().metrics.add('MalformedEvents');
      return { status: 'malformed', error: error.message };
    }
  };
  // Lambda context in every log line, the cold start counted, and metrics as one EMF line per
  // invocation, also when the handler throws.
  return middy(base).use(observability(get));
}

export const handler = createHandler(() => {
  const observed = loadObservabilityConfig(process.env, 'snapshot');
  return createBackfillAwsDeps(loadBackfillConfig(process.env), {
    logger: createLogger({ service: observed.serviceName, level: observed.logLevel }),
    metrics: createMetrics({ service: observed.serviceName, namespace: observed.metricsNamespace }),
    // The same header attributes as the forwarder's, so snapshot and stream events carry one origin.
    origin: compileOriginOptions(loadOriginOptions(process.env)),
  });
});
