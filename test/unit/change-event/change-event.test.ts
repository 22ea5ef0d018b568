import { createHash } from 'node:crypto';
import {
  changeFieldsFromStreamRecord,
  encodeChangeEvent,
  encodeSnapshotEvent,
  EventTooLargeError,
  keysOfItem,
  MAX_PARTITION_KEY_LENGTH,
  parseStreamArn,
  partitionKeyFor,
  snapshotEventId,
  type DynamoDbStreamRecord,
} from '../../../src/change-event';
import { MalformedInputError } from '../../../src/errors';
import { dmsRow, REGION, streamArnOf, streamRecord } from '../../fixtures/forwarder/stream-records';
import { parseValidEvent } from '../../fixtures/forwarder/validate-event';

const encodeRecord = (record: DynamoDbStreamRecord, maxRecordBytes?: number) =>
  encodeChangeEvent(changeFieldsFromStreamRecord(record), { maxRecordBytes });

describe('change event v1 from a stream record', () => {
  it('carries everything a consumer needs, schema-valid', () => {
    // Prepare
    const record = streamRecord({
      table: 'orders',
      eventName: 'MODIFY',
      keys: { order_id: { N: '12345678901234567890123456789012345678' } },
      oldImage: { order_id: { N: '12345678901234567890123456789012345678' }, status: { S: 'PENDING' } },
      newImage: { order_id: { N: '12345678901234567890123456789012345678' }, status: { S: 'SHIPPED' } },
      sequenceNumber: '111100000000012345678901',
      eventId: 'c81e728d9d4c2f636f067f89cc14862c',
      approximateCreationDateTime: 1_795_000_000,
    });
    // Act
    const encoded = encodeRecord(record);
    // Assess
    const event = parseValidEvent(encoded.data);
    expect(event).toEqual({
      schemaVersion: 1,
      id: 'c81e728d9d4c2f636f067f89cc14862c',
      operation: 'modify',
      table: 'orders',
      sequenceNumber: '111100000000012345678901',
      approximateCreationTime: '2026-11-18T11:06:40.000Z',
      readAt: null,
      ttlDeletion: false,
      source: { eventSource: 'aws:dynamodb', region: REGION, tableArn: `arn:aws:dynamodb:${REGION}:123456789012:table/orders`, streamArn: streamArnOf('orders') },
      truncated: [],
      keys: { order_id: '12345678901234567890123456789012345678' },
      old: { order_id: '12345678901234567890123456789012345678', status: 'PENDING' },
      new: { order_id: '12345678901234567890123456789012345678', status: 'SHIPPED' },
    });
    expect(encoded.id).toBe(event.id);
    expect(encoded.partitionKey).toBe('orders|{"order_id":"12345678901234567890123456789012345678"}');
    expect(encoded.bytes).toBe(encoded.data.byteLength + Buffer.byteLength(encoded.partitionKey));
  });

  const operations: Array<['INSERT' | 'MODIFY' | 'REMOVE', string, boolean, boolean]> = [
    ['INSERT', 'insert', false, true],
    ['MODIFY', 'modify', true, true],
    ['REMOVE', 'remove', true, false],
  ];
  it.each(operations)('%s becomes %s with old present=%s, new present=%s', (eventName, operation, hasOld, hasNew) => {
    // Act
    const event = parseValidEvent(encodeRecord(streamRecord({ eventName })).data);
    // Assess
    expect(event.operation).toBe(operation);
    expect(event.old !== null).toBe(hasOld);
    expect(event.new !== null).toBe(hasNew);
  });

  it('flags deletions by TTL, and only those', () => {
    // Act
    const ttl = parseValidEvent(encodeRecord(streamRecord({ eventName: 'REMOVE', ttl: true })).data);
    const user = parseValidEvent(encodeRecord(streamRecord({ eventName: 'REMOVE' })).data);
    // Assess
    expect(ttl.ttlDeletion).toBe(true);
    expect(user.ttlDeletion).toBe(false);
  });

  it('accepts the SDK shapes too (Date creation time, binary bytes)', () => {
    // Prepare
    const record = streamRecord({ keys: { id: { B: new Uint8Array([1, 2, 3]) } as never } });
    (record.dynamodb as { ApproximateCreationDateTime: unknown }).ApproximateCreationDateTime = new Date('2026-01-02T03:04:05.678Z');
    // Act
    const event = parseValidEvent(encodeRecord(record).data);
    // Assess
    expect(event.keys).toEqual({ id: 'AQID' });
    expect(event.approximateCreationTime).toBe('2026-01-02T03:04:05.678Z');
  });

  const malformed: Array<[string, (r: Record<string, unknown>) => void, string]> = [
    ['no eventID', (r) => delete r.eventID, 'no eventID'],
    ['unknown eventName', (r) => (r.eventName = 'UPSERT'), 'unknown eventName "UPSERT"'],
    ['no eventSourceARN', (r) => delete r.eventSourceARN, 'no eventSourceARN'],
    ['a Kinesis ARN', (r) => (r.eventSourceARN = 'arn:aws:kinesis:eu-west-1:1:stream/x'), 'not a DynamoDB stream ARN'],
    ['no dynamodb section', (r) => delete r.dynamodb, 'no dynamodb section'],
    ['no SequenceNumber', (r) => delete (r.dynamodb as Record<string, unknown>).SequenceNumber, 'no SequenceNumber'],
    ['no Keys', (r) => delete (r.dynamodb as Record<string, unknown>).Keys, 'no Keys'],
    ['an image that is a list', (r) => ((r.dynamodb as Record<string, unknown>).NewImage = []), 'NewImage that is not a map'],
    ['a bad creation time', (r) => ((r.dynamodb as Record<string, unknown>).ApproximateCreationDateTime = 'soon'), 'not a time'],
  ];
  it.each(malformed)('rejects a record with %s', (_name, damage, message) => {
    // Prepare
    const record = streamRecord() as unknown as Record<string, unknown>;
    damage(record);
    // Act
    const act = () => changeFieldsFromStreamRecord(record as DynamoDbStreamRecord);
    // Assess
    expect(act).toThrow(MalformedInputError);
    expect(act).toThrow(message);
  });

  it('parses table name, table ARN and region from the stream ARN, any partition', () => {
    // Act
    const source = parseStreamArn('arn:aws-cn:dynamodb:cn-north-1:123456789012:table/dms.orders-2/stream/2026-11-26T13:00:00.000');
    // Assess
    expect(source).toEqual({
      tableName: 'dms.orders-2',
      tableArn: 'arn:aws-cn:dynamodb:cn-north-1:123456789012:table/dms.orders-2',
      region: 'cn-north-1',
      streamArn: 'arn:aws-cn:dynamodb:cn-north-1:123456789012:table/dms.orders-2/stream/2026-11-26T13:00:00.000',
    });
  });
});

describe('size degradation', () => {
  const big = 'x'.repeat(2_000);
  const record = () =>
    streamRecord({
      eventName: 'MODIFY',
      eventId: 'fixed-event-id',
      sequenceNumber: '4200000000000000000001',
      keys: { id: { S: 'k' } },
      oldImage: { id: { S: 'k' }, blob: { S: big } },
      newImage: { id: { S: 'k' }, blob: { S: big } },
    });
  const full = encodeRecord(record()).bytes;

  const cases: Array<[string, number, string[], boolean, boolean]> = [
    ['fits: nothing dropped', full, [], true, true],
    ['one byte over: old dropped', full - 1, ['old'], false, true],
    ['no room for new either: both dropped, keys kept', full - 2_100, ['old', 'new'], false, false],
  ];
  it.each(cases)('%s', (_name, maxRecordBytes, truncated, hasOld, hasNew) => {
    // Act
    const encoded = encodeRecord(record(), maxRecordBytes);
    // Assess
    const event = parseValidEvent(encoded.data);
    expect(encoded.bytes).toBeLessThanOrEqual(maxRecordBytes);
    expect(event.truncated).toEqual(truncated);
    expect(encoded.truncated).toEqual(truncated);
    expect(event.old !== null).toBe(hasOld);
    expect(event.new !== null).toBe(hasNew);
    expect(event.keys).toEqual({ id: 'k' });
  });

  it('drops only images that exist: an oversized INSERT loses new and says so', () => {
    // Act
    const encoded = encodeRecord(streamRecord({ eventName: 'INSERT', keys: { id: { S: 'k' } }, newImage: { id: { S: 'k' }, blob: { S: big } } }), 1_500);
    // Assess
    expect(parseValidEvent(encoded.data).truncated).toEqual(['new']);
  });

  it('degrades events far larger than the encoder\'s reused buffer, and the next event is unaffected', () => {
    // Prepare: images of ~600 KB each (multi-byte text), beyond the encoder's initial 64 KiB buffer
    const huge = 'Grüße € '.repeat(60_000);
    const oversized = streamRecord({ eventName: 'MODIFY', keys: { id: { S: 'k' } }, oldImage: { id: { S: 'k' }, blob: { S: huge } }, newImage: { id: { S: 'k' }, blob: { S: huge } } });
    // Act
    const degraded = encodeRecord(oversized, 1_048_576);
    const next = encodeRecord(streamRecord({ keys: { id: { S: 'n' } } }));
    // Assess
    const event = parseValidEvent(degraded.data);
    expect(degraded.truncated).toEqual(['old']);
    expect(event.new).toEqual({ id: 'k', blob: huge });
    expect(degraded.bytes).toBe(degraded.data.byteLength + Buffer.byteLength(degraded.partitionKey));
    expect(parseValidEvent(next.data).keys).toEqual({ id: 'n' });
  });

  it('fails loudly when even the keys-only event does not fit', () => {
    // Act
    const act = () => encodeRecord(record(), 200);
    // Assess
    expect(act).toThrow(EventTooLargeError);
  });
});

describe('partitionKeyFor', () => {
  it('is the same for the same key whatever the attribute order', () => {
    // Act
    const a = partitionKeyFor('orders', { pk: { S: 'a' }, sk: { N: '1' } });
    const b = partitionKeyFor('orders', { sk: { N: '1' }, pk: { S: 'a' } });
    // Assess
    expect(a).toBe(b);
    expect(a).toBe('orders|{"pk":"a","sk":"1"}');
  });

  it('differs between tables and between items', () => {
    // Act
    const keys = new Set([
      partitionKeyFor('orders', { id: { S: 'a' } }),
      partitionKeyFor('orders2', { id: { S: 'a' } }),
      partitionKeyFor('orders', { id: { S: 'b' } }),
      partitionKeyFor('orders', { id2: { S: 'a' } }),
    ]);
    // Assess
    expect(keys.size).toBe(4);
  });

  it('hashes keys that would exceed 256 characters, deterministically', () => {
    // Prepare
    const keys = { pk: { S: 'ü'.repeat(1_000) }, sk: { B: 'AAAA' } };
    const text = `orders|{"pk":"${'ü'.repeat(1_000)}","sk":"AAAA"}`;
    // Act
    const key = partitionKeyFor('orders', keys);
    // Assess
    expect(key).toBe(createHash('sha256').update(text).digest('hex'));
    expect(key).toHaveLength(64);
  });

  it('keeps a key of exactly 256 characters as text', () => {
    // Prepare: 'orders|{"id":"' is 14 characters, '"}' is 2
    const id = 'a'.repeat(MAX_PARTITION_KEY_LENGTH - 16);
    // Act
    const key = partitionKeyFor('orders', { id: { S: id } });
    // Assess
    expect(key).toHaveLength(MAX_PARTITION_KEY_LENGTH);
    expect(key.startsWith('orders|')).toBe(true);
  });

  it('counts astral characters conservatively (UTF-16 units >= characters)', () => {
    // Act
    const key = partitionKeyFor('t', { id: { S: '🚀'.repeat(126) } });
    // Assess: 126 rockets are 252 units + 13 => hashed although only 139 characters
    expect(key).toHaveLength(64);
  });
});

describe('snapshot events (for the backfill)', () => {
  const input = {
    tableName: 'orders',
    tableArn: `arn:aws:dynamodb:${REGION}:123456789012:table/orders`,
    region: REGION,
    keyAttributeNames: ['order_id'],
    item: dmsRow(7),
    readAt: new Date('2026-11-26T13:00:00.000Z'),
  };

  it('has operation snapshot, old null, new = the item, readAt, and the same partition key as stream changes', () => {
    // Act
    const encoded = encodeSnapshotEvent(input);
    // Assess
    const event = parseValidEvent(encoded.data);
    expect(event).toMatchObject({
      operation: 'snapshot',
      old: null,
      sequenceNumber: null,
      readAt: '2026-11-26T13:00:00.000Z',
      approximateCreationTime: '2026-11-26T13:00:00.000Z',
      keys: { order_id: '100007' },
      source: { streamArn: null, tableArn: input.tableArn },
    });
    expect(event.new?.loyalty_points).toBe('123456789012345678901234567890');
    const change = encodeRecord(streamRecord({ table: 'orders', keys: { order_id: { N: '100007' } } }));
    expect(encoded.partitionKey).toBe(change.partitionKey);
  });

  it('has a deterministic id per table, key and readAt', () => {
    // Act
    const first = encodeSnapshotEvent(input).id;
    const again = encodeSnapshotEvent({ ...input, item: { ...input.item, status: { S: 'CHANGED' } } }).id;
    const later = encodeSnapshotEvent({ ...input, readAt: new Date('2026-11-26T13:00:01.000Z') }).id;
    // Assess
    expect(first).toBe(again);
    expect(first).not.toBe(later);
    expect(first).toBe(snapshotEventId('orders', { order_id: { N: '100007' } }, input.readAt));
    expect(first).toMatch(/^snapshot-[0-9a-f]{64}$/);
  });

  it('rejects an item without its key attributes', () => {
    // Act
    const act = () => keysOfItem({ other: { S: 'x' } }, ['order_id']);
    // Assess
    expect(act).toThrow('no value for key attribute "order_id"');
  });
});
