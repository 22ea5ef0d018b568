/**
 * The reconciler's side of the backfill: it starts runs and observes them, the snapshot
 * function runs them (scans and publishes).
 * - The operator gets createBackfillStarter(deps) as its BackfillStarter.
 * - A direct invocation `{"action":"backfill","tableName":...,"force"?:...}` (the CLI's
 *   `backfill --invoke`) starts or resumes a run of the table's current stream.
 * - A payload with a `runId` (a continuation sent to this function by an earlier version of
 *   the stack) is handed on to the snapshot function unchanged.
 */
import { randomUUID } from 'node:crypto';
import { createDynamoDbClient, createLambdaClient } from '../../src/aws/clients';
import { createLambdaInvoker, parseBackfillInvocation } from '../../src/backfill-state/invocation';
import { createStarterStore } from '../../src/backfill-state/dynamodb-runs';
import type { BackfillStarterConfig } from '../../src/config/backfill-starter';
import { ConfigurationError, DmsEventBusError } from '../../src/errors';
import { createLogger } from '../../src/observability/logger';
import { createDynamoDbTablePort } from '../adapters/dynamodb';
import type { TablePort } from '../ports';
import { createBackfillStarter, type BackfillStartResult, type StarterDeps } from './starter';

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
  type StarterDeps,
} from './starter';

/** What the reconciler's backfill route needs: the starter's ports and DescribeTable. */
export interface ReconcilerBackfillDeps extends StarterDeps {
  readonly tables: Pick<TablePort, 'describeTable'>;
}

/** What a backfill request to the reconciler returns. */
export type BackfillRequestResponse =
  | { readonly action: 'backfill'; readonly kind: 'start'; readonly tableName: string; readonly result: BackfillStartResult }
  | { readonly action: 'backfill'; readonly kind: 'handed-over'; readonly tableName: string; readonly runId: string };

/** Handles `{"action":"backfill", ...}` sent to the reconciler (see the module comment). */
export async function handleBackfillRequest(event: unknown, deps: ReconcilerBackfillDeps): Promise<BackfillRequestResponse> {
  const request = parseBackfillInvocation(event);
  if (request.runId !== undefined) {
    await deps.invoker.invoke({ action: 'backfill', tableName: request.tableName, runId: request.runId });
    return { action: 'backfill', kind: 'handed-over', tableName: request.tableName, runId: request.runId };
  }
  const table = await deps.tables.describeTable(request.tableName);
  if (table === null) throw new DmsEventBusError(`table ${request.tableName} not found`);
  if (!table.stream.enabled || table.stream.latestArn === undefined) {
    throw new DmsEventBusError(`table ${request.tableName} has no stream yet; the reconciler must enable it (and attach the forwarder) before a backfill`);
  }
  const result = await createBackfillStarter(deps).start({
    tableName: request.tableName,
    tableArn: table.arn,
    streamArn: table.stream.latestArn,
    reason: 'manual',
    ...(request.force === undefined ? {} : { force: request.force }),
  });
  return { action: 'backfill', kind: 'start', tableName: request.tableName, result };
}

/**
 * The reconciler's backfill dependencies on AWS (no client at module scope): the state
 * table, and an invoker of SNAPSHOT_FUNCTION_NAME. `overrides` replaces any part.
 */
export function createReconcilerBackfillDeps(config: BackfillStarterConfig, overrides: Partial<ReconcilerBackfillDeps> = {}): ReconcilerBackfillDeps {
  let invoker = overrides.invoker;
  if (invoker === undefined) {
    if (config.snapshotFunctionName === undefined) throw new ConfigurationError('SNAPSHOT_FUNCTION_NAME is required to start backfills');
    invoker = createLambdaInvoker(createLambdaClient(), config.snapshotFunctionName);
  }
  const dynamodb = createDynamoDbClient();
  return {
    settings: { segments: config.segments, staleAfterMs: config.staleAfterMs },
    store: createStarterStore(dynamodb, config.stateTable),
    tables: createDynamoDbTablePort(dynamodb),
    logger: createLogger({ service: 'reconciler', fields: { component: 'backfill' } }),
    clock: { now: () => Date.now() },
    newRunId: () => randomUUID(),
    ...overrides,
    invoker,
  };
}
