/**
 * The backfill module's public face (issue 6).
 * - The reconciler handler routes `{"action":"backfill", ...}` to handleBackfillInvocation
 *   and gives its operator createBackfillStarter(deps) as the BackfillStarter.
 * - The CLI uses createBackfillStarter(deps).start / getBackfillStatus.
 * - createBackfillAwsDeps(config, overrides) wires the AWS adapters; the local run passes
 *   its own `invoker` (moto runs no Lambda functions) to continue runs in-process.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { randomUUID } from 'node:crypto';
import { createDynamoDbClient, createKinesisClient, createLambdaClient } from '../../src/aws/clients';
import type { BackfillConfig } from '../../src/config/backfill';
import { ConfigurationError, DmsEventBusError, MalformedInputError } from '../../src/errors';
import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { createKinesisPort, createPublisher } from '../../src/publisher';
import type { BackfillDeps, BackfillInvocation, BackfillInvoker } from './deps';
import { translateAwsError } from './errors';
import { runBackfillInvocation, type RunResult } from './runner';
import { createSnapshotPublisher } from './snapshot-publisher';
import { createDynamoDbSourceTable } from './source-table';
import { createBackfillStarter, type BackfillStartResult } from './starter';
import { createDynamoDbStateStore } from './state-store';

export { BACKFILL_METRICS, type BackfillDeps, type BackfillInvocation, type BackfillInvoker, type BackfillSettings } from './deps';
export { LEASE_GRACE_MS, RUN_OUTCOME, runBackfillInvocation, type RunContext, type RunOutcome, type RunResult } from './runner';
export {
  createBackfillStarter,
  getBackfillStatus,
  toRunSummary,
  toStatusView,
  type BackfillController,
  type BackfillStarter,
  type BackfillStartRequest,
  type BackfillStartResult,
  type BackfillStatusView,
} from './starter';
export { STATE_SORT_KEY, STATE_TABLE_KEY, type BackfillRunSummary, type BackfillStateStore, type RunSummaryPage } from './state-store';
export { BACKFILL_STATUS, SEGMENT_STATUS, type BackfillState, type SegmentState } from './checkpoint';

/** The parts of a Lambda context the backfill uses. */
export interface BackfillLambdaContext {
  readonly awsRequestId: string;
  getRemainingTimeInMillis(): number;
}

/** What a backfill invocation returns: the run's progress, or the start decision of a manual one. */
export type BackfillInvocationResponse =
  | ({ readonly action: 'backfill'; readonly kind: 'run' } & RunResult)
  | { readonly action: 'backfill'; readonly kind: 'start'; readonly tableName: string; readonly result: BackfillStartResult };

/** Validates a `{"action":"backfill", ...}` payload. */
export function parseBackfillInvocation(event: unknown): BackfillInvocation {
  if (typeof event !== 'object' || event === null) throw new MalformedInputError('backfill invocation must be a JSON object');
  const record = event as Record<string, unknown>;
  if (record.action !== 'backfill') throw new MalformedInputError(`backfill invocation needs "action":"backfill", got ${JSON.stringify(record.action)}`);
  if (typeof record.tableName !== 'string' || record.tableName.length === 0) {
    throw new MalformedInputError('backfill invocation needs a non-empty string "tableName"');
  }
  if (record.runId !== undefined && (typeof record.runId !== 'string' || record.runId.length === 0)) {
    throw new MalformedInputError('backfill invocation "runId" must be a non-empty string when present');
  }
  if (record.force !== undefined && typeof record.force !== 'boolean') throw new MalformedInputError('backfill invocation "force" must be a boolean');
  return {
    action: 'backfill',
    tableName: record.tableName,
    ...(record.runId === undefined ? {} : { runId: record.runId as string }),
    ...(record.force === undefined ? {} : { force: record.force as boolean }),
  };
}

/**
 * Handles a direct invocation `{"action":"backfill","tableName":...,"runId"?:...,"force"?:...}`.
 * With a runId it continues that run; without one it starts (or resumes) a backfill of the
 * table's current stream, like `dms-event-bus backfill <table>`.
 */
export async function handleBackfillInvocation(
  event: unknown,
  context: BackfillLambdaContext,
  deps: BackfillDeps,
): Promise<BackfillInvocationResponse> {
  const invocation = parseBackfillInvocation(event);
  try {
    if (invocation.runId !== undefined) {
      const result = await runBackfillInvocation(
        { tableName: invocation.tableName, runId: invocation.runId },
        { invocationId: context.awsRequestId, getRemainingTimeInMillis: () => context.getRemainingTimeInMillis() },
        deps,
      );
      return { action: 'backfill', kind: 'run', ...result };
    }
    const table = await deps.source.describe(invocation.tableName);
    if (table.latestStreamArn === undefined) {
      throw new DmsEventBusError(`table ${invocation.tableName} has no stream yet; the reconciler must enable it (and attach the forwarder) before a backfill`);
    }
    const result = await createBackfillStarter(deps).start({
      tableName: invocation.tableName,
      tableArn: table.tableArn,
      streamArn: table.latestStreamArn,
      reason: 'manual',
      ...(invocation.force === undefined ? {} : { force: invocation.force }),
    });
    return { action: 'backfill', kind: 'start', tableName: invocation.tableName, result };
  } finally {
    deps.metrics.flush();
  }
}

/** Continues a backfill with an asynchronous (InvocationType Event) invocation of `functionName`. */
export function createLambdaInvoker(client: LambdaClient, functionName: string): BackfillInvoker {
  return {
    async invoke(payload) {
      try {
        await client.send(
          new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: new TextEncoder().encode(JSON.stringify(payload)) }),
        );
      } catch (error) {
        throw translateAwsError(error, `invoking ${functionName} to continue the backfill of ${payload.tableName}`);
      }
    },
  };
}

/**
 * The backfill's dependencies on AWS, built once per container (no client at module scope).
 * `overrides` replaces any part: the reconciler passes its logger and metrics, the local
 * run an in-process invoker.
 */
export function createBackfillAwsDeps(config: BackfillConfig, overrides: Partial<BackfillDeps> = {}): BackfillDeps {
  const dynamodb = createDynamoDbClient();
  let invoker = overrides.invoker;
  if (invoker === undefined) {
    if (config.functionName === undefined) {
      throw new ConfigurationError('RECONCILER_FUNCTION_NAME (or AWS_LAMBDA_FUNCTION_NAME) is required to continue backfills');
    }
    invoker = createLambdaInvoker(createLambdaClient(), config.functionName);
  }
  const publisher =
    overrides.publisher ??
    createSnapshotPublisher(
      createPublisher({
        port: createKinesisPort({ client: createKinesisClient(), streamName: config.kinesisStreamName }),
        limits: { maxRecordBytes: config.maxRecordSizeBytes },
      }),
    );
  return {
    settings: {
      segments: config.segments,
      pageLimit: config.pageLimit,
      readCapacityFraction: config.readCapacityFraction,
      onDemandMaxRcu: config.onDemandMaxRcu,
      stopMarginMs: config.stopMarginMs,
      maxSegmentAttempts: config.maxSegmentAttempts,
      maxRecordSizeBytes: config.maxRecordSizeBytes,
      staleAfterMs: config.staleAfterMs,
    },
    store: createDynamoDbStateStore(dynamodb, config.stateTable),
    source: createDynamoDbSourceTable(dynamodb),
    region: config.region,
    logger: createLogger({ service: 'reconciler', fields: { component: 'backfill' } }),
    metrics: createMetrics({ service: 'reconciler' }),
    clock: { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
    random: Math.random,
    newRunId: () => randomUUID(),
    ...overrides,
    invoker,
    publisher,
  };
}
