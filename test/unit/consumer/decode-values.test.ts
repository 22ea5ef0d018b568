import {
  decimalText,
  decodeChangeEvent,
  decodeGetRecords,
  decodeKinesisEvent,
  fromBase64,
  isIntegral,
  NotAChangeEventError,
  processKinesisBatch,
  toBigInt,
  TombstoneLedger,
  UnsupportedSchemaVersionError,
  ValueFormatError,
  type TombstoneEviction,
} from '../../../src/consumer';
import { changeFieldsFromStreamRecord, encodeChangeEvent, encodeSnapshotEvent } from '../../../src/change-event';
import { change, lambdaRecord } from './events';

describe('decoding', () => {
  it('decodes what the forwarder and the backfill encode', () => {
    // Prepare
    const stream = encodeChangeEvent(
      changeFieldsFromStreamRecord({
        eventID: 'e1',
        eventName: 'INSERT',
        eventSourceARN: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2026-03-01T00:00:00.000',
        awsRegion: 'eu-west-1',
        dynamodb: { Keys: { id: { N: '1' } }, NewImage: { id: { N: '1' }, total: { N: '12345678901234567890.123' } }, SequenceNumber: '100', ApproximateCreationDateTime: 1_772_323_200 },
      } as never),
    );
    const backfilled = encodeSnapshotEvent({ tableName: 'orders', tableArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders', region: 'eu-west-1', keyAttributeNames: ['id'], item: { id: { S: 'a' } }, readAt: new Date() });
    // Act
    const [first, second] = decodeGetRecords([
      { Data: stream.data, SequenceNumber: '1', PartitionKey: stream.partitionKey },
      { Data: backfilled.data, SequenceNumber: '2', PartitionKey: backfilled.partitionKey },
    ]);
    // Assess
    expect(first?.event).toMatchObject({ operation: 'insert', sequenceNumber: '100', new: { total: '12345678901234567890.123' } });
    expect(second?.event).toMatchObject({ operation: 'snapshot', new: { id: 'a' } });
    expect(first?.partitionKey).toBe('orders|{"id":"1"}');
  });

  it('decodes a Lambda Kinesis event with the optional envelope fields', () => {
    // Prepare
    const event = change('5', '2026-03-01T00:00:00Z', {
      redriven: true,
      origin: { commitTime: '2026-03-01T00:00:00Z', changeSequence: '20260301000000000000000000000000001', transactionId: null, streamPosition: null },
    });
    // Act
    const [record] = decodeKinesisEvent({ Records: [lambdaRecord(event, '4960')] });
    // Assess
    expect(record).toEqual({ event, kinesisSequenceNumber: '4960', partitionKey: 'orders|{"id":"1"}' });
  });

  it.each<[string, unknown, RegExp]>([
    ['not JSON', '{"schemaVersion":1,', /Kinesis record 7 is not a change event: its data is not JSON/],
    ['not an object', '[1]', /not a JSON object/],
    ['no schema version', { id: 'x' }, /no numeric "schemaVersion"/],
    ['a bad operation', { ...change('1', '2026-03-01T00:00:00Z'), operation: 'upsert' }, /"operation" must be one of insert, modify, remove, snapshot, unconvertible/],
    ['a non-numeric sequence number', { ...change('1', '2026-03-01T00:00:00Z'), sequenceNumber: '12a' }, /"sequenceNumber" must be decimal digits or null/],
    ['a bad snapshot reason', { ...change('1', '2026-03-01T00:00:00Z'), snapshot: { reason: 'later', runStartedAt: '2026-03-01T00:00:00Z' } }, /"snapshot" must be an object with reason/],
    ['keys null on a change', { ...change('1', '2026-03-01T00:00:00Z'), keys: null }, /"keys" may be null only on an unconvertible marker/],
    ['redriven false', { ...change('1', '2026-03-01T00:00:00Z'), redriven: false }, /"redriven" must be true when present/],
  ])('rejects a record with %s, naming it', (_case, data, message) => {
    // Act
    const decode = () => decodeKinesisEvent({ Records: [lambdaRecord(data, '7')] });
    // Assess
    expect(decode).toThrow(NotAChangeEventError);
    expect(decode).toThrow(message);
  });

  it('rejects another schema version with its own error', () => {
    // Act
    const decode = () => decodeChangeEvent(JSON.stringify({ ...change('1', '2026-03-01T00:00:00Z'), schemaVersion: 2 }));
    // Assess
    expect(decode).toThrow(UnsupportedSchemaVersionError);
    expect(decode).toThrow('has schemaVersion 2; this consumer kit reads version 1');
  });
});

describe('values', () => {
  it.each([
    ['12', 12n],
    ['-0.0', 0n],
    ['1.20E+1', 12n],
    ['99999999999999999999999999999999999999', 99999999999999999999999999999999999999n],
    ['-1E+125', -(10n ** 125n)],
  ])('%s is the bigint %s', (text, expected) => {
    // Act & Assess
    expect(toBigInt(text)).toBe(expected);
    expect(isIntegral(text)).toBe(true);
  });

  it.each([['1.5'], ['1E-130'], ['abc'], [''], [true], [null]])('toBigInt(%p) throws ValueFormatError', (value) => {
    // Act & Assess
    expect(() => toBigInt(value as never)).toThrow(ValueFormatError);
  });

  it('keeps the exact decimal text and reads base64 binaries', () => {
    // Act & Assess
    expect(decimalText('0.1000000000000000000000000000000000001')).toBe('0.1000000000000000000000000000000000001');
    expect(() => decimalText('1,5')).toThrow('not a DynamoDB number: "1,5"');
    expect([...fromBase64('AAEC/w==')]).toEqual([0, 1, 2, 255]);
    expect(() => fromBase64('not base64!')).toThrow(ValueFormatError);
  });
});

describe('processKinesisBatch', () => {
  const records = [lambdaRecord(change('1', '2026-03-01T00:00:01Z'), '101'), lambdaRecord('garbage', '102'), lambdaRecord(change('3', '2026-03-01T00:00:03Z'), '103')];

  it('reports the first failed record only and handles nothing after it', async () => {
    // Prepare
    const handled: string[] = [];
    const failures: unknown[] = [];
    // Act
    const response = await processKinesisBatch({ Records: records }, (record) => void handled.push(record.kinesisSequenceNumber), { onFailure: (failure) => failures.push(failure) });
    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '102' }] });
    expect(handled).toEqual(['101']);
    expect(failures).toEqual([expect.objectContaining({ unhandled: 1, error: expect.any(NotAChangeEventError) })]);
  });

  it('reports a handler failure, and nothing when every record succeeds', async () => {
    // Act
    const failed = await processKinesisBatch({ Records: [records[0]!, records[2]!] }, async (record) => {
      if (record.event.sequenceNumber === '3') throw new Error('read model unavailable');
    });
    const succeeded = await processKinesisBatch({ Records: [records[0]!] }, () => undefined);
    // Assess
    expect(failed).toEqual({ batchItemFailures: [{ itemIdentifier: '103' }] });
    expect(succeeded).toEqual({ batchItemFailures: [] });
  });
});

describe('TombstoneLedger', () => {
  it('drops tombstones past the retention as safe, and the earliest beyond the count as unsafe', () => {
    // Prepare
    const evictions: TombstoneEviction[] = [];
    const ledger = new TombstoneLedger('orders', { retentionMs: 1_000, maxPerTable: 2, onEvicted: (eviction) => evictions.push(eviction) });
    ledger.record('a', 0);
    ledger.record('b', 5_000);
    ledger.record('c', 5_001);
    ledger.record('d', 5_002);
    // Act
    const dropped = ledger.expire(5_002);
    // Assess
    expect(dropped).toEqual(['a', 'b']);
    expect(evictions.map(({ key, safe }) => [key, safe])).toEqual([
      ['a', true],
      ['b', false],
    ]);
    expect(ledger.size).toBe(2);
  });
});
