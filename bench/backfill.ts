/**
 * Backfill throughput on the local emulators (moto + kinesis-mock): items per second from
 * start() to status `done`, with 1 and with 4 parallel Scan segments, on the same table in
 * the same process, alternating so drift in the machine's load hits both alike. The
 * baseline is a bare sequential Scan of the same table (read only, no publishing, no
 * checkpoints), measured in the same run.
 *
 * Run: `npx tsx bench/backfill.ts [items]` (default 5,000). A measurement, not a test.
 */
import { BatchWriteItemCommand, CreateTableCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { applyEnv, startLocalAws } from '../local/emulators';
import { provisionLocalStack } from '../local/stack';
import { createBackfillStarter } from '../reconciler/backfill';
import { createBackfillAwsDeps, handleBackfillInvocation, type BackfillDeps } from '../snapshot/index';
import { createDynamoDbClient, createKinesisClient, createLambdaClient } from '../src/aws/clients';
import { loadBackfillConfig } from '../src/config/backfill';
import { loadBackfillStarterConfig } from '../src/config/backfill-starter';
import { createStarterStore } from '../src/backfill-state/dynamodb-runs';
import { createLogger } from '../src/observability/logger';
import { createMetrics } from '../src/observability/metrics';

const ITEMS = Number(process.argv[2] ?? 5_000);
const ROUNDS = 2;
const TABLE = 'bench_backfill';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Creates and fills the table; returns its ARN and stream ARN (a run belongs to the table's current stream). */
async function load(items: number): Promise<{ tableArn: string; streamArn: string }> {
  const dynamodb = createDynamoDbClient();
  const created = await dynamodb.send(
    new CreateTableCommand({
      TableName: TABLE,
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      ProvisionedThroughput: { ReadCapacityUnits: 10_000, WriteCapacityUnits: 10_000 },
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  for (let i = 0; i < items; i += 25) {
    const batch = Array.from({ length: Math.min(25, items - i) }, (_, j) => ({
      PutRequest: { Item: { id: { S: `row-${i + j}` }, amount: { N: String((i + j) * 1.5) }, note: { S: 'x'.repeat(200) } } },
    }));
    await dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [TABLE]: batch } }));
  }
  const table = created.TableDescription;
  if (!table?.TableArn || !table.LatestStreamArn) throw new Error('the bench table has no ARN or stream');
  return { tableArn: table.TableArn, streamArn: table.LatestStreamArn };
}

async function bareScanSeconds(): Promise<number> {
  const dynamodb = createDynamoDbClient();
  const started = performance.now();
  let start: Record<string, AttributeValue> | undefined;
  let count = 0;
  do {
    const page = await dynamodb.send(new ScanCommand({ TableName: TABLE, ExclusiveStartKey: start, Limit: 500, ConsistentRead: true }));
    count += page.Items?.length ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  if (count !== ITEMS) throw new Error(`bare scan read ${count} items, expected ${ITEMS}`);
  return (performance.now() - started) / 1000;
}

/** Wall time spent inside each port, summed over segments (so it can exceed the elapsed time). */
interface PortTimes {
  scan: number;
  publish: number;
  state: number;
}

function timed<T extends object>(target: T, times: PortTimes, key: keyof PortTimes): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const started = performance.now();
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(object, args);
        } finally {
          times[key] += (performance.now() - started) / 1000;
        }
      };
    },
  });
}

async function backfillSeconds(env: Record<string, string>, segments: number, tableArn: string, streamArn: string, times: PortTimes): Promise<number> {
  const pending: Promise<unknown>[] = [];
  const quiet = createLogger({ service: 'bench', level: 'ERROR', write: () => undefined });
  const config = loadBackfillConfig({ ...env, BACKFILL_SEGMENTS: String(segments), BACKFILL_READ_CAPACITY_FRACTION: '1', BACKFILL_PAGE_LIMIT: '500' });
  const base = createBackfillAwsDeps(config, { invoker: { invoke: async () => undefined } });
  const deps: BackfillDeps = createBackfillAwsDeps(config, {
    source: timed(base.source, times, 'scan'),
    publisher: timed(base.publisher, times, 'publish'),
    store: timed(base.store, times, 'state'),
    logger: quiet,
    metrics: createMetrics({ service: 'bench', write: () => undefined }),
    // moto runs no functions: continuations run in-process, each with a full 15 minutes.
    invoker: {
      invoke: async (payload) => {
        const deadline = Date.now() + 900_000;
        pending.push(handleBackfillInvocation(payload, { awsRequestId: `bench-${pending.length}`, getRemainingTimeInMillis: () => deadline - Date.now() }, deps));
      },
    },
  });
  const starter = createBackfillStarter({ ...deps, store: createStarterStore(createDynamoDbClient(), config.stateTable), settings: loadBackfillStarterConfig({ ...env, BACKFILL_SEGMENTS: String(segments) }), newRunId: () => randomUUID() });
  const started = performance.now();
  const result = await starter.start({ tableName: TABLE, tableArn, streamArn, reason: 'manual', force: true });
  if (result !== 'started') throw new Error(`backfill did not start: ${result}`);
  for (;;) {
    while (pending.length > 0) await pending.shift();
    const status = await starter.getBackfillStatus(TABLE);
    if (status.state === 'done') {
      if (status.progress.items !== ITEMS) throw new Error(`backfill published ${status.progress.items} items, expected ${ITEMS}`);
      return (performance.now() - started) / 1000;
    }
    if (status.state === 'failed') throw new Error(`backfill failed: ${status.error}`);
    await sleep(50);
  }
}

async function main(): Promise<void> {
  const aws = await startLocalAws();
  const restore = applyEnv(aws.env);
  try {
    const stack = await provisionLocalStack(
      { dynamodb: createDynamoDbClient(), kinesis: createKinesisClient(), lambda: createLambdaClient(), sqs: new SQSClient({}) },
      { motoUrl: aws.motoUrl, region: aws.region, shardCount: 4 },
    );
    const { tableArn, streamArn } = await load(ITEMS);
    const env = { ...aws.env, KINESIS_STREAM_NAME: stack.streamName, BACKFILL_STATE_TABLE: stack.backfillStateTable };

    const times: Record<string, number[]> = { scan: [], '1': [], '4': [] };
    const ports: Record<string, PortTimes> = { '1': { scan: 0, publish: 0, state: 0 }, '4': { scan: 0, publish: 0, state: 0 } };
    for (let round = 0; round < ROUNDS; round++) {
      times.scan!.push(await bareScanSeconds());
      // Alternate the order so a trend in the machine's load does not favour one side.
      for (const segments of round % 2 === 0 ? [1, 4] : [4, 1]) {
        times[String(segments)]!.push(await backfillSeconds(env, segments, tableArn, streamArn, ports[String(segments)]!));
      }
    }
    const split = (key: string) => {
      const p = ports[key]!;
      return `Scan ${(p.scan / ROUNDS).toFixed(1)} s, publish ${(p.publish / ROUNDS).toFixed(1)} s, state ${(p.state / ROUNDS).toFixed(1)} s`;
    };
    const best = (key: string) => Math.min(...times[key]!);
    const rate = (key: string) => ITEMS / best(key);
    const cpu = cpus();
    const lines = [
      '## backfill',
      '',
      `Backfill of ${ITEMS.toLocaleString('en-US')} items (~250 B each) on moto ${'(DynamoDB)'} + kinesis-mock (4 shards), best of ${ROUNDS} alternating rounds;`,
      'from start() to status `done`: Scan (strongly consistent, 500 items a page), snapshot events through the shared publisher, a checkpoint per page.',
      `Machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, Node ${process.version}.`,
      '',
      '| run | seconds (best) | items/s | vs 1 segment |',
      '| --- | ---: | ---: | ---: |',
      `| baseline: bare sequential Scan, no publishing | ${best('scan').toFixed(2)} | ${rate('scan').toFixed(0)} | ${(rate('scan') / rate('1')).toFixed(2)}x |`,
      `| backfill, 1 segment | ${best('1').toFixed(2)} | ${rate('1').toFixed(0)} | 1.00x |`,
      `| backfill, 4 segments | ${best('4').toFixed(2)} | ${rate('4').toFixed(0)} | ${(rate('4') / rate('1')).toFixed(2)}x |`,
      '',
      `Time inside each port per run (mean, summed over segments): 1 segment: ${split('1')}; 4 segments: ${split('4')}.`,
      '',
      `All rounds (s): scan ${times.scan!.map((t) => t.toFixed(2)).join(', ')}; 1 segment ${times['1']!.map((t) => t.toFixed(2)).join(', ')}; 4 segments ${times['4']!.map((t) => t.toFixed(2)).join(', ')}.`,
      '',
    ];
    console.log(lines.join('\n'));
  } finally {
    restore();
    await aws.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
