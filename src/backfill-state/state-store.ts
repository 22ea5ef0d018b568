/**
 * The backfill state table: one item per source table (key `pk` = table name, `sk` =
 * "backfill", both S), holding the current run and a map of its Scan segments. Every write is conditional:
 * - a new or resumed run expects the item's `version` it read (or no item);
 * - a segment write expects the run id and that segment's own `version`, so segments of
 *   one invocation checkpoint in parallel, while two invocations never both advance one
 *   segment (the loser gets StateConflictError and leaves the segment alone);
 * - finishing expects the run id and status `running`.
 */
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
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

/** Port: the durable backfill progress. Tests use an in-memory fake with the same conditions. */
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
  /** Marks the run done or failed, expecting it to be `runId` and still running. */
  finish(tableName: string, runId: string, status: Exclude<BackfillStatus, 'running'>, error: string | undefined, now: number): Promise<void>;
}

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

const S = (value: string): AttributeValue => ({ S: value });
const N = (value: number): AttributeValue => ({ N: String(value) });
const keyOf = (sourceTable: string): Record<string, AttributeValue> => ({ pk: S(sourceTable), sk: S(STATE_SORT_KEY) });

function segmentToItem(segment: SegmentState): AttributeValue {
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

function conflictOr(error: unknown, what: string): Error {
  if (error instanceof ConditionalCheckFailedException || (error instanceof Error && error.name === 'ConditionalCheckFailedException')) {
    return new StateConflictError(`${what}: the state changed concurrently`, { cause: error });
  }
  return translateAwsError(error, what);
}

/** The state store on a real (or emulated) DynamoDB table. */
export function createDynamoDbStateStore(client: DynamoDBClient, tableName: string): BackfillStateStore {
  return {
    async get(sourceTable) {
      try {
        const response = await client.send(
          new GetItemCommand({ TableName: tableName, Key: keyOf(sourceTable), ConsistentRead: true }),
        );
        return response.Item ? itemToState(response.Item) : undefined;
      } catch (error) {
        throw conflictOr(error, `reading backfill state of ${sourceTable}`);
      }
    },

    async list(next) {
      try {
        const response = await client.send(
          new ScanCommand({
            TableName: tableName,
            // Only the summary: the segments map (with its keys) is most of an item's size.
            ProjectionExpression: '#pk, #sk, #streamArn, #runId, #status, #updatedAt',
            ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk', '#streamArn': 'streamArn', '#runId': 'runId', '#status': 'status', '#updatedAt': 'updatedAt' },
            ConsistentRead: true,
            ...(next === undefined ? {} : { ExclusiveStartKey: JSON.parse(next) as Record<string, AttributeValue> }),
          }),
        );
        const items = (response.Items ?? []).filter((item) => item.sk?.S === STATE_SORT_KEY).map(itemToSummary);
        return { items, ...(response.LastEvaluatedKey ? { next: JSON.stringify(response.LastEvaluatedKey) } : {}) };
      } catch (error) {
        throw translateAwsError(error, 'listing backfill states');
      }
    },

    async putRun(state, expectedVersion) {
      const version = (expectedVersion ?? 0) + 1;
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: stateToItem(state, version),
            ...(expectedVersion === undefined
              ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': 'pk' } }
              : {
                  ConditionExpression: '#version = :expected',
                  ExpressionAttributeNames: { '#version': 'version' },
                  ExpressionAttributeValues: { ':expected': N(expectedVersion) },
                }),
          }),
        );
      } catch (error) {
        throw conflictOr(error, `writing backfill run ${state.runId} of ${state.tableName}`);
      }
    },

    async saveSegment(sourceTable, runId, segment, expectedVersion, now) {
      try {
        const response = await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: keyOf(sourceTable),
            UpdateExpression: 'SET #segments.#seg = :segment, #updatedAt = :now ADD #version :one',
            ConditionExpression: '#runId = :runId AND #status = :running AND #segments.#seg.#version = :expected',
            ExpressionAttributeNames: {
              '#segments': 'segments',
              '#seg': String(segment.segment),
              '#updatedAt': 'updatedAt',
              '#version': 'version',
              '#runId': 'runId',
              '#status': 'status',
            },
            ExpressionAttributeValues: {
              ':segment': segmentToItem(segment),
              ':now': N(now),
              ':one': N(1),
              ':runId': S(runId),
              ':running': S(BACKFILL_STATUS.running),
              ':expected': N(expectedVersion),
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        if (!response.Attributes) throw new BackfillError(`saving segment ${segment.segment} of ${sourceTable} returned no state`);
        return itemToState(response.Attributes);
      } catch (error) {
        throw conflictOr(error, `saving segment ${segment.segment} of ${sourceTable} (run ${runId})`);
      }
    },

    async finish(sourceTable, runId, status, error, now) {
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: keyOf(sourceTable),
            UpdateExpression:
              error === undefined
                ? 'SET #status = :status, #finishedAt = :now, #updatedAt = :now REMOVE #error ADD #version :one'
                : 'SET #status = :status, #finishedAt = :now, #updatedAt = :now, #error = :error ADD #version :one',
            ConditionExpression: '#runId = :runId AND #status = :running',
            ExpressionAttributeNames: {
              '#status': 'status',
              '#error': 'error',
              '#finishedAt': 'finishedAt',
              '#updatedAt': 'updatedAt',
              '#version': 'version',
              '#runId': 'runId',
            },
            ExpressionAttributeValues: {
              ':status': S(status),
              ':now': N(now),
              ':one': N(1),
              ':runId': S(runId),
              ':running': S(BACKFILL_STATUS.running),
              ...(error === undefined ? {} : { ':error': S(error) }),
            },
          }),
        );
      } catch (caught) {
        throw conflictOr(caught, `finishing backfill run ${runId} of ${sourceTable}`);
      }
    },
  };
}
