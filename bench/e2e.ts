/**
 * End-to-end benchmark on the local pipeline: DynamoDB write -> stream -> local poller ->
 * forwarder -> Kinesis record. Reports changes per second and the write-to-Kinesis
 * latency distribution, next to the baseline measured in the same run: the same writes to
 * a table without a stream (the emulator's own write ceiling). Emulators are far slower
 * than AWS: the figures are for spotting regressions, not for promises.
 *
 *   npx tsx bench/e2e.ts [--tables 3] [--writes 3000] [--concurrency 8]
 */
import '../local/esm-interop';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { CreateTableCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import { createDynamoDbClient, createKinesisClient } from '../src/aws/clients';
import { cloudTrailTableEvent } from '../local/cloudtrail';
import { followKinesis } from '../local/kinesis-reader';
import { percentile } from '../local/ledger';
import { startLocalRuntime } from '../local/runtime';
import { parseChangeEvent } from '../local/session';
import { LOCAL_ACCOUNT_ID } from '../local/stack';

const { values } = parseArgs({ options: { tables: { type: 'string' }, writes: { type: 'string' }, concurrency: { type: 'string' } } });
const TABLES = Number(values.tables ?? 3);
const WRITES = Number(values.writes ?? 3000);
const CONCURRENCY = Number(values.concurrency ?? 8);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const tableInput = (name: string) => ({
  TableName: name,
  KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' as const }],
  AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' as const }],
  ProvisionedThroughput: { ReadCapacityUnits: 200, WriteCapacityUnits: 200 },
});

/** Writes `count` items spread over `tables` with `concurrency` writers; returns each write's completion time by id. */
async function writeItems(dynamodb: DynamoDBClient, tables: string[], count: number, prefix: string): Promise<{ doneAt: Map<string, number>; ms: number }> {
  const doneAt = new Map<string, number>();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const i = next++;
        const id = `${prefix}-${i}`;
        await dynamodb.send(new PutItemCommand({ TableName: tables[i % tables.length]!, Item: { id: { S: id }, n: { N: String(i) }, payload: { S: 'x'.repeat(200) } } }));
        doneAt.set(id, Date.now());
      }
    }),
  );
  return { doneAt, ms: performance.now() - started };
}

async function main(): Promise<void> {
  const runtime = await startLocalRuntime({ sweepIntervalMs: 0 });
  try {
    const dynamodb = createDynamoDbClient();
    // Baseline: the emulator's write rate to a table with no stream and no pipeline.
    await dynamodb.send(new CreateTableCommand(tableInput('bench_baseline')));
    const baseline = await writeItems(dynamodb, ['bench_baseline'], WRITES, 'base');

    // Pipeline: tables converged by the reconciler (as after CloudTrail events) before any write.
    const tables = Array.from({ length: TABLES }, (_, i) => `bench_t${i + 1}`);
    for (const name of tables) {
      await dynamodb.send(new CreateTableCommand(tableInput(name)));
      await runtime.invokeReconciler(cloudTrailTableEvent({ eventName: 'CreateTable', region: runtime.region, accountId: LOCAL_ACCOUNT_ID, request: tableInput(name) }));
    }
    for (;;) {
      const mappings = (await runtime.lambda.send(new ListEventSourceMappingsCommand({ FunctionName: runtime.stack.forwarderFunctionArn }))).EventSourceMappings ?? [];
      if (mappings.length >= TABLES && runtime.poller.activeMappings().length >= TABLES) break;
      await runtime.poller.refresh();
      await sleep(100);
    }
    await runtime.idle(); // the (empty) backfills are done
    const arrivals = new Map<string, number>();
    const follower = await followKinesis({
      client: createKinesisClient(),
      streamName: runtime.stack.streamName,
      from: 'LATEST',
      idleMs: 50,
      onRecord: (record) => {
        const event = parseChangeEvent(record.data, record.arrivedAt);
        const id = event?.new?.id ?? event?.keys?.id;
        if (typeof id === 'string' && id.startsWith('pipe-') && !arrivals.has(id)) arrivals.set(id, record.arrivedAt);
      },
    });
    const started = Date.now();
    const pipeline = await writeItems(dynamodb, tables, WRITES, 'pipe');
    const deadline = Date.now() + 300_000;
    while (arrivals.size < WRITES && Date.now() < deadline) await sleep(100);
    const lastArrival = Math.max(...arrivals.values());
    await follower.stop();

    const latencies = [...pipeline.doneAt].filter(([id]) => arrivals.has(id)).map(([id, done]) => Math.max(0, arrivals.get(id)! - done)).sort((a, b) => a - b);
    const baselineRate = (WRITES / baseline.ms) * 1000;
    const writeRate = (WRITES / pipeline.ms) * 1000;
    const endToEnd = (arrivals.size / Math.max(1, lastArrival - started)) * 1000;
    const stats = runtime.poller.stats();
    console.log(`## End to end on the local pipeline (bench/e2e.ts)

${TABLES} tables, ${WRITES} PutItem writes of ~250 bytes with ${CONCURRENCY} concurrent writers; the change stream has ${4} shards.
Machine: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}; moto server + kinesis-mock on loopback.

| measure | value |
|---|---|
| baseline: writes/s to a table without a stream (emulator ceiling) | ${baselineRate.toFixed(0)} |
| writes/s with the pipeline running | ${writeRate.toFixed(0)} (${((writeRate / baselineRate) * 100).toFixed(0)}% of baseline) |
| end-to-end changes/s (first write to last Kinesis record) | ${endToEnd.toFixed(0)} (${((endToEnd / baselineRate) * 100).toFixed(0)}% of baseline) |
| changes that reached Kinesis | ${arrivals.size}/${WRITES} |
| write -> Kinesis latency p50 / p90 / p99 / max | ${percentile(latencies, 50)} / ${percentile(latencies, 90)} / ${percentile(latencies, 99)} / ${latencies[latencies.length - 1] ?? 0} ms |
| forwarder invocations / records per invocation | ${stats.invocations} / ${(stats.recordsDelivered / Math.max(1, stats.invocations)).toFixed(1)} |
`);
  } finally {
    await runtime.stop();
  }
}

main().then(
  () => setTimeout(() => process.exit(0), 100).unref(),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
