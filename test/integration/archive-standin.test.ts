/**
 * The Firehose stand-in on the emulators: it reads the change stream from its start
 * (kinesis-mock) and writes objects to moto S3 whose keys are the template's prefix evaluated
 * for each event (table, change date) and whose content is every event once, newline-delimited,
 * gzip; the documented query then gives each table's latest state from them.
 */
import { gunzipSync } from 'node:zlib';
import { CreateStreamCommand, DescribeStreamSummaryCommand, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createKinesisClient } from '../../src/aws/clients';
import { createS3Client } from '../../src/archive/s3-client';
import { encodeChangeEvent, type ChangeFields } from '../../src/change-event';
import { startLocalFirehose } from '../../local/archive/firehose';
import { latestStateFromS3 } from '../../local/archive/query';
import { settleArchive } from '../../local/archive/summary';
import { useLocalAws } from '../support/local-aws';

jest.setTimeout(120_000);
useLocalAws();

const change = (table: string, id: string, key: string, seq: string, time: string, operation: 'insert' | 'modify' | 'remove' = 'insert'): ChangeFields => ({
  id, operation, tableName: table, tableArn: `arn:aws:dynamodb:us-east-1:123456789012:table/${table}`, streamArn: `arn:aws:dynamodb:us-east-1:123456789012:table/${table}/stream/2026-11-01T00:00:00.000`,
  region: 'us-east-1', keys: { id: { S: key } }, oldImage: null, newImage: operation === 'remove' ? null : { id: { S: key }, v: { N: seq } }, sequenceNumber: seq, approximateCreationTime: time, readAt: null, ttlDeletion: false,
});

it('writes the stream to S3 under the template prefix, every event once, and the query reads it', async () => {
  // Prepare
  const kinesis = createKinesisClient();
  const s3 = createS3Client();
  await kinesis.send(new CreateStreamCommand({ StreamName: 'changes', ShardCount: 2 }));
  for (let i = 0; i < 50 && (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: 'changes' }))).StreamDescriptionSummary?.StreamStatus !== 'ACTIVE'; i++) await new Promise((r) => setTimeout(r, 100));
  const events = [
    change('orders', 'e1', 'a', '1', '2026-11-30T23:59:59.000Z'),
    change('orders', 'e2', 'a', '2', '2026-12-01T00:00:00.000Z', 'modify'),
    change('orders', 'e3', 'b', '3', '2026-12-01T00:00:01.000Z'),
    change('orders', 'e4', 'b', '4', '2026-12-01T00:00:02.000Z', 'remove'),
    change('customers', 'e5', 'c', '5', '2026-12-01T08:00:00.000Z'),
  ].map((fields) => encodeChangeEvent(fields));
  await kinesis.send(new PutRecordsCommand({ StreamName: 'changes', Records: events.map((e) => ({ PartitionKey: e.partitionKey, Data: e.data })) }));
  const errors: unknown[] = [];
  const archive = await startLocalFirehose({ kinesis, s3, streamName: 'changes', bucket: 'archive', deliveryStreamName: 'dms-archive', intervalMs: 60_000, onError: (error) => errors.push(error) });
  try {
    // Act
    await settleArchive(archive, { minimum: events.length, quietMs: 1_000 });
    // Assess
    expect(errors).toEqual([]);
    const listed = (await s3.send(new ListObjectsV2Command({ Bucket: 'archive' }))).Contents!.map((object) => object.Key!).sort();
    expect(listed.map((key) => key.replace(/dms-archive-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}\.gz$/, '<object>'))).toEqual([
      'changes/table=customers/date=2026-12-01/<object>',
      'changes/table=orders/date=2026-11-30/<object>',
      'changes/table=orders/date=2026-12-01/<object>',
    ]);
    const lines: string[] = [];
    for (const key of listed) {
      const text = gunzipSync(await (await s3.send(new GetObjectCommand({ Bucket: 'archive', Key: key }))).Body!.transformToByteArray()).toString('utf8');
      expect(text.endsWith('\n')).toBe(true);
      lines.push(...text.split('\n').filter(Boolean));
    }
    expect(lines.sort()).toEqual(events.map((e) => Buffer.from(e.data).toString('utf8')).sort());
    expect(archive.stats()).toMatchObject({ received: 5, records: 5, objects: 3, errorRecords: 0 });
    const orders = await latestStateFromS3(s3, 'archive', 'orders');
    expect(orders.map((row) => row.item)).toEqual([{ id: 'a', v: '2' }]);
  } finally {
    await archive.stop();
  }
});
