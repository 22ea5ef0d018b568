import fc from 'fast-check';
import {
  applyOrigin,
  changeFieldsFromStreamRecord,
  compileOriginOptions,
  encodeChangeEvent,
  encodeSnapshotEvent,
  extractOrigin,
  normalizeCommitTimestamp,
  DEFAULT_ORIGIN_ATTRIBUTES,
  type AttributeMap,
  type AttributeValue,
  type ChangeEventV1,
} from '../../../src/change-event';
import { streamRecord } from '../../fixtures/forwarder/stream-records';
import { parseValidEvent } from '../../fixtures/forwarder/validate-event';

/** What a DMS `add-column` rule per header writes into an item (values as DMS writes strings). */
const headers = (commit = '2026-11-30 12:34:56.123456', seq = '20261130123456120000000000000000017', tx = '0000000000000001', pos = '0000002c:00000a50:0004'): AttributeMap => ({
  dms_commit_timestamp: { S: commit },
  dms_change_seq: { S: seq },
  dms_transaction_id: { S: tx },
  dms_stream_position: { S: pos },
});
const row: AttributeMap = { id: { N: '7' }, status: { S: 'NEW' } };
const DEFAULT = compileOriginOptions();
const KEEP = compileOriginOptions({ attributes: DEFAULT_ORIGIN_ATTRIBUTES, keepAttributes: true });

function encodeWithOrigin(record: ReturnType<typeof streamRecord>, options = DEFAULT): { event: ChangeEventV1; unexpected: number } {
  const fields = changeFieldsFromStreamRecord(record);
  const { unexpected } = applyOrigin(fields, options);
  return { event: parseValidEvent(encodeChangeEvent(fields).data), unexpected };
}

describe('normalizeCommitTimestamp', () => {
  it.each([
    ['2026-11-30 12:34:56.123456', '2026-11-30T12:34:56.123456Z', Date.UTC(2026, 10, 30, 12, 34, 56, 123)],
    ['2026-11-30 12:34:56', '2026-11-30T12:34:56Z', Date.UTC(2026, 10, 30, 12, 34, 56)],
    ['2026-11-30T12:34:56.1234567', '2026-11-30T12:34:56.1234567Z', Date.UTC(2026, 10, 30, 12, 34, 56, 123)],
    ['2026-11-30 12:34:56.5', '2026-11-30T12:34:56.5Z', Date.UTC(2026, 10, 30, 12, 34, 56, 500)],
    ['2026-11-30T12:34:56.000001Z', '2026-11-30T12:34:56.000001Z', Date.UTC(2026, 10, 30, 12, 34, 56, 0)],
    ['2026-12-01 01:30:00.25+02:00', '2026-11-30T23:30:00.25Z', Date.UTC(2026, 10, 30, 23, 30, 0, 250)],
    ['2026-11-30 23:30:00-0130', '2026-12-01T01:00:00Z', Date.UTC(2026, 11, 1, 1, 0, 0)],
  ])('reads %s as %s (every fractional digit kept)', (text, iso, epochMs) => {
    // Act
    const result = normalizeCommitTimestamp(text);
    // Assess
    expect(result).toEqual({ iso, epochMs });
  });

  it.each(['', 'yesterday', '2026-02-30 00:00:00', '2026-11-30 24:00:00', '2026-11-30 12:34', '1795000000', '2026-11-30 12:34:56.1234567890', '2026-11-30 12:34:56+25:00'])(
    'rejects %j',
    (text) => {
      // Act / Assess
      expect(normalizeCommitTimestamp(text)).toBeUndefined();
    },
  );

  it('agrees with Date on the milliseconds of any timestamp in DMS form', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }), fc.stringMatching(/^\d{0,6}$/), (date, subMs) => {
        // Prepare
        const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
        const text = `${iso.slice(0, 10)} ${iso.slice(11, 23)}${subMs}`;
        // Act
        const result = normalizeCommitTimestamp(text);
        // Assess
        expect(result).toEqual({ iso: `${iso.slice(0, 23)}${subMs}Z`, epochMs: date.getTime() });
      }),
    );
  });
});

describe('origin on stream events', () => {
  it.each([
    ['INSERT', { newImage: { ...row, ...headers() } }],
    ['MODIFY', { oldImage: { ...row, ...headers('2026-11-30 12:00:00.000001', '1', 'old-tx', 'old-pos') }, newImage: { ...row, ...headers() } }],
    ['REMOVE', { oldImage: { ...row, ...headers() } }],
  ] as const)('%s: reads the headers from the %s image and removes them from old and new', (eventName, images) => {
    // Prepare
    const record = streamRecord({ eventName, keys: { id: { N: '7' } }, ...images });
    // Act
    const { event, unexpected } = encodeWithOrigin(record);
    // Assess
    expect(event.origin).toEqual({ commitTime: '2026-11-30T12:34:56.123456Z', changeSequence: '20261130123456120000000000000000017', transactionId: '0000000000000001', streamPosition: '0000002c:00000a50:0004' });
    expect(unexpected).toBe(0);
    for (const image of [event.old, event.new]) if (image !== null) expect(image).toEqual({ id: '7', status: 'NEW' });
    expect(event.keys).toEqual({ id: '7' });
  });

  it('keeps the header attributes in the images when asked to', () => {
    // Prepare
    const record = streamRecord({ eventName: 'INSERT', keys: { id: { N: '7' } }, newImage: { ...row, ...headers() } });
    // Act
    const { event } = encodeWithOrigin(record, KEEP);
    // Assess
    expect(event.new).toMatchObject({ id: '7', dms_commit_timestamp: '2026-11-30 12:34:56.123456', dms_change_seq: '20261130123456120000000000000000017' });
    expect(event.origin?.commitTime).toBe('2026-11-30T12:34:56.123456Z');
  });

  it('gives an all-null origin and untouched images when the item carries no header', () => {
    // Prepare
    const record = streamRecord({ eventName: 'MODIFY', keys: { id: { N: '7' } }, oldImage: row, newImage: row });
    // Act
    const { event, unexpected } = encodeWithOrigin(record);
    // Assess
    expect(event.origin).toEqual({ commitTime: null, changeSequence: null, transactionId: null, streamPosition: null });
    expect(event.new).toEqual({ id: '7', status: 'NEW' });
    expect(unexpected).toBe(0);
  });

  it('treats the empty strings DMS writes during the full load as absent', () => {
    // Prepare: full load, per the DMS header table: no change sequence, transaction or position
    const record = streamRecord({ eventName: 'INSERT', keys: { id: { N: '7' } }, newImage: { ...row, ...headers('2026-11-30 09:00:00.000000', '', '', '') } });
    // Act
    const { event, unexpected } = encodeWithOrigin(record);
    // Assess
    expect(event.origin).toEqual({ commitTime: '2026-11-30T09:00:00.000000Z', changeSequence: null, transactionId: null, streamPosition: null });
    expect(event.new).toEqual({ id: '7', status: 'NEW' });
    expect(unexpected).toBe(0);
  });

  it.each<[string, AttributeMap, Partial<NonNullable<ChangeEventV1['origin']>>, number]>([
    ['a commit time that is not a timestamp', { dms_commit_timestamp: { S: 'last tuesday' } }, { commitTime: 'last tuesday' }, 1],
    ['a numeric commit time', { dms_commit_timestamp: { N: '1795000000' } }, { commitTime: '1795000000' }, 1],
    ['a numeric change sequence', { dms_change_seq: { N: '20261130123456120000000000000000017' } }, { changeSequence: '20261130123456120000000000000000017' }, 1],
    ['a change sequence with letters', { dms_change_seq: { S: 'abc' } }, { changeSequence: 'abc' }, 1],
    ['a boolean transaction id', { dms_transaction_id: { BOOL: true } }, { transactionId: 'true' }, 1],
    ['a map stream position', { dms_stream_position: { M: { lsn: { S: '1' } } } }, { streamPosition: '{"lsn":"1"}' }, 1],
    ['a NULL header', { dms_transaction_id: { NULL: true } }, { transactionId: null }, 0],
    ['a value that is no AttributeValue', { dms_stream_position: { X: 1 } as unknown as AttributeValue }, { streamPosition: '{"X":1}' }, 1],
  ])('passes %s through as text and counts it, never failing the record', (_name, extra, expected, count) => {
    // Prepare
    const record = streamRecord({ eventName: 'INSERT', keys: { id: { N: '7' } }, newImage: { ...row, ...extra } });
    // Act
    const fields = changeFieldsFromStreamRecord(record);
    const { unexpected } = applyOrigin(fields, DEFAULT);
    // Assess
    expect(fields.origin).toMatchObject(expected);
    expect(unexpected).toBe(count);
    // The malformed header is removed like any header, so the image stays encodable.
    expect(parseValidEvent(encodeChangeEvent(fields).data).new).toEqual({ id: '7', status: 'NEW' });
  });

  it('uses configured attribute names', () => {
    // Prepare
    const options = compileOriginOptions({ attributes: { commitTime: 'c', changeSequence: 's', transactionId: 't', streamPosition: 'p' }, keepAttributes: false });
    const record = streamRecord({ eventName: 'INSERT', keys: { id: { N: '7' } }, newImage: { ...row, c: { S: '2026-11-30 12:34:56' }, s: { S: '42' }, dms_change_seq: { S: '1' } } });
    // Act
    const { event } = encodeWithOrigin(record, options);
    // Assess
    expect(event.origin).toEqual({ commitTime: '2026-11-30T12:34:56Z', changeSequence: '42', transactionId: null, streamPosition: null });
    expect(event.new).toEqual({ id: '7', status: 'NEW', dms_change_seq: '1' });
  });
});

describe('origin on snapshot events', () => {
  const snapshotInput = (item: AttributeMap) => ({
    tableName: 'orders',
    tableArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders',
    region: 'eu-west-1',
    keyAttributeNames: ['id'],
    item,
    readAt: new Date('2026-11-30T13:00:00Z'),
  });

  it.each([
    ['removed', DEFAULT, { id: '7', status: 'NEW' }],
    ['kept', KEEP, { id: '7', status: 'NEW', ...Object.fromEntries(Object.entries(headers()).map(([name, value]) => [name, value.S])) }],
  ] as const)('reads the headers of the scanned item (%s from new)', (_name, options, expectedNew) => {
    // Act
    const event = parseValidEvent(encodeSnapshotEvent(snapshotInput({ ...row, ...headers() }), {}, options).data);
    // Assess
    expect(event.origin?.commitTime).toBe('2026-11-30T12:34:56.123456Z');
    expect(event.new).toEqual(expectedNew);
  });
});

describe('origin extraction (property)', () => {
  const name = fc.constantFrom('id', 'status', 'dms_commit_timestamp', 'dms_change_seq', 'dms_transaction_id', 'dms_stream_position', 'note');
  const value: fc.Arbitrary<AttributeValue> = fc.oneof(
    fc.string().map((S) => ({ S })),
    fc.integer().map((n) => ({ N: String(n) })),
    fc.boolean().map((BOOL) => ({ BOOL })),
    fc.constant({ NULL: true }),
    fc.dictionary(fc.string({ maxLength: 3 }), fc.string().map((S) => ({ S })), { maxKeys: 2 }).map((M) => ({ M })),
  );
  const image = fc.dictionary(name, value, { maxKeys: 7 });

  it('never fails a record, always yields strings or nulls, and removes exactly the header attributes', () => {
    fc.assert(
      fc.property(fc.constantFrom('INSERT', 'MODIFY', 'REMOVE' as const), image, image, fc.boolean(), (eventName, oldImage, newImage, keep) => {
        // Prepare
        const record = streamRecord({ eventName, keys: { id: { N: '1' } }, oldImage: { id: { N: '1' }, ...oldImage }, newImage: { id: { N: '1' }, ...newImage } });
        if (eventName === 'INSERT') delete record.dynamodb?.OldImage;
        if (eventName === 'REMOVE') delete record.dynamodb?.NewImage;
        // Act
        const { event } = encodeWithOrigin(record, keep ? KEEP : DEFAULT);
        // Assess
        for (const field of Object.values(event.origin ?? {})) expect(field === null || typeof field === 'string').toBe(true);
        const headerNames = Object.values(DEFAULT_ORIGIN_ATTRIBUTES);
        for (const img of [event.old, event.new]) {
          if (img === null) continue;
          expect(Object.keys(img).some((key) => headerNames.includes(key as never))).toBe(keep && Object.keys(img).some((key) => headerNames.includes(key as never)));
          if (!keep) expect(Object.keys(img).filter((key) => headerNames.includes(key as never))).toEqual([]);
        }
        const source = eventName === 'REMOVE' ? oldImage : newImage;
        const seq = source.dms_change_seq;
        if (seq?.S !== undefined) expect(event.origin?.changeSequence).toBe(seq.S === '' ? null : seq.S);
        if (seq === undefined) expect(event.origin?.changeSequence).toBeNull();
      }),
    );
  });

  it('reports a commit time in milliseconds exactly when it is a well-formed timestamp', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.date({ noInvalidDate: true, min: new Date(0), max: new Date('9999-12-31T00:00:00Z') }).map((d) => d.toISOString().replace('T', ' ').slice(0, 23))), (text) => {
        // Act
        const extraction = extractOrigin({ dms_commit_timestamp: { S: text } }, DEFAULT_ORIGIN_ATTRIBUTES);
        // Assess
        const normalized = text === '' ? undefined : normalizeCommitTimestamp(text);
        expect(extraction.commitTimeMs).toBe(normalized?.epochMs);
        expect(extraction.unexpected).toBe(text === '' || normalized ? 0 : 1);
      }),
    );
  });
});
