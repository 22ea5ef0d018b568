/**
 * The Firehose stand-in, against the template's own settings: the JQ query (run by a real jq)
 * gives the right partition values for every kind of event, the prefix and object names are
 * evaluated as Firehose documents them, and the objects written are gzip JSON lines under
 * exactly the keys the prefix describes.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { changeFieldsFromStreamRecord, encodeChangeEvent, encodeSnapshotEvent, type DynamoDbStreamRecord } from '../../../src/change-event';
import { loadArchiveDeliveryConfig } from '../../../local/archive/delivery-config';
import { extractPartitionKeys } from '../../../local/archive/jq-partitioner';
import { evaluatePrefix, formatTimestamp, objectSuffix, PrefixEvaluationError } from '../../../local/archive/prefix';
import { createArchiveWriter, PARTITIONING_ERROR_TYPE, type ObjectSink } from '../../../local/archive/writer';

const config = loadArchiveDeliveryConfig();
const sample = (name: string) => (JSON.parse(readFileSync(`${__dirname}/../../../events/${name}`, 'utf8')) as { Records: DynamoDbStreamRecord[] }).Records[0]!;
const text = (data: Uint8Array) => Buffer.from(data).toString('utf8');
const streamEvent = (name: string, options = {}) => text(encodeChangeEvent(changeFieldsFromStreamRecord(sample(name)), options).data);
const dateOf = (record: DynamoDbStreamRecord) => new Date(Number(record.dynamodb!.ApproximateCreationDateTime) * 1000).toISOString().slice(0, 10);

describe('the JQ query of the template, run by jq', () => {
  const unconvertible = JSON.stringify({ schemaVersion: 1, id: 'u-1', operation: 'unconvertible', table: 'orders', sequenceNumber: '9', approximateCreationTime: null, readAt: null, ttlDeletion: false, source: { eventSource: 'aws:dynamodb', region: 'us-east-1', tableArn: 'arn:aws:dynamodb:us-east-1:1:table/orders', streamArn: null }, truncated: [], keys: null, old: null, new: null, error: { reason: 'x', message: 'y' } });
  const snapshot = text(encodeSnapshotEvent({ tableName: 'dms_customers', tableArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/dms_customers', region: 'us-east-1', keyAttributeNames: ['id'], item: { id: { S: 'c-1' } }, readAt: new Date('2026-11-30T23:59:59.999Z') }).data);

  it('an unconvertible marker without a time gets the processing date', async () => {
    // Prepare
    const before = new Date().toISOString().slice(0, 10);
    // Act
    const [result] = await extractPartitionKeys([unconvertible], config.metadataExtractionQuery);
    // Assess
    const after = new Date().toISOString().slice(0, 10);
    expect(result).toEqual({ ok: true, keys: { table: 'orders', date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) } });
    expect([before, after]).toContain((result as unknown as { keys: { date: string } }).keys.date);
  });

  it.each([
    ['stream insert', streamEvent('stream-insert.json'), { table: sample('stream-insert.json').eventSourceARN!.split('/')[1], date: dateOf(sample('stream-insert.json')) }],
    ['stream modify', streamEvent('stream-modify.json'), { table: sample('stream-modify.json').eventSourceARN!.split('/')[1], date: dateOf(sample('stream-modify.json')) }],
    ['stream remove', streamEvent('stream-remove.json'), { table: sample('stream-remove.json').eventSourceARN!.split('/')[1], date: dateOf(sample('stream-remove.json')) }],
    ['TTL delete', streamEvent('stream-ttl-delete.json'), { table: sample('stream-ttl-delete.json').eventSourceARN!.split('/')[1], date: dateOf(sample('stream-ttl-delete.json')) }],
    ['snapshot (date of readAt, UTC)', snapshot, { table: 'dms_customers', date: '2026-11-30' }],
    ['oversize, degraded (images dropped)', streamEvent('stream-modify.json', { maxRecordBytes: 700 }), { table: sample('stream-modify.json').eventSourceARN!.split('/')[1], date: dateOf(sample('stream-modify.json')) }],
  ])('%s', async (_name, event, expected) => {
    // Act
    const [result] = await extractPartitionKeys([event], config.metadataExtractionQuery);
    // Assess
    expect(result).toEqual({ ok: true, keys: expected });
  });

  it('the degraded sample really is degraded, and a batch gives one result per record in order', async () => {
    // Prepare
    const degraded = JSON.parse(streamEvent('stream-modify.json', { maxRecordBytes: 700 })) as { truncated: string[] };
    const events = [snapshot, streamEvent('stream-insert.json'), '{"table": null}', 'not json', snapshot];
    // Act
    const results = await extractPartitionKeys(events, config.metadataExtractionQuery);
    // Assess
    expect(degraded.truncated.length).toBeGreaterThan(0);
    expect(results.map((result) => result.ok)).toEqual([true, true, false, false, true]);
    expect(results[0]).toEqual(results[4]);
  });
});

describe('prefix expressions', () => {
  const arrival = new Date('2026-12-01T09:05:03.250Z');

  it('evaluates the template prefix with the query output', () => {
    // Act & Assess
    expect(evaluatePrefix(config.prefix, { partitionKeys: { table: 'orders', date: '2026-11-30' }, arrival })).toBe('changes/table=orders/date=2026-11-30/');
  });

  it('evaluates the error prefix with the error type and the arrival date', () => {
    // Act & Assess
    expect(evaluatePrefix(config.errorOutputPrefix, { arrival, errorOutputType: PARTITIONING_ERROR_TYPE })).toBe('errors/processing-failed/2026-12-01/');
  });

  it.each([
    ["yyyy/MM/dd/HH", '2026/12/01/09'],
    ["'year='yyyy'/month='MM", 'year=2026/month=12'],
    ["yyyy-MM-dd'T'HH:mm:ss", '2026-12-01T09:05:03'],
  ])('formats the timestamp pattern %s', (pattern, expected) => {
    // Act & Assess
    expect(formatTimestamp(pattern, arrival)).toBe(expected);
  });

  it('refuses a prefix whose partition key the query did not give', () => {
    // Act & Assess
    expect(() => evaluatePrefix(config.prefix, { partitionKeys: { table: 'orders' }, arrival })).toThrow(PrefixEvaluationError);
  });

  it('names objects <stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><extension>', () => {
    // Act & Assess
    expect(objectSuffix({ streamName: 's', version: 3, time: arrival, uuid: 'u', extension: '.gz' })).toBe('s-3-2026-12-01-09-05-03-u.gz');
  });
});

describe('objects written by the stand-in', () => {
  function memorySink() {
    const objects = new Map<string, Uint8Array>();
    const sink: ObjectSink = { put: async (key, body) => void objects.set(key, body) };
    return { objects, sink };
  }
  const at = (iso: string) => Date.parse(iso);
  const event = (table: string, id: string, time: string) => ({ data: Buffer.from(JSON.stringify({ schemaVersion: 1, id, operation: 'insert', table, approximateCreationTime: time })), arrivedAt: at('2026-12-01T10:00:00Z') });

  it('one gzip object per partition, every record followed by the delimiter, keys as the prefix describes', async () => {
    // Prepare
    const { objects, sink } = memorySink();
    let n = 0;
    const writer = createArchiveWriter({ config, sink, streamName: 'dms-archive', uuid: () => `u${n++}` });
    // Act
    await writer.write([event('orders', 'a', '2026-11-30T23:59:59Z'), event('orders', 'b', '2026-12-01T00:00:00Z'), event('items', 'c', '2026-12-01T01:00:00Z'), event('orders', 'd', '2026-11-30T12:00:00Z'), { data: Buffer.from('{"no":"table"}'), arrivedAt: at('2026-12-01T10:00:00Z') }]);
    await writer.flushAll();
    // Assess
    const content = Object.fromEntries([...objects].map(([key, body]) => [key, gunzipSync(body).toString('utf8')]));
    const ids = (key: string) => content[key]!.split(config.delimiter).filter(Boolean).map((line) => JSON.parse(line).id);
    expect(Object.keys(content).sort()).toEqual([
      'changes/table=items/date=2026-12-01/dms-archive-1-2026-12-01-10-00-00-u2.gz',
      'changes/table=orders/date=2026-11-30/dms-archive-1-2026-12-01-10-00-00-u0.gz',
      'changes/table=orders/date=2026-12-01/dms-archive-1-2026-12-01-10-00-00-u1.gz',
      'errors/processing-failed/2026-12-01/dms-archive-1-2026-12-01-10-00-00-u3.gz',
    ]);
    expect(ids('changes/table=orders/date=2026-11-30/dms-archive-1-2026-12-01-10-00-00-u0.gz')).toEqual(['a', 'd']);
    for (const key of Object.keys(content)) expect(content[key]!.endsWith('\n')).toBe(true);
    const errorRecord = JSON.parse(content['errors/processing-failed/2026-12-01/dms-archive-1-2026-12-01-10-00-00-u3.gz']!);
    expect(Buffer.from(errorRecord.rawData, 'base64').toString('utf8')).toBe('{"no":"table"}');
    expect(writer.stats()).toMatchObject({ records: 5, objects: 4, errorRecords: 1 });
  });

  it('flushes a buffer when it would exceed the size, and by age', async () => {
    // Prepare
    const { objects, sink } = memorySink();
    let clock = 0;
    const small = { ...config, bufferSizeMiB: 100 / 1_048_576 };
    const writer = createArchiveWriter({ config: small, sink, streamName: 's', intervalMs: 1_000, now: () => clock });
    // Act
    await writer.write([event('t', 'a'.repeat(40), '2026-12-01T00:00:00Z'), event('t', 'b'.repeat(40), '2026-12-01T00:00:00Z')]);
    const afterSize = objects.size;
    clock = 999;
    await writer.flushDue();
    const beforeAge = objects.size;
    clock = 1_000;
    await writer.flushDue();
    // Assess
    expect([afterSize, beforeAge, objects.size]).toEqual([1, 1, 2]);
  });
});
