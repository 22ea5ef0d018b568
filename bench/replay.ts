/**
 * Replay benchmark on the emulators (moto S3, kinesis-mock): records per second of
 * `replay --json` and `replay --to-stream`, each next to its baseline measured in the same run:
 * the raw S3 read of the same objects (list, get, gunzip, split lines: no checks, no output) and
 * the publisher putting the same records from memory (no S3). Rounds alternate so machine load
 * hits both sides alike. Emulators are far slower than AWS: the figures spot regressions.
 *
 *   npx tsx bench/replay.ts [--events 3000] [--rounds 3]   (plus one warm-up round, not counted)
 */
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { CreateStreamCommand, DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { createKinesisClient } from '../src/aws/clients';
import { createS3Client } from '../src/archive/s3-client';
import { createS3ArchiveSource, partitionKeyOfEvent } from '../src/archive';
import { encodeChangeEvent } from '../src/change-event';
import { createKinesisPort, createPublisher, PublishOutcome } from '../src/publisher';
import { runReplay } from '../cli/replay/replay';
import { createStreamSink } from '../cli/replay/sinks';
import { applyEnv, startLocalAws } from '../local/emulators';
import { loadArchiveDeliveryConfig } from '../local/archive/delivery-config';
import { createS3Sink } from '../local/archive/s3-sink';
import { createArchiveWriter } from '../local/archive/writer';

const { values } = parseArgs({ options: { events: { type: 'string' }, rounds: { type: 'string' } } });
const EVENTS = Number(values.events ?? 3_000);
const ROUNDS = Number(values.rounds ?? 3);
const BUCKET = 'bench-archive';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function eventText(i: number): string {
  const table = `dms_t${i % 4}`;
  const arn = `arn:aws:dynamodb:us-east-1:123456789012:table/${table}`;
  return Buffer.from(encodeChangeEvent({
    id: `e${i}`, operation: 'modify', tableName: table, tableArn: arn, streamArn: `${arn}/stream/2026-11-01T00:00:00.000`, region: 'us-east-1',
    keys: { id: { S: `k${i % 1000}` } }, oldImage: { id: { S: `k${i % 1000}` }, n: { N: String(i - 1) }, payload: { S: 'x'.repeat(150) } },
    newImage: { id: { S: `k${i % 1000}` }, n: { N: String(i) }, payload: { S: 'x'.repeat(150) } },
    sequenceNumber: String(1_000_000 + i), approximateCreationTime: new Date(Date.parse('2026-11-30T12:00:00Z') + i * 5_000).toISOString(), readAt: null, ttlDeletion: false,
  }).data).toString('utf8');
}

async function ensureStream(name: string): Promise<void> {
  const kinesis = createKinesisClient();
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 4 }));
  while ((await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary?.StreamStatus !== 'ACTIVE') await new Promise((r) => setTimeout(r, 100));
}

async function main(): Promise<void> {
  const aws = await startLocalAws();
  const restore = applyEnv(aws.env);
  try {
    const s3 = createS3Client();
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const texts = Array.from({ length: EVENTS }, (_, i) => eventText(i));
    const writer = createArchiveWriter({ config: loadArchiveDeliveryConfig(), sink: createS3Sink(s3, BUCKET), streamName: 'bench' });
    for (let start = 0; start < EVENTS; start += 2_500) {
      await writer.write(texts.slice(start, start + 2_500).map((text, i) => ({ data: Buffer.from(text), arrivedAt: Date.parse('2026-12-01T00:00:00Z') + start + i })));
      await writer.flushAll();
    }
    const { objects, bytes } = writer.stats();
    const source = createS3ArchiveSource(s3);
    const rates: Record<string, number[]> = { raw: [], json: [], put: [], stream: [] };
    const record = (round: number, name: string, value: number) => {
      if (round > 0) rates[name]!.push(value); // round 0 warms up the emulators and the code
    };
    for (let round = 0; round <= ROUNDS; round++) {
      const rawRead = async () => {
        const t = performance.now();
        const groups: string[][] = [];
        for (const key of (await source.listKeys(BUCKET, 'changes/')).sort()) groups.push(gunzipSync(await source.getObject(BUCKET, key)).toString('utf8').split('\n').filter(Boolean));
        record(round, 'raw', groups.flat().length / ((performance.now() - t) / 1000));
        return groups;
      };
      const jsonReplay = async () => {
        const t = performance.now();
        const json = await runReplay({ bucket: BUCKET, prefix: 'changes/', filter: {}, source, sink: { write: async () => undefined } });
        record(round, 'json', json.events / ((performance.now() - t) / 1000));
      };
      // Alternate which side goes first.
      let groups: string[][];
      if (round % 2 === 0) {
        groups = await rawRead();
        await jsonReplay();
      } else {
        await jsonReplay();
        groups = await rawRead();
      }

      const baselineStream = `bench-put-${round}`;
      await ensureStream(baselineStream);
      const publisher = createPublisher({ port: createKinesisPort({ client: createKinesisClient(), streamName: baselineStream }), maxAttempts: 8 });
      // The same records in the same batches (one per object) as the replay, from memory.
      const batches = groups.map((group) => group.map((text) => ({ partitionKey: partitionKeyOfEvent(JSON.parse(text)), data: Buffer.from(text) })));
      let t = performance.now();
      for (const batch of batches) {
        const result = await publisher.publish(batch);
        if (result.outcome !== PublishOutcome.Complete) throw new Error(`baseline publish: ${result.outcome}`);
      }
      record(round, 'put', EVENTS / ((performance.now() - t) / 1000));

      const replayStream = `bench-replay-${round}`;
      await ensureStream(replayStream);
      t = performance.now();
      const sink = createStreamSink({ streamName: replayStream, publisher: createPublisher({ port: createKinesisPort({ client: createKinesisClient(), streamName: replayStream }), maxAttempts: 8 }) });
      const streamed = await runReplay({ bucket: BUCKET, prefix: 'changes/', filter: {}, source, sink });
      record(round, 'stream', streamed.events / ((performance.now() - t) / 1000));
    }
    const fmt = (name: string) => `${Math.round(median(rates[name]!)).toLocaleString('en-US')}`;
    console.log('## replay\n');
    console.log(`${EVENTS} events (~${Math.round(texts.reduce((n, t) => n + t.length, 0) / EVENTS)} bytes each) in ${objects} gzip objects (${bytes.toLocaleString('en-US')} bytes) on moto S3; medians of ${ROUNDS} rounds after a warm-up, read paths alternating first, events/s.\n`);
    console.log('| path | replay | baseline (same run) | ratio |');
    console.log('| --- | ---: | ---: | ---: |');
    console.log(`| S3 -> JSON lines (\`--json\`) | ${fmt('json')} | ${fmt('raw')} (raw S3 read: list, get, gunzip, split) | ${(median(rates.json!) / median(rates.raw!)).toFixed(2)} |`);
    console.log(`| S3 -> Kinesis (\`--to-stream\`, 4 shards) | ${fmt('stream')} | ${fmt('put')} (publisher from memory, no S3) | ${(median(rates.stream!) / median(rates.put!)).toFixed(2)} |`);
    console.log('');
  } finally {
    restore();
    await aws.stop();
  }
}

main().then(
  () => setTimeout(() => process.exit(0), 100).unref(),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
