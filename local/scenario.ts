/**
 * A DMS-like scenario for the local pipeline: tables created the way DMS creates them
 * (200/200 provisioned, one with a GSI, plus the `awsdms_apply_exceptions` control table),
 * the CloudTrail CreateTable event delivered to the reconciler as EventBridge would, a full
 * load that starts before the stream exists (the backfill covers those rows), then CDC:
 * inserts, updates and deletes. Every write is recorded in a ledger for the verdict.
 */
import {
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { ListEventSourceMappingsCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { cloudTrailTableEvent } from './cloudtrail';
import { dmsHeaderColumns, startHeartbeat } from './heartbeat';
import { keyText, type WriteEntry } from './ledger';

export interface ScenarioOptions {
  /** Data tables (3 named like a sales schema, more are generated). Default 3. */
  readonly tables?: number;
  /** Rows per table in the full load. Default 200. */
  readonly rows?: number;
  /** Share of the full load written before the CreateTable event reaches the reconciler. Default 0.25. */
  readonly preStreamShare?: number;
  /** CDC changes per table after the full load (inserts, updates, deletes). Default 150. */
  readonly changes?: number;
  /** Concurrent writers per table. Default 4. */
  readonly concurrency?: number;
  /** Pause after each write per writer (ms), to slow the scenario down for watching. Default 0. */
  readonly writeDelayMs?: number;
  /** Deterministic pseudo-random choices. Default 42. */
  readonly seed?: number;
  /** Update a heartbeat table (dms_heartbeat) every this many ms during the scenario; 0 = no heartbeat table. Default 0. */
  readonly heartbeatIntervalMs?: number;
}

export interface ScenarioDeps {
  readonly dynamodb: DynamoDBClient;
  readonly lambda: LambdaClient;
  readonly region: string;
  readonly accountId: string;
  readonly forwarderFunctionArn: string;
  /** Delivers the EventBridge event to the reconciler (asynchronous invocation). */
  deliver(event: unknown): Promise<void>;
  /** Progress: phase changes and write counts. */
  onProgress?(progress: ScenarioProgress): void;
}

export interface ScenarioProgress {
  readonly table: string;
  readonly phase: 'created' | 'full-load' | 'stream-on' | 'cdc' | 'done';
  readonly written: number;
  readonly planned: number;
}

export interface ScenarioResult {
  readonly writes: WriteEntry[];
  readonly dataTables: string[];
  readonly controlTable: string;
  /** ms each table took from CreateTable to stream + mapping observed. */
  readonly convergeMs: Record<string, number>;
  /** The heartbeat table and its beats (total, and written while its stream was on), when one ran. */
  readonly heartbeat?: { readonly table: string; readonly beats: number; readonly beatsOnStream: number };
}

export const CONTROL_TABLE = 'awsdms_apply_exceptions';

interface TableSpec {
  readonly input: CreateTableCommandInput;
  readonly key: (n: number) => Record<string, AttributeValue>;
  readonly row: (n: number, rev: number, random: () => number) => Record<string, AttributeValue>;
}

const n = (value: number | string): AttributeValue => ({ N: String(value) });
const s = (value: string): AttributeValue => ({ S: value });
const THROUGHPUT = { ReadCapacityUnits: 200, WriteCapacityUnits: 200 } as const;

/** The scenario's tables, DMS-style: one table per source table, numbers as N, 200/200. */
export function scenarioTables(count: number): TableSpec[] {
  const specs: TableSpec[] = [
    {
      input: {
        TableName: 'dms_customers',
        KeySchema: [{ AttributeName: 'customer_id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'customer_id', AttributeType: 'N' }],
        ProvisionedThroughput: THROUGHPUT,
      },
      key: (i) => ({ customer_id: n(i) }),
      row: (i, rev, random) => ({ customer_id: n(i), name: s(`Customer ${i}`), city: s(['Lyon', 'Porto', 'Oslo', 'Cork'][Math.floor(random() * 4)]!), rev: n(rev) }),
    },
    {
      input: {
        TableName: 'dms_orders',
        KeySchema: [
          { AttributeName: 'customer_id', KeyType: 'HASH' },
          { AttributeName: 'order_id', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'customer_id', AttributeType: 'N' },
          { AttributeName: 'order_id', AttributeType: 'N' },
          { AttributeName: 'order_date', AttributeType: 'S' },
        ],
        ProvisionedThroughput: THROUGHPUT,
        GlobalSecondaryIndexes: [
          {
            IndexName: 'customer_id-order_date-index',
            KeySchema: [
              { AttributeName: 'customer_id', KeyType: 'HASH' },
              { AttributeName: 'order_date', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
            ProvisionedThroughput: THROUGHPUT,
          },
        ],
      },
      key: (i) => ({ customer_id: n(i % 50), order_id: n(i) }),
      row: (i, rev, random) => ({
        customer_id: n(i % 50),
        order_id: n(i),
        order_date: s(`2026-11-${String(1 + (i % 28)).padStart(2, '0')}`),
        status: s(['new', 'paid', 'shipped'][Math.floor(random() * 3)]!),
        total: n((random() * 500).toFixed(2)),
        rev: n(rev),
      }),
    },
    {
      input: {
        TableName: 'dms_products',
        KeySchema: [{ AttributeName: 'sku', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'sku', AttributeType: 'S' }],
        ProvisionedThroughput: THROUGHPUT,
      },
      key: (i) => ({ sku: s(`SKU-${String(i).padStart(5, '0')}`) }),
      row: (i, rev, random) => ({ sku: s(`SKU-${String(i).padStart(5, '0')}`), price: n((random() * 100).toFixed(2)), stock: n(Math.floor(random() * 1000)), rev: n(rev) }),
    },
  ];
  for (let index = specs.length; index < count; index += 1) {
    const name = `dms_table_${index + 1}`;
    specs.push({
      input: { TableName: name, KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'N' }], ProvisionedThroughput: THROUGHPUT },
      key: (i) => ({ id: n(i) }),
      row: (i, rev, random) => ({ id: n(i), value: n(Math.floor(random() * 1e6)), rev: n(rev) }),
    });
  }
  return specs.slice(0, count);
}

/** The DMS control table (must be left alone by the reconciler). */
export const controlTableInput: CreateTableCommandInput = {
  TableName: CONTROL_TABLE,
  KeySchema: [
    { AttributeName: 'TASK_NAME', KeyType: 'HASH' },
    { AttributeName: 'ERROR_TIME', KeyType: 'RANGE' },
  ],
  AttributeDefinitions: [
    { AttributeName: 'TASK_NAME', AttributeType: 'S' },
    { AttributeName: 'ERROR_TIME', AttributeType: 'S' },
  ],
  ProvisionedThroughput: THROUGHPUT,
};

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const plain = (key: Record<string, AttributeValue>) =>
  Object.fromEntries(Object.entries(key).map(([name, value]) => [name, value.N ?? value.S ?? '']));

/** Plays the scenario; resolves when every write is done and every data table converged. */
export async function runScenario(deps: ScenarioDeps, options: ScenarioOptions = {}): Promise<ScenarioResult> {
  const tableCount = options.tables ?? 3;
  const rows = options.rows ?? 200;
  const preStream = Math.floor(rows * (options.preStreamShare ?? 0.25));
  const changes = options.changes ?? 150;
  const concurrency = options.concurrency ?? 4;
  const delay = options.writeDelayMs ?? 0;
  const random = mulberry32(options.seed ?? 42);
  const writes: WriteEntry[] = [];
  const convergeMs: Record<string, number> = {};
  let nextRev = 1;
  // Like a DMS task with dms/table-mapping.json: every write carries the header columns, the
  // commit time being the write time and the change sequence task-wide.
  let changeSequence = 0;
  const nextSequence = () => ++changeSequence;
  const headers = () => {
    const sequence = nextSequence();
    return dmsHeaderColumns(Date.now(), sequence, `tx-${sequence}`);
  };

  const createTable = async (input: CreateTableCommandInput) => {
    const created = await deps.dynamodb.send(new CreateTableCommand(input));
    for (let i = 0; i < 100; i += 1) {
      const { Table } = await deps.dynamodb.send(new DescribeTableCommand({ TableName: input.TableName }));
      if (Table?.TableStatus === 'ACTIVE') break;
      await sleep(100);
    }
    // CloudTrail -> EventBridge -> reconciler, asynchronously (like EventBridge's async invoke).
    return created;
  };

  /** Runs `count` tasks with `concurrency` writers, in order per writer. */
  const parallel = async (count: number, task: (index: number) => Promise<void>) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(concurrency, Math.max(count, 1)) }, async () => {
        while (next < count) {
          const index = next++;
          await task(index);
          if (delay > 0) await sleep(delay);
        }
      }),
    );
  };

  const playTable = async (spec: TableSpec) => {
    const table = spec.input.TableName!;
    const planned = rows + changes;
    let written = 0;
    let streamOn = false;
    const revs = new Map<string, number>(); // key -> current rev; absent = deleted / not yet written
    const progress = (phase: ScenarioProgress['phase']) => deps.onProgress?.({ table, phase, written, planned });
    const put = async (i: number, op: 'put' | 'update') => {
      const key = spec.key(i);
      const text = keyText(plain(key));
      const rev = nextRev++;
      const afterStream = streamOn;
      if (op === 'put') {
        await deps.dynamodb.send(new PutItemCommand({ TableName: table, Item: { ...spec.row(i, rev, random), ...headers() } }));
      } else {
        const h = headers();
        await deps.dynamodb.send(new UpdateItemCommand({
          TableName: table,
          Key: key,
          UpdateExpression: 'SET rev = :rev, touched = :t, dms_commit_timestamp = :hc, dms_change_seq = :hs, dms_transaction_id = :hx, dms_stream_position = :hp',
          ExpressionAttributeValues: { ':rev': n(rev), ':t': n(Date.now()), ':hc': h.dms_commit_timestamp!, ':hs': h.dms_change_seq!, ':hx': h.dms_transaction_id!, ':hp': h.dms_stream_position! },
        }));
      }
      revs.set(text, rev);
      writes.push({ table, key: text, op, rev, afterStream, writtenAt: Date.now() });
      written += 1;
    };
    const remove = async (i: number) => {
      const key = spec.key(i);
      const text = keyText(plain(key));
      const previous = revs.get(text);
      if (previous === undefined) return put(i, 'put');
      const afterStream = streamOn;
      revs.delete(text);
      await deps.dynamodb.send(new DeleteItemCommand({ TableName: table, Key: key }));
      writes.push({ table, key: text, op: 'delete', rev: previous, afterStream, writtenAt: Date.now() });
      written += 1;
    };

    const started = Date.now();
    const created = await createTable(spec.input);
    progress('created');
    // DMS starts the full load at once; the first rows land before any stream exists.
    await parallel(preStream, (i) => put(i, 'put'));
    progress('full-load');
    await deps.deliver(cloudTrailTableEvent({ eventName: 'CreateTable', region: deps.region, accountId: deps.accountId, request: spec.input, tableDescription: created.TableDescription! }));
    const watcher = (async () => {
      for (;;) {
        const { Table } = await deps.dynamodb.send(new DescribeTableCommand({ TableName: table }));
        const streamArn = Table?.LatestStreamArn;
        if (streamArn && Table?.StreamSpecification?.StreamEnabled) {
          streamOn = true; // writes that start from now on are on the stream
          const mappings = await deps.lambda.send(new ListEventSourceMappingsCommand({ EventSourceArn: streamArn, FunctionName: deps.forwarderFunctionArn }));
          if ((mappings.EventSourceMappings ?? []).length > 0) {
            convergeMs[table] = Date.now() - started;
            progress('stream-on');
            return;
          }
        }
        await sleep(50);
      }
    })();
    // The rest of the full load runs while the reconciler reacts.
    await parallel(rows - preStream, (i) => put(preStream + i, 'put'));
    await watcher;
    progress('cdc');
    // CDC: mostly updates, some inserts and deletes, on random keys. Like DMS applying a
    // source's commits, changes to one item are made one after the other.
    let inserted = rows;
    const locks = new Map<string, Promise<void>>();
    const serially = async (i: number, change: () => Promise<void>) => {
      const text = keyText(plain(spec.key(i)));
      const previous = locks.get(text) ?? Promise.resolve();
      const current = previous.then(change);
      locks.set(text, current.catch(() => undefined));
      return current;
    };
    await parallel(changes, async () => {
      const roll = random();
      if (roll < 0.2) {
        const i = inserted++;
        return serially(i, () => put(i, 'put'));
      }
      const i = Math.floor(random() * inserted);
      if (roll < 0.35) return serially(i, () => remove(i));
      return serially(i, () => (revs.has(keyText(plain(spec.key(i)))) ? put(i, 'update') : put(i, 'put')));
    });
    progress('done');
  };

  const heartbeatMs = options.heartbeatIntervalMs ?? 0;
  const heartbeat = heartbeatMs > 0 ? await startHeartbeat({ ...deps, nextSequence }, heartbeatMs) : undefined;
  const specs = scenarioTables(tableCount);
  const control = (async () => {
    const created = await createTable(controlTableInput);
    await deps.dynamodb.send(new PutItemCommand({ TableName: CONTROL_TABLE, Item: { TASK_NAME: s('local-task'), ERROR_TIME: s(new Date().toISOString()), STATEMENT: s('-- none') } }));
    await deps.deliver(cloudTrailTableEvent({ eventName: 'CreateTable', region: deps.region, accountId: deps.accountId, request: controlTableInput, tableDescription: created.TableDescription! }));
  })();
  await Promise.all([control, ...specs.map(playTable)]);
  // A few beats with the heartbeat's stream on, so its lag shows even in a short scenario.
  const beats = heartbeat ? await heartbeat.stop({ minBeatsOnStream: 3 }) : undefined;
  return {
    writes,
    dataTables: specs.map((spec) => spec.input.TableName!),
    controlTable: CONTROL_TABLE,
    convergeMs,
    ...(beats ? { heartbeat: { table: 'dms_heartbeat', ...beats } } : {}),
  };
}
