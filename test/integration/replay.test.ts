/**
 * `dms-event-bus replay` on moto S3 and kinesis-mock: archive objects written with the
 * template's layout by the Firehose stand-in's writer, read back as JSON lines and onto a
 * stream in exact order and content, and every kind of bad input refused with a message and a
 * non-zero exit code.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { CreateStreamCommand, DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { runCli } from '../../cli/main';
import { createKinesisClient } from '../../src/aws/clients';
import { createS3Client } from '../../src/archive/s3-client';
import { encodeChangeEvent, type ChangeFields } from '../../src/change-event';
import { loadArchiveDeliveryConfig } from '../../local/archive/delivery-config';
import { createS3Sink } from '../../local/archive/s3-sink';
import { createArchiveWriter } from '../../local/archive/writer';
import { useLocalAws } from '../support/local-aws';

jest.setTimeout(120_000);
useLocalAws();

const BUCKET = 'replay-archive';
const ARN = (table: string) => `arn:aws:dynamodb:us-east-1:123456789012:table/${table}`;

function event(table: string, id: string, key: string, sequenceNumber: string, time: string): { text: string; partitionKey: string } {
  const fields: ChangeFields = {
    id, operation: 'modify', tableName: table, tableArn: ARN(table), streamArn: `${ARN(table)}/stream/2026-11-01T00:00:00.000`, region: 'us-east-1',
    keys: { id: { S: key } }, oldImage: null, newImage: { id: { S: key }, seq: { N: sequenceNumber } },
    sequenceNumber, approximateCreationTime: time, readAt: null, ttlDeletion: false,
  };
  const encoded = encodeChangeEvent(fields);
  return { text: Buffer.from(encoded.data).toString('utf8'), partitionKey: encoded.partitionKey };
}

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t), signal: new AbortController().signal });
  return { code, out, err: err.join('\n') };
}

/** Every record of a stream, per shard in shard order. */
async function readStream(streamName: string): Promise<{ partitionKey: string; text: string }[][]> {
  const kinesis = createKinesisClient();
  const { Shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  return Promise.all(Shards.map(async (shard) => {
    let iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    const records: { partitionKey: string; text: string }[] = [];
    for (let round = 0; iterator && round < 5; round++) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator }));
      records.push(...(page.Records ?? []).map((r) => ({ partitionKey: r.PartitionKey!, text: Buffer.from(r.Data!).toString('utf8') })));
      iterator = page.NextShardIterator;
    }
    return records;
  }));
}

describe('replay', () => {
  const s3 = () => createS3Client();
  // Two tables, two dates, several objects per partition, one id delivered twice (Firehose retried).
  const batches = [
    [event('orders', 'o1', 'a', '100', '2026-11-30T10:00:00Z'), event('orders', 'o2', 'b', '101', '2026-11-30T10:00:01Z'), event('items', 'i1', 'x', '5', '2026-12-01T00:00:00Z')],
    [event('orders', 'o3', 'a', '102', '2026-11-30T11:00:00Z'), event('orders', 'o4', 'a', '103', '2026-12-01T09:00:00Z'), event('orders', 'o2', 'b', '101', '2026-11-30T10:00:01Z')],
    [event('items', 'i2', 'x', '6', '2026-12-01T00:00:01Z'), event('orders', 'o5', 'b', '104', '2026-12-01T09:00:01Z')],
  ];
  let keys: string[];

  beforeAll(async () => {
    await s3().send(new CreateBucketCommand({ Bucket: BUCKET }));
    let n = 0;
    const writer = createArchiveWriter({ config: loadArchiveDeliveryConfig(), sink: createS3Sink(s3(), BUCKET), streamName: 'archive', uuid: () => `u${n++}` });
    let arrival = Date.parse('2026-12-01T10:00:00Z');
    for (const batch of batches) {
      await writer.write(batch.map((e) => ({ data: Buffer.from(e.text), arrivedAt: (arrival += 1_000) })));
      await writer.flushAll();
    }
    keys = [...writer.stats().keys];
  });

  /** The archive read independently: objects in key order, lines in order. */
  async function archived(filter: (key: string) => boolean = () => true): Promise<string[]> {
    const lines: string[] = [];
    for (const key of [...keys].sort().filter(filter)) {
      const body = await (await s3().send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToByteArray();
      lines.push(...gunzipSync(body).toString('utf8').split('\n').filter(Boolean));
    }
    return lines;
  }

  it('--json prints every event in key order, then record order, text unchanged, a repeated id once', async () => {
    // Act
    const { code, out, err } = await cli('replay', '--from', `s3://${BUCKET}/changes/`, '--json');
    // Assess
    const expected = (await archived()).filter((line, index, all) => all.findIndex((other) => JSON.parse(other).id === JSON.parse(line).id) === index);
    expect(code).toBe(0);
    expect(out).toEqual(expected);
    expect(out.map((line) => JSON.parse(line).id)).toEqual(['i1', 'i2', 'o1', 'o2', 'o3', 'o4', 'o5']);
    expect(err).toMatch(/7 events from \d+ objects .* printed .*1 repeated ids left out/);
  });

  it.each([
    [['--table', 'orders'], ['o1', 'o2', 'o3', 'o4', 'o5']],
    [['--since', '2026-12-01'], ['i1', 'i2', 'o4', 'o5']],
    [['--table', 'orders', '--until', '2026-11-30'], ['o1', 'o2', 'o3']],
  ])('--json %j selects by table and change date', async (options, ids) => {
    // Act
    const { code, out } = await cli('replay', '--from', `s3://${BUCKET}/changes/`, '--json', ...options);
    // Assess
    expect(code).toBe(0);
    expect(out.map((line) => JSON.parse(line).id)).toEqual(ids);
  });

  it('--to-stream puts every event with its original partition key, per-key order kept', async () => {
    // Prepare
    const kinesis = createKinesisClient();
    await kinesis.send(new CreateStreamCommand({ StreamName: 'replayed', ShardCount: 3 }));
    for (let i = 0; i < 50 && (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'replayed' }))).StreamDescriptionSummary?.StreamStatus !== 'ACTIVE'; i++) await new Promise((r) => setTimeout(r, 100));
    const expected = batches.flat();
    // Act
    const { code, err } = await cli('replay', '--from', `s3://${BUCKET}/changes/`, '--to-stream', 'replayed');
    // Assess
    expect(code).toBe(0);
    expect(err).toMatch(/7 events from \d+ objects .* put on replayed/);
    const shards = await readStream('replayed');
    const onStream = shards.flat();
    expect(onStream).toHaveLength(7);
    for (const record of onStream) expect(record.partitionKey).toBe(expected.find((e) => e.text === record.text)!.partitionKey);
    const archiveOrder = (await cli('replay', '--from', `s3://${BUCKET}/changes/`, '--json')).out;
    for (const shard of shards) {
      for (const key of new Set(shard.map((r) => r.partitionKey))) {
        expect(shard.filter((r) => r.partitionKey === key).map((r) => r.text)).toEqual(archiveOrder.filter((line) => expected.find((e) => e.text === line)!.partitionKey === key));
      }
    }
  });

  describe('bad input: a message and exit code 1, nothing skipped', () => {
    it('no such bucket', async () => {
      // Act
      const { code, err, out } = await cli('replay', '--from', 's3://no-such-bucket-here/changes/', '--json');
      // Assess
      expect([code, out]).toEqual([1, []]);
      expect(err).toMatch(/S3 bucket no-such-bucket-here does not exist/);
    });

    it('no such stream', async () => {
      // Act
      const { code, err } = await cli('replay', '--from', `s3://${BUCKET}/changes/`, '--table', 'items', '--to-stream', 'no-such-stream');
      // Assess
      expect(code).toBe(1);
      expect(err).toMatch(/Kinesis stream no-such-stream not found/);
    });

    it.each([
      ['a line that is not a change event', gzipSync('{"schemaVersion":1,"id":"z"}\n'), /bad\/table=t\/date=2026-12-01\/f\.gz line 1 is not a change event: "operation" must be/],
      ['a line that is not JSON', gzipSync(`${event('t', 'z1', 'k', '1', '2026-12-01T00:00:00Z').text}\nnot json\n`), /line 2: not JSON/],
      ['an unreadable object', Buffer.from('this is not gzip'), /named \.gz but not gzip data/],
    ])('%s', async (_name, body, message) => {
      // Prepare
      await s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'bad/table=t/date=2026-12-01/f.gz', Body: body }));
      // Act
      const { code, err, out } = await cli('replay', '--from', `s3://${BUCKET}/bad/`, '--json');
      // Assess
      expect(code).toBe(1);
      expect(err).toMatch(message);
      expect(out).toEqual([]); // the object is checked whole before any of it goes out
    });

    it('objects outside the archive layout under the prefix', async () => {
      // Prepare
      await s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'errors/processing-failed/2026-12-01/x.gz', Body: gzipSync('{}\n') }));
      // Act
      const { code, err } = await cli('replay', '--from', `s3://${BUCKET}/`, '--json');
      // Assess
      expect(code).toBe(1);
      expect(err).toMatch(/not archive objects .*errors\/processing-failed\/2026-12-01\/x\.gz.*point --from at the archive root/);
    });

    it.each([
      [['--json'], /needs --from/],
      [['--from', `s3://${BUCKET}/changes/`], /exactly one of --to-stream NAME or --json/],
      [['--from', `s3://${BUCKET}/changes/`, '--json', '--since', '2026-12-32'], /--since must be a date/],
      [['--from', `s3://${BUCKET}/changes/`, '--json', '--since', '2026-12-02', '--until', '2026-12-01'], /is after --until/],
      [['--from', 'bucket/changes', '--json'], /--from must be s3:\/\/BUCKET\/PREFIX/],
    ])('usage %j: exit code 2', async (options, message) => {
      // Act
      const { code, err } = await cli('replay', ...options);
      // Assess
      expect(code).toBe(2);
      expect(err).toMatch(message);
    });
  });
});
