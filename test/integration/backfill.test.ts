import { randomUUID } from 'node:crypto';
/**
 * The backfill end to end on the emulators (moto + kinesis-mock): a table DMS filled
 * before any stream existed is converged by the real reconciler operator, whose starter
 * runs the real backfill (continuations delivered in-process, as moto runs no functions),
 * while a writer keeps inserting, updating and deleting and the local poller feeds the
 * table's stream to the forwarder (mappings live in the local Lambda front, because moto's
 * own mappings would consume the stream records themselves). When all is quiet, each table's content
 * rebuilt from the Kinesis events alone must equal a Scan of the table.
 */
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { createHandler as createForwarderHandler } from '../../forwarder';
import { createMappingSource, createPoller, createSqsDestination, createStreamReader, type Poller } from '../../local/poller';
import { applyEnv } from '../../local/emulators';
import { createMotoBackedEsmApi } from '../../local/esm-api';
import { startLambdaFront, type LambdaFront } from '../../local/lambda-front';
import { LOCAL_ACCOUNT_ID, provisionLocalStack, type LocalStack } from '../../local/stack';
import { createAwsDeps } from '../../reconciler/aws-deps';
import { createBackfillStarter } from '../../reconciler/backfill';
import { createBackfillAwsDeps, handleBackfillInvocation, LEASE_GRACE_MS, type BackfillDeps } from '../../snapshot/index';
import type { BackfillInvocation } from '../../src/backfill-state/ports';
import type { SnapshotPublisher } from '../../snapshot/snapshot-publisher';
import { createOperator, type Operator } from '../../reconciler/operator';
import { createDynamoDbClient, createDynamoDbStreamsClient, createKinesisClient, createLambdaClient } from '../../src/aws/clients';
import { writeAttributeMap, type AttributeMap } from '../../src/change-event';
import { decodeGetRecords, Materializer, type ChangeRecord } from '../../src/consumer';
import { loadBackfillConfig } from '../../src/config/backfill';
import { loadBackfillStarterConfig } from '../../src/config/backfill-starter';
import { createStarterStore } from '../../src/backfill-state/dynamodb-runs';
import { loadReconcilerConfig } from '../../src/config/reconciler';
import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { useLocalAws } from '../support/local-aws';

jest.setTimeout(300_000);
const localAws = useLocalAws();
const tracing = process.env.BACKFILL_TEST_TRACE === '1';
const quietLogger = () =>
  createLogger({ service: 'test', level: tracing ? 'INFO' : 'ERROR', write: tracing ? (line) => process.stderr.write(`${line}\n`) : () => undefined });
const quietMetrics = () => createMetrics({ service: 'test', write: () => undefined });
/** BACKFILL_TEST_TRACE=1 prints the phases with timings (diagnosis of a slow or failing run). */
const trace = (message: string, fields: Record<string, unknown> = {}) => {
  if (tracing) process.stderr.write(`[backfill-test] ${new Date().toISOString()} ${message} ${JSON.stringify(fields)}\n`);
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/** Every record on the change stream, per shard in order, decoded by the consumer kit. */
async function readChangeStream(kinesis: KinesisClient, streamName: string): Promise<ChangeRecord[]> {
  const out: ChangeRecord[] = [];
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? [];
  for (const shard of shards) {
    let iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' })))
      .ShardIterator;
    while (iterator) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      out.push(...decodeGetRecords(page.Records ?? []));
      // An empty page means the end of what is there now (MillisBehindLatest alone is not trusted).
      if ((page.Records ?? []).length === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return out;
}

/** A consumer's view of `table` from the events alone: the consumer kit's Materializer (the merge rule). */
function rebuild(records: readonly ChangeRecord[], table: string): Map<string, unknown> {
  const materializer = new Materializer();
  materializer.applyAll(records.map((record) => record.event));
  return materializer.items(table);
}

async function scanTable(table: string): Promise<Map<string, unknown>> {
  const items = new Map<string, unknown>();
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await createDynamoDbClient().send(new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }));
    for (const item of page.Items ?? []) items.set(`${table}|{"id":${JSON.stringify(item.id?.S)}}`, JSON.parse(writeAttributeMap(item as AttributeMap)));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Compares and returns a short description of the differences ('' when identical). */
function difference(expected: Map<string, unknown>, actual: Map<string, unknown>): string {
  const missing = [...expected.keys()].filter((key) => !actual.has(key));
  const stale = [...actual.keys()].filter((key) => !expected.has(key));
  const changed = [...expected.keys()].filter((key) => actual.has(key) && JSON.stringify(sortKeys(actual.get(key))) !== JSON.stringify(sortKeys(expected.get(key))));
  if (missing.length + stale.length + changed.length === 0) return '';
  return `missing ${missing.length} (${missing.slice(0, 3).join(', ')}), stale ${stale.length} (${stale.slice(0, 3).join(', ')}), changed ${changed.length} (${changed.slice(0, 3).join(', ')})`;
}
const sortKeys = (value: unknown): unknown =>
  value && typeof value === 'object' && !Array.isArray(value)
    ? Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]))
    : value;

async function createSourceTable(name: string, rows: number): Promise<void> {
  const dynamodb = createDynamoDbClient();
  await dynamodb.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      ProvisionedThroughput: { ReadCapacityUnits: 1000, WriteCapacityUnits: 1000 },
    }),
  );
  const items = Array.from({ length: rows }, (_, i) => ({
    id: { S: `row-${String(i).padStart(5, '0')}` },
    v: { N: '0' },
    big: { N: '12345678901234567890123456789.123456789' },
    tags: { SS: ['dms', `t${i % 7}`] },
  }));
  for (let i = 0; i < items.length; i += 25) {
    let requests = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    while (requests.length > 0) {
      const result = await dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [name]: requests } }));
      requests = (result.UnprocessedItems?.[name] ?? []) as typeof requests;
    }
  }
}

/** Inserts, updates and deletes rows of `table` until stopped; returns the number of writes. */
function startWriter(table: string, rows: number): { stop: () => Promise<number> } {
  const dynamodb = createDynamoDbClient();
  let running = true;
  let writes = 0;
  let seed = 42;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const done = (async () => {
    while (running) {
      const id = `row-${String(random(rows + 500)).padStart(5, '0')}`; // some beyond the initial rows: inserts
      const op = random(10);
      if (op < 5) {
        await dynamodb.send(
          new UpdateItemCommand({ TableName: table, Key: { id: { S: id } }, UpdateExpression: 'ADD v :one SET w = :w', ExpressionAttributeValues: { ':one': { N: '1' }, ':w': { S: `write-${writes}` } } }),
        );
      } else if (op < 8) {
        await dynamodb.send(new DeleteItemCommand({ TableName: table, Key: { id: { S: id } } }));
      } else {
        await dynamodb.send(new PutItemCommand({ TableName: table, Item: { id: { S: id }, v: { N: '100' }, w: { S: `put-${writes}` } } }));
      }
      writes++;
      await sleep(10); // a steady trickle; moto is single-threaded and shared with the scan
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
      return writes;
    },
  };
}

/**
 * Delivers the reconciler's asynchronous self-invocations in-process, like Lambda's async
 * invoke would: each with a context whose remaining time is `remainingMs`. An invocation
 * still running after its deadline (a "timed out" one) is delivered again, as Lambda
 * retries a failed asynchronous invocation.
 */
class InProcessLambda {
  readonly errors: unknown[] = [];
  invocations = 0;
  redeliveries = 0;
  deps!: BackfillDeps;
  constructor(private readonly remainingMs: number) {}

  readonly invoker = {
    invoke: async (payload: BackfillInvocation) => {
      this.deliver(payload);
    },
  };

  private deliver(payload: BackfillInvocation): void {
    const id = `invocation-${++this.invocations}`;
    const deadline = Date.now() + this.remainingMs;
    const context = { awsRequestId: id, getRemainingTimeInMillis: () => deadline - Date.now() } as unknown as Context;
    let settled = false;
    const run = (async () => {
      await sleep(0);
      try {
        await handleBackfillInvocation(payload, context, this.deps);
      } catch (error) {
        this.errors.push(error);
      } finally {
        settled = true;
      }
    })();
    // Lambda would have killed it at the deadline and retried once the leases have run out.
    setTimeout(() => {
      if (!settled) {
        this.redeliveries++;
        this.deliver(payload);
      }
    }, this.remainingMs + LEASE_GRACE_MS + 100).unref();
    void run;
  }
}

/** A publisher that, on chosen calls, writes the events and then hangs forever: the invocation "times out" mid-page. */
function hangingPublisher(inner: SnapshotPublisher, hangOn: (call: number) => boolean): SnapshotPublisher & { hangs: number } {
  let calls = 0;
  const wrapper = {
    hangs: 0,
    async publish(events: Parameters<SnapshotPublisher['publish']>[0], deadline: number) {
      await inner.publish(events, deadline);
      if (hangOn(++calls)) {
        wrapper.hangs++;
        await new Promise<never>(() => undefined);
      }
    },
  };
  return wrapper;
}

describe('backfill on the emulators', () => {
  let stack: LocalStack;
  let poller: Poller;
  let front: LambdaFront;
  let restoreLambdaEndpoint: (() => void) | undefined;
  let operator: (deps: BackfillDeps, backfillEnv: Record<string, string>) => Operator;
  /** The starter's ports over the snapshot function's: the same state table and invoker, the env's segment count. */
  const starterDeps = (deps: BackfillDeps, backfillEnv: Record<string, string>) => ({
    ...deps,
    store: createStarterStore(createDynamoDbClient(), stack.backfillStateTable),
    settings: loadBackfillStarterConfig({ ...env(), ...backfillEnv }),
    newRunId: () => randomUUID(),
  });
  const env = () => ({
    ...localAws().env,
    ...(front ? { AWS_ENDPOINT_URL_LAMBDA: front.url } : {}),
    FORWARDER_FUNCTION_ARN: stack.forwarderFunctionArn,
    FORWARDER_DLQ_ARN: stack.forwarderDlqArn,
    TABLE_INCLUDE_PATTERNS: 'dms_*',
    CAPACITY_MODE: 'off',
    KINESIS_STREAM_NAME: stack.streamName,
    BACKFILL_STATE_TABLE: stack.backfillStateTable,
  });

  beforeAll(async () => {
    const aws = localAws();
    stack = await provisionLocalStack(
      { dynamodb: createDynamoDbClient(), kinesis: createKinesisClient(), lambda: createLambdaClient(), sqs: new SQSClient({}) },
      { motoUrl: aws.motoUrl, region: aws.region, shardCount: 2 },
    );
    // The real forwarder handler (middy included), fed by the local poller.
    const forwarderHandler = createForwarderHandler({ env: env(), logger: quietLogger(), metrics: quietMetrics() });
    const forwarder = (event: unknown, context: Context) => forwarderHandler(event as Parameters<typeof forwarderHandler>[0], context);
    front = await startLambdaFront({
      upstreamUrl: aws.motoUrl,
      esm: createMotoBackedEsmApi({ motoUrl: aws.motoUrl, region: aws.region, accountId: LOCAL_ACCOUNT_ID }),
      functions: { [stack.forwarderFunctionName]: forwarder },
      region: aws.region,
      accountId: LOCAL_ACCOUNT_ID,
    });
    // The reconciler's and the poller's Lambda clients (mappings) go to the front.
    restoreLambdaEndpoint = applyEnv({ AWS_ENDPOINT_URL_LAMBDA: front.url });
    poller = createPoller({
      mappings: createMappingSource(createLambdaClient()),
      streams: createStreamReader(createDynamoDbStreamsClient()),
      destination: createSqsDestination(new SQSClient({})),
      functions: { [stack.forwarderFunctionName]: forwarder },
      region: aws.region,
      pollIntervalMs: 50,
      mappingRefreshMs: 250,
    });
    poller.start();
    const reconcilerConfig = loadReconcilerConfig(env());
    operator = (deps, backfillEnv) => createOperator(createAwsDeps(reconcilerConfig, { backfill: createBackfillStarter(starterDeps(deps, backfillEnv)), logger: quietLogger(), metrics: quietMetrics() }));
  });

  afterAll(async () => {
    await poller?.stop();
    await front?.stop();
    restoreLambdaEndpoint?.();
  });

  /** Runs the scenario on `table` and asserts Kinesis rebuilds the table exactly. */
  async function scenario(table: string, rows: number, lambda: InProcessLambda, backfillEnv: Record<string, string>, wrap?: (deps: BackfillDeps) => BackfillDeps) {
    // Prepare: DMS's full load, before any stream exists, and writes that go on throughout.
    trace('loading', { table, rows });
    await createSourceTable(table, rows);
    trace('loaded', { table });
    const writer = startWriter(table, rows);
    try {
      return await converge(table, rows, lambda, backfillEnv, writer, wrap);
    } finally {
      await writer.stop();
    }
  }

  async function converge(
    table: string,
    rows: number,
    lambda: InProcessLambda,
    backfillEnv: Record<string, string>,
    writer: { stop: () => Promise<number> },
    wrap?: (deps: BackfillDeps) => BackfillDeps,
  ) {
    const config = loadBackfillConfig({ ...env(), ...backfillEnv });
    let deps = createBackfillAwsDeps(config, { invoker: lambda.invoker, logger: quietLogger(), metrics: quietMetrics() });
    if (wrap) deps = wrap(deps);
    lambda.deps = deps;

    // Act: the reconciler converges the table (stream, mapping at TRIM_HORIZON, then the backfill).
    const reconciler = operator(deps, backfillEnv);
    await eventually(
      async () => {
        const summary = await reconciler.reconcileTables([table]);
        const outcome = summary.tables[0]?.outcome;
        return outcome === 'changed' || outcome === 'converged' ? outcome : undefined;
      },
      60_000,
      'the reconciler to converge the table',
    );
    trace('converged', { table, invocations: lambda.invocations });
    const starter = createBackfillStarter(starterDeps(deps, backfillEnv));
    const finalStatus = await eventually(
      async () => {
        const status = await starter.getBackfillStatus(table);
        return status.state === 'done' || status.state === 'failed' ? status : undefined;
      },
      180_000,
      'the backfill to finish',
    );
    const writes = await writer.stop();
    trace('backfill finished; writer stopped', { table, finalStatus, writes, poller: poller.stats(), invocations: lambda.invocations });

    // Assess: once the poller has delivered every stream record, Kinesis alone rebuilds the table.
    const kinesis = createKinesisClient();
    const expected = await scanTable(table);
    let diff = 'not compared yet';
    let records: Awaited<ReturnType<typeof readChangeStream>> = [];
    await eventually(
      async () => {
        records = await readChangeStream(kinesis, stack.streamName);
        diff = difference(expected, rebuild(records, table));
        trace('compared', { records: records.length, diff, poller: poller.stats() });
        return diff === '' ? true : undefined;
      },
      60_000,
      'the events to rebuild the table',
    ).catch(() => undefined);
    expect(lambda.errors).toEqual([]);
    expect(finalStatus).toMatchObject({ state: 'done', reason: 'stream-enabled' });
    expect(diff).toBe('');
    const ofTable = records.filter((record) => record.event.table === table);
    const snapshots = ofTable.filter((record) => record.event.operation === 'snapshot').length;
    const changes = ofTable.length - snapshots;
    expect(snapshots).toBeGreaterThanOrEqual(rows * 0.5);
    expect(changes).toBeGreaterThan(0);
    expect(writes).toBeGreaterThan(0);
    return { snapshots, changes, writes, finalStatus };
  }

  it('rebuilds a 5,000-row table loaded before its stream existed, exactly, while writes go on', async () => {
    const lambda = new InProcessLambda(300_000);
    const result = await scenario('dms_orders', 5_000, lambda, { BACKFILL_SEGMENTS: '4', BACKFILL_PAGE_LIMIT: '250' });
    expect(lambda.invocations).toBe(1);
    expect(result.finalStatus).toMatchObject({ progress: { segmentsDone: 4, segmentsTotal: 4 } });
  });

  it('completes with the same exact result when invocations run out of time and time out mid-page, repeatedly', async () => {
    // Each invocation has 4 s with a 1 s stop margin, so it hands over after a few pages of 25
    // items; the 5th, 15th, 25th... page publish hangs after writing its events, like an
    // invocation killed mid-page (Lambda retries it once its leases have expired).
    const lambda = new InProcessLambda(4_000);
    let hanging: { hangs: number } | undefined;
    await scenario('dms_resume', 1_000, lambda, { BACKFILL_SEGMENTS: '3', BACKFILL_PAGE_LIMIT: '25', BACKFILL_STOP_MARGIN_MS: '1000' }, (deps) => {
      const publisher = hangingPublisher(deps.publisher, (call) => call % 10 === 5);
      hanging = publisher;
      return { ...deps, publisher };
    });
    expect(lambda.invocations).toBeGreaterThan(3);
    expect(hanging?.hangs).toBeGreaterThan(0);
    expect(lambda.redeliveries).toBeGreaterThan(0);
  });
});
