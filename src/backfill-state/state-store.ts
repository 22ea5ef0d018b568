/**
 * The backfill state table's model: one item per source table (key `pk` = table name, `sk` =
 * "backfill", both S), holding the current run and a map of its Scan segments. Every write is conditional:
 * - a new or resumed run expects the item's `version` it read (or no item);
 * - a segment write expects the run id and that segment's own `version`, so segments of
 *   one invocation checkpoint in parallel, while two invocations never both advance one
 *   segment (the loser gets StateConflictError and leaves the segment alone);
 * - finishing expects the run id and status `running`.
 */
import { ConditionalCheckFailedException, type AttributeValue, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import {
  BACKFILL_STATUS,
  type BackfillReason,
  type BackfillState,
  type BackfillStatus,
  type ItemKey,
  type SegmentState,
  type SegmentStatus,
} from './checkpoint';
import { BackfillError, StateConflictError, translateAwsError } from './errors';

/** A state with the item-level version it was read at (writes of whole runs expect it). */
export interface Versioned<T> {
  readonly value: T;
  readonly version: number;
}

/** The few fields of a run the reconciler observes (one line of the state table, without its segments). */
export interface BackfillRunSummary {
  readonly tableName: string;
  readonly streamArn: string;
  readonly runId: string;
  readonly status: BackfillStatus;
  /** Epoch ms of the run's last state write (progress). */
  readonly updatedAt: number;
}

/** The summary of a stored run (pure). */
export function toRunSummary(state: BackfillState): BackfillRunSummary {
  return { tableName: state.tableName, streamArn: state.streamArn, runId: state.runId, status: state.status, updatedAt: state.updatedAt };
}

/** One page of {@link BackfillStateStore.list}. */
export interface RunSummaryPage {
  readonly items: BackfillRunSummary[];
  /** Pass back to read the next page; undefined on the last page. */
  readonly next?: string;
}

/**
 * Port: the durable backfill progress. Tests use an in-memory fake with the same conditions.
 * Each side gets only its part (StarterStore, RunnerStore), so each role needs only its calls.
 */
export interface BackfillStateStore {
  get(tableName: string): Promise<Versioned<BackfillState> | undefined>;
  /**
   * One page of every table's run summary (a Scan projecting only the summary fields), so a
   * reconciler sweep observes all backfills with a handful of calls instead of one per table.
   */
  list(next?: string): Promise<RunSummaryPage>;
  /** Writes a whole run; `expectedVersion` undefined means "no item yet". */
  putRun(state: BackfillState, expectedVersion: number | undefined): Promise<void>;
  /** Writes one segment, expecting run `runId` and the segment at `expectedVersion`; returns the new state. */
  saveSegment(tableName: string, runId: string, segment: SegmentState, expectedVersion: number, now: number): Promise<Versioned<BackfillState>>;
  /**
   * Stores the run's read budget unless one is stored already (first writer wins), expecting the
   * run to be `runId` and still running; returns the budget the run has now.
   */
  fixReadBudget(tableName: string, runId: string, budgetRcu: number, now: number): Promise<number>;
  /** Marks the run done or failed, expecting it to be `runId` and still running. */
  finish(tableName: string, runId: string, status: Exclude<BackfillStatus, 'running'>, error: string | undefined, now: number): Promise<void>;
}

/** What the reconciler's starter uses: read, list and write whole runs (GetItem, Scan, PutItem). */
export type StarterStore = Pick<BackfillStateStore, 'get' | 'list' | 'putRun'>;

/** What the snapshot function's runner uses: read runs, fix the budget, checkpoint segments, finish (GetItem, UpdateItem). */
export type RunnerStore = Pick<BackfillStateStore, 'get' | 'fixReadBudget' | 'saveSegment' | 'finish'>;

/**
 * The state table's key schema (the template creates it): HASH `pk` (S) = source table
 * name, RANGE `sk` (S) = STATE_SORT_KEY. The sort key leaves room for other per-table records.
 */
export const STATE_TABLE_KEY = { partitionKey: 'pk', sortKey: 'sk' } as const;
export const STATE_SORT_KEY = 'backfill';

/**
 * The state table's definition as CreateTable input (the local run and the tests create it;
 * template.yaml's BackfillStateTable declares the same keys).
 */
export function stateTableDefinition(tableName: string): CreateTableCommandInput {
  const { partitionKey, sortKey } = STATE_TABLE_KEY;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: partitionKey, AttributeType: 'S' },
      { AttributeName: sortKey, AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' },
      { AttributeName: sortKey, KeyType: 'RANGE' },
    ],
  };
}

/** An S attribute (for the adapters). */
export const S = (value: string): AttributeValue => ({ S: value });
/** An N attribute (for the adapters). */
export const N = (value: number): AttributeValue => ({ N: String(value) });
/** The state item's key for a source table. */
export const keyOf = (sourceTable: string): Record<string, AttributeValue> => ({ pk: S(sourceTable), sk: S(STATE_SORT_KEY) });

/** Serialises one segment as the map stored under `segments.<n>`. */
export function segmentToItem(segment: SegmentState): AttributeValue {
  const map: Record<string, AttributeValue> = {
    status: S(segment.status),
    items: N(segment.items),
    pages: N(segment.pages),
    version: N(segment.version),
    leaseUntil: N(segment.leaseUntil),
    attempts: N(segment.attempts),
  };
  // The key is stored as a map of its own AttributeValues, so every type (S, N, B) round-trips exactly.
  if (segment.lastKey !== undefined) map.lastKey = { M: segment.lastKey };
  if (segment.owner !== undefined) map.owner = S(segment.owner);
  if (segment.error !== undefined) map.error = S(segment.error);
  return { M: map };
}

/** Serialises a run as the state table item (exported for tests). */
export function stateToItem(state: BackfillState, version: number): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {
    ...keyOf(state.tableName),
    tableName: S(state.tableName),
    tableArn: S(state.tableArn),
    streamArn: S(state.streamArn),
    runId: S(state.runId),
    reason: S(state.reason),
    status: S(state.status),
    totalSegments: N(state.segments.length),
    segments: { M: Object.fromEntries(state.segments.map((segment) => [String(segment.segment), segmentToItem(segment)])) },
    startedAt: N(state.startedAt),
    updatedAt: N(state.updatedAt),
    version: N(version),
  };
  if (state.finishedAt !== undefined) item.finishedAt = N(state.finishedAt);
  if (state.error !== undefined) item.error = S(state.error);
  if (state.readBudgetRcu !== undefined) item.readBudgetRcu = N(state.readBudgetRcu);
  return item;
}

function readS(map: Record<string, AttributeValue>, name: string): string {
  const value = map[name]?.S;
  if (value === undefined) throw new BackfillError(`backfill state: attribute ${name} is missing or not a string`);
  return value;
}
function readN(map: Record<string, AttributeValue>, name: string): number {
  const value = map[name]?.N;
  const parsed = value === undefined ? NaN : Number(value);
  if (!Number.isFinite(parsed)) throw new BackfillError(`backfill state: attribute ${name} is missing or not a number`);
  return parsed;
}
const optionalS = (map: Record<string, AttributeValue>, name: string) => map[name]?.S;
const optionalN = (map: Record<string, AttributeValue>, name: string) => (map[name]?.N === undefined ? undefined : readN(map, name));

/** Parses a state table item (exported for tests). */
export function itemToState(item: Record<string, AttributeValue>): Versioned<BackfillState> {
  const total = readN(item, 'totalSegments');
  const segmentsMap = item.segments?.M ?? {};
  const segments: SegmentState[] = Array.from({ length: total }, (_, index) => {
    const map = segmentsMap[String(index)]?.M;
    if (map === undefined) throw new BackfillError(`backfill state: segment ${index} is missing`);
    return {
      segment: index,
      status: readS(map, 'status') as SegmentStatus,
      lastKey: map.lastKey?.M as ItemKey | undefined,
      items: readN(map, 'items'),
      pages: readN(map, 'pages'),
      version: readN(map, 'version'),
      owner: optionalS(map, 'owner'),
      leaseUntil: readN(map, 'leaseUntil'),
      attempts: readN(map, 'attempts'),
      error: optionalS(map, 'error'),
    };
  });
  return {
    version: readN(item, 'version'),
    value: {
      tableName: readS(item, 'tableName'),
      tableArn: readS(item, 'tableArn'),
      streamArn: readS(item, 'streamArn'),
      runId: readS(item, 'runId'),
      reason: readS(item, 'reason') as BackfillReason,
      status: readS(item, 'status') as BackfillStatus,
      segments,
      startedAt: readN(item, 'startedAt'),
      updatedAt: readN(item, 'updatedAt'),
      finishedAt: optionalN(item, 'finishedAt'),
      error: optionalS(item, 'error'),
      ...(item.readBudgetRcu === undefined ? {} : { readBudgetRcu: readN(item, 'readBudgetRcu') }),
    },
  };
}

/** Parses the projected summary of a state table item (exported for tests). */
export function itemToSummary(item: Record<string, AttributeValue>): BackfillRunSummary {
  return {
    tableName: readS(item, 'pk'),
    streamArn: readS(item, 'streamArn'),
    runId: readS(item, 'runId'),
    status: readS(item, 'status') as BackfillStatus,
    updatedAt: readN(item, 'updatedAt'),
  };
}

/** A lost conditional write becomes StateConflictError; anything else is translated as usual. */
export function conflictOr(error: unknown, what: string): Error {
  if (error instanceof ConditionalCheckFailedException || (error instanceof Error && error.name === 'ConditionalCheckFailedException')) {
    return new StateConflictError(`${what}: the state changed concurrently`, { cause: error });
  }
  return translateAwsError(error, what);
}
