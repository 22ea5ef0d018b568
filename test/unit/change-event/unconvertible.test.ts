/**
 * The unconvertible marker and the optional envelope additions (redriven, snapshot): every
 * shape the encoders produce is schema-valid, and the schema rejects what the format forbids.
 */
import {
  changeFieldsFromStreamRecord,
  convertStreamRecords,
  encodeChangeEvent,
  encodeSnapshotEvent,
  encodeUnconvertibleEvent,
  EventTooLargeError,
  type DynamoDbStreamRecord,
} from '../../../src/change-event';
import { MalformedInputError } from '../../../src/errors';
import { streamRecord } from '../../fixtures/forwarder/stream-records';
import { parseValidEvent } from '../../fixtures/forwarder/validate-event';

const marker = (record: DynamoDbStreamRecord, error: unknown = new MalformedInputError('bad'), options = {}) => {
  const encoded = encodeUnconvertibleEvent(record, error, options);
  return { encoded, event: parseValidEvent(encoded.data) as unknown as Record<string, unknown> };
};

describe('unconvertible marker', () => {
  it('carries table, keys, eventID, sequence number and the reason, on the item\'s partition key', () => {
    // Prepare
    const record = streamRecord({ table: 'orders', keys: { id: { N: '7' } }, newImage: { id: { N: '7' }, v: { N: 'x' } } });
    // Act
    const { events, unconvertible } = convertStreamRecords([record], { maxRecordBytes: 1_048_576 });
    const event = parseValidEvent(events[0]!.data) as unknown as Record<string, unknown>;
    // Assess
    expect(events[0]!.partitionKey).toBe('orders|{"id":"7"}');
    expect(event).toMatchObject({
      id: record.eventID,
      operation: 'unconvertible',
      table: 'orders',
      keys: { id: '7' },
      sequenceNumber: record.dynamodb?.SequenceNumber,
      approximateCreationTime: new Date(1_795_000_000_000).toISOString(),
      old: null,
      new: null,
      error: { reason: 'invalid-attribute-value', message: expect.stringContaining('$.new.v') },
    });
    expect(event).not.toHaveProperty('redriven');
    expect(unconvertible).toEqual([expect.objectContaining({ index: 0, eventID: record.eventID, reason: 'invalid-attribute-value' })]);
  });

  it.each([
    ['no eventSourceARN', (r: DynamoDbStreamRecord) => void delete r.eventSourceARN, null, 'unconvertible|unknown'],
    ['an eventSourceARN that is no stream ARN', (r: DynamoDbStreamRecord) => (r.eventSourceARN = 'arn:aws:kinesis:eu-west-1:1:stream/x'), null, 'unconvertible|arn:aws:kinesis:eu-west-1:1:stream/x'],
    ['unreadable keys', (r: DynamoDbStreamRecord) => ((r.dynamodb as { Keys: unknown }).Keys = { id: { Q: 1 } }), 'orders', 'orders|unconvertible'],
  ])('still publishes a marker with %s', (_name, damage, table, partitionKey) => {
    // Prepare
    const record = streamRecord({ table: 'orders' });
    damage(record);
    // Act
    const { encoded, event } = marker(record);
    // Assess
    expect(encoded.partitionKey).toBe(partitionKey);
    expect(event.table).toBe(table);
    if (table === null) expect(event).toMatchObject({ keys: { id: expect.any(String) }, source: { tableArn: null, streamArn: null } });
    else expect(event.keys).toBeNull();
  });

  it('derives a deterministic id for a record without eventID, and survives records that are not objects', () => {
    // Prepare
    const record = streamRecord();
    delete record.eventID;
    // Act
    const first = marker(record).event.id;
    const again = marker(JSON.parse(JSON.stringify(record)) as DynamoDbStreamRecord).event.id;
    const nothing = marker(null as unknown as DynamoDbStreamRecord).event;
    // Assess
    expect(first).toMatch(/^unconvertible-[0-9a-f]{64}$/);
    expect(again).toBe(first);
    expect(nothing).toMatchObject({ table: null, keys: null, sequenceNumber: null, error: { reason: 'malformed-record' } });
  });

  it('hashes the partition key of an unknown source past 256 characters', () => {
    // Prepare
    const record = streamRecord();
    record.eventSourceARN = `x${'y'.repeat(300)}`;
    // Act & Assess
    expect(marker(record).encoded.partitionKey).toMatch(/^[0-9a-f]{64}$/);
  });

  it('leaves the keys out when even the marker would exceed the record size, and marks a redriven one', () => {
    // Prepare
    const big = { id: { S: 'k'.repeat(3_000) } };
    const record = streamRecord({ keys: big });
    // Act
    const { encoded, event } = marker(record, new EventTooLargeError('too big'), { maxRecordBytes: 2_000, redriven: true });
    // Assess
    expect(encoded.bytes).toBeLessThanOrEqual(2_000);
    expect(event).toMatchObject({ keys: null, redriven: true, error: { reason: 'event-too-large' } });
  });

  it('caps the error message', () => {
    // Act
    const { event } = marker(streamRecord(), new MalformedInputError('m'.repeat(5_000)));
    // Assess
    expect((event.error as { message: string }).message.length).toBeLessThanOrEqual(1_003);
  });
});

describe('optional envelope additions', () => {
  it('writes redriven:true only when set, on a schema-valid event', () => {
    // Prepare
    const fields = changeFieldsFromStreamRecord(streamRecord({ eventName: 'MODIFY' }));
    // Act
    const plain = parseValidEvent(encodeChangeEvent(fields).data);
    const redriven = parseValidEvent(encodeChangeEvent({ ...fields, redriven: true }).data);
    // Assess
    expect(plain).not.toHaveProperty('redriven');
    expect(redriven.redriven).toBe(true);
  });

  it('writes the snapshot object on snapshot events', () => {
    // Prepare
    const input = { tableName: 't', tableArn: 'arn:aws:dynamodb:eu-west-1:1:table/t', region: 'eu-west-1', keyAttributeNames: ['id'], item: { id: { S: 'a' } }, readAt: new Date('2026-12-01T09:00:00Z') };
    // Act
    const event = parseValidEvent(encodeChangeEvent({ ...changeFieldsOfSnapshot(input), snapshot: { reason: 'heal', runStartedAt: '2026-12-01T08:59:00.000Z' } }).data);
    // Assess
    expect(event.snapshot).toEqual({ reason: 'heal', runStartedAt: '2026-12-01T08:59:00.000Z' });
    expect(parseValidEvent(encodeSnapshotEvent(input).data)).not.toHaveProperty('snapshot');
  });

  const valid = () => JSON.parse(Buffer.from(encodeChangeEvent(changeFieldsFromStreamRecord(streamRecord({ eventName: 'MODIFY' }))).data).toString()) as Record<string, unknown>;
  const validMarker = () => JSON.parse(Buffer.from(encodeUnconvertibleEvent(streamRecord(), new MalformedInputError('bad')).data).toString()) as Record<string, unknown>;
  it.each<[string, () => Record<string, unknown>, (e: Record<string, unknown>) => void]>([
    ['a marker without error', validMarker, (e) => delete e.error],
    ['a marker with images', validMarker, (e) => (e.new = { id: 'x' })],
    ['an error on a stream change', valid, (e) => (e.error = { reason: 'malformed-record', message: 'x' })],
    ['a snapshot object on a stream change', valid, (e) => (e.snapshot = { reason: 'heal', runStartedAt: '2026-12-01T08:59:00.000Z' })],
    ['redriven false', valid, (e) => (e.redriven = false)],
    ['a null table on a stream change', valid, (e) => (e.table = null)],
    ['null keys on a stream change', valid, (e) => (e.keys = null)],
    ['an unknown error reason', validMarker, (e) => ((e.error as Record<string, unknown>).reason = 'other')],
  ])('the schema rejects %s', (_name, make, damage) => {
    // Prepare
    const event = make();
    damage(event);
    // Act & Assess
    expect(() => parseValidEvent(JSON.stringify(event))).toThrow('does not match schema');
  });
});

/** The ChangeFields a snapshot event is made of (as encodeSnapshotEvent builds them). */
function changeFieldsOfSnapshot(input: { tableName: string; tableArn: string; region: string; item: Record<string, { S: string }>; readAt: Date }) {
  const readAt = input.readAt.toISOString();
  return {
    id: 'snapshot-x', operation: 'snapshot' as const, tableName: input.tableName, tableArn: input.tableArn, streamArn: null, region: input.region,
    keys: { id: input.item.id! }, oldImage: null, newImage: input.item, sequenceNumber: null, approximateCreationTime: readAt, readAt, ttlDeletion: false,
  };
}
