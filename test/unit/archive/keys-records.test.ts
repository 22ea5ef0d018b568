/**
 * The archive's pure parts: which objects a replay reads and in which order, how an object's
 * lines become change events (and which lines are refused), and the partition key a replay
 * gives each event (the one the forwarder gave it).
 */
import { gzipSync } from 'node:zlib';
import { encodeChangeEvent, encodeSnapshotEvent, type ChangeFields } from '../../../src/change-event';
import { ArchiveObjectError, decodeArchiveObject, parseArchiveDate, parseS3Url, partitionKeyOfEvent, selectArchiveObjects } from '../../../src/archive';

const key = (table: string, date: string, file: string) => `changes/table=${table}/date=${date}/dms-archive-1-${file}.gz`;

describe('selectArchiveObjects', () => {
  const listing = [
    key('orders', '2026-11-30', '2026-11-30-23-59-00-b'),
    key('customers', '2026-12-01', '2026-12-01-00-00-05-a'),
    key('orders', '2026-11-30', '2026-11-30-23-58-00-z'),
    key('orders', '2026-12-01', '2026-12-01-00-01-00-a'),
    'changes/',
    'changes/README.txt',
  ];

  it.each([
    ['everything, in key order', {}, [1, 2, 0, 3]],
    ['one table', { table: 'orders' }, [2, 0, 3]],
    ['since (inclusive)', { since: '2026-12-01' }, [1, 3]],
    ['until (inclusive)', { until: '2026-11-30' }, [2, 0]],
    ['table and range', { table: 'orders', since: '2026-11-30', until: '2026-11-30' }, [2, 0]],
  ])('%s', (_name, filter, expected) => {
    // Act
    const selection = selectArchiveObjects(listing, filter);
    // Assess
    expect(selection.objects.map((object) => object.key)).toEqual(expected.map((index) => listing[index]));
    expect(selection.foreign).toEqual(['changes/README.txt']);
  });

  it('reads the partition values from the key', () => {
    // Act
    const [object] = selectArchiveObjects([key('dms_orders.v2', '2026-01-02', 'x')]).objects;
    // Assess
    expect(object).toMatchObject({ table: 'dms_orders.v2', date: '2026-01-02' });
  });
});

describe('options', () => {
  it.each(['2026-13-01', '2026-02-30', '20261201', 'yesterday'])('refuses the date %s', (value) => {
    // Act & Assess
    expect(() => parseArchiveDate(value, '--since')).toThrow(/--since must be a date yyyy-mm-dd/);
  });

  it.each([
    ['s3://my-archive/changes/', { bucket: 'my-archive', prefix: 'changes/' }],
    ['s3://my-archive', { bucket: 'my-archive', prefix: '' }],
  ])('parses %s', (url, expected) => {
    // Act & Assess
    expect(parseS3Url(url)).toEqual(expected);
  });

  it.each(['my-archive/changes', 'https://s3.amazonaws.com/b/k', 's3://UPPER/x'])('refuses --from %s', (url) => {
    // Act & Assess
    expect(() => parseS3Url(url)).toThrow(/--from must be s3:\/\/BUCKET\/PREFIX/);
  });
});

const fields = (over: Partial<ChangeFields> = {}): ChangeFields => ({
  id: 'e1',
  operation: 'modify',
  tableName: 'orders',
  tableArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/orders',
  streamArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2026-11-01T00:00:00.000',
  region: 'us-east-1',
  keys: { id: { S: 'o-1' } },
  oldImage: { id: { S: 'o-1' }, n: { N: '1' } },
  newImage: { id: { S: 'o-1' }, n: { N: '2' } },
  sequenceNumber: '100',
  approximateCreationTime: '2026-11-30T10:00:00.000Z',
  readAt: null,
  ttlDeletion: false,
  ...over,
});
const text = (data: Uint8Array) => Buffer.from(data).toString('utf8');

describe('decodeArchiveObject', () => {
  const lines = [text(encodeChangeEvent(fields()).data), text(encodeChangeEvent(fields({ id: 'e2', sequenceNumber: '101' })).data)];

  it.each([
    ['gzip, newline after every record', gzipSync(`${lines.join('\n')}\n`), 'a.gz'],
    ['uncompressed', Buffer.from(`${lines.join('\n')}\n`), 'a.json'],
  ])('%s: every line, in order, text unchanged', (_name, body, name) => {
    // Act
    const records = decodeArchiveObject(body, name);
    // Assess
    expect(records.map((record) => [record.line, record.text, record.event.id])).toEqual([[1, lines[0], 'e1'], [2, lines[1], 'e2']]);
  });

  it.each([
    ['a line that is not JSON', `${lines[0]}\n{oops\n`, /x\.gz line 2: not JSON/],
    ['an empty line in the middle', `${lines[0]}\n\n${lines[1]}\n`, /x\.gz line 2: not JSON/],
    ['JSON that is not a change event', `${lines[0]}\n{"hello":"world"}\n`, /x\.gz line 2 is not a change event: no numeric "schemaVersion"/],
    ['an unknown operation', `${lines[0]!.replace('"modify"', '"upsert"')}\n`, /x\.gz line 1 is not a change event: "operation" must be one of/],
  ])('refuses %s, naming object and line', (_name, content, message) => {
    // Act & Assess
    expect(() => decodeArchiveObject(gzipSync(content), 'x.gz')).toThrow(message);
  });

  it('refuses an object named .gz that is not gzip, and broken gzip', () => {
    // Act & Assess
    expect(() => decodeArchiveObject(Buffer.from(lines[0]!), 'x.gz')).toThrow(ArchiveObjectError);
    expect(() => decodeArchiveObject(gzipSync(lines[0]!).subarray(0, 20), 'y.gz')).toThrow(/y\.gz: not a readable gzip object/);
  });
});

describe('partitionKeyOfEvent', () => {
  it.each([
    ['a string key', fields()],
    ['a number and a binary key, names out of order', fields({ keys: { sk: { N: '00012.50' }, pk: { B: 'AAEC' } } })],
    ['a long key (hashed form)', fields({ keys: { id: { S: 'x'.repeat(300) } } })],
  ])('gives the partition key the encoder gave: %s', (_name, input) => {
    // Prepare
    const encoded = encodeChangeEvent(input);
    // Act
    const key = partitionKeyOfEvent(JSON.parse(text(encoded.data)));
    // Assess
    expect(key).toBe(encoded.partitionKey);
  });

  it('and for snapshot events', () => {
    // Prepare
    const encoded = encodeSnapshotEvent({ tableName: 'orders', tableArn: fields().tableArn, region: 'us-east-1', keyAttributeNames: ['pk', 'sk'], item: { pk: { S: 'a' }, sk: { N: '2' }, v: { S: 'x' } }, readAt: new Date('2026-11-30T00:00:00Z') });
    // Act & Assess
    expect(partitionKeyOfEvent(JSON.parse(text(encoded.data)))).toBe(encoded.partitionKey);
  });
});
