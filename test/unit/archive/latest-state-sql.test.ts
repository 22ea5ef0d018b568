/**
 * The documented "latest state of a table" query (docs/sql/latest-state.duckdb.sql), run by a
 * real SQL engine (DuckDB) over archive objects laid out exactly as the template makes Firehose
 * write them (prefix, JQ partitioning, delimiter and gzip read from template.yaml, written by the
 * stand-in's writer), compared with the expected table and with the consumer kit's Materializer
 * (the merge rule folded event by event) in several orders.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { encodeChangeEvent, encodeSnapshotEvent, type AttributeMap, type ChangeFields } from '../../../src/change-event';
import { loadArchiveDeliveryConfig } from '../../../local/archive/delivery-config';
import { createArchiveWriter, type ObjectSink } from '../../../local/archive/writer';
import { decodeChangeEvent, itemKeyOf, Materializer, type ChangeEvent } from '../../../src/consumer';

const TABLE = 'dms_orders';
const ARN = `arn:aws:dynamodb:us-east-1:123456789012:table/${TABLE}`;
const STREAM_A = `${ARN}/stream/2026-11-01T00:00:00.000`;
const STREAM_B = `${ARN}/stream/2026-11-20T00:00:00.000`;
const STREAM_C = `${ARN}/stream/2026-11-25T00:00:00.000`;

/** Stream events list the key attributes sort key first, snapshots partition key first: the query must not care. */
const streamKeys = (customer: string, order: string): AttributeMap => ({ order: { N: order }, customer: { S: customer } });
const item = (customer: string, order: string, status: string): AttributeMap => ({ customer: { S: customer }, order: { N: order }, status: { S: status }, lines: { L: [{ M: { sku: { S: 'x' }, qty: { N: '2' } } }] } });

let ids = 0;
function change(operation: 'insert' | 'modify' | 'remove', streamArn: string, sequenceNumber: string, time: string, customer: string, order: string, status: string, id?: string): string {
  const fields: ChangeFields = {
    id: id ?? `e${ids++}`, operation, tableName: TABLE, tableArn: ARN, streamArn, region: 'us-east-1',
    keys: streamKeys(customer, order), oldImage: null, newImage: operation === 'remove' ? null : item(customer, order, status),
    sequenceNumber, approximateCreationTime: time, readAt: null, ttlDeletion: false,
  };
  return Buffer.from(encodeChangeEvent(fields).data).toString('utf8');
}
function snapshot(streamArn: string | null, readAt: string, customer: string, order: string, status: string, reason: 'initial' | 'forced' | 'heal', runStartedAt: string): string {
  const encoded = encodeSnapshotEvent({ tableName: TABLE, tableArn: ARN, region: 'us-east-1', keyAttributeNames: ['customer', 'order'], item: item(customer, order, status), readAt: new Date(readAt), streamArn });
  return JSON.stringify({ ...JSON.parse(Buffer.from(encoded.data).toString('utf8')), snapshot: { reason, runStartedAt } });
}
const unconvertible = JSON.stringify({ schemaVersion: 1, id: 'u1', operation: 'unconvertible', table: TABLE, sequenceNumber: '5', approximateCreationTime: '2026-11-26T00:00:00.000Z', readAt: null, ttlDeletion: false, source: { eventSource: 'aws:dynamodb', region: 'us-east-1', tableArn: ARN, streamArn: STREAM_C }, truncated: [], keys: null, old: null, new: null, error: { reason: 'unreadable', message: 'x' } });

/** The archive, in delivery order. Comments: the rule each item exercises and the expected winner. */
const ARCHIVE: string[] = [
  // rule 5: a whole older generation; c0/1 exists only there -> absent; c1/1's older versions are dropped
  change('insert', STREAM_A, '100', '2026-11-01T10:00:00.000Z', 'c0', '1', 'gen-a-only'),
  change('insert', STREAM_A, '101', '2026-11-01T10:00:00.000Z', 'c1', '1', 'gen-a'),
  snapshot(null, '2026-10-31T00:00:00.000Z', 'c1', '1', 'no-stream', 'initial', '2026-10-31T00:00:00.000Z'),
  // rule 2 with big integers: 21 digits beat 20, whatever the arrival order (the lower one is a late redrive)
  snapshot(STREAM_B, '2026-11-20T01:00:00.000Z', 'c1', '1', 'snap-b', 'initial', '2026-11-20T00:59:00.000Z'),
  change('modify', STREAM_B, '100000000000000000001', '2026-11-21T08:00:00.000Z', 'c1', '1', 'latest'),
  change('modify', STREAM_B, '99999999999999999999', '2026-11-21T07:00:00.000Z', 'c1', '1', 'older-redriven'),
  // rule 3: an event older than heal start minus 15 minutes loses to the heal snapshot
  change('insert', STREAM_B, '500', '2026-11-21T10:00:00.000Z', 'c2', '7', 'lost-afterwards'),
  snapshot(STREAM_B, '2026-11-22T00:05:00.000Z', 'c2', '7', 'healed', 'heal', '2026-11-22T00:00:00.000Z'),
  // rule 3: within the heal margin the stream event wins
  snapshot(STREAM_B, '2026-11-22T00:05:00.000Z', 'c3', '7', 'heal-too-late', 'heal', '2026-11-22T00:00:00.000Z'),
  change('modify', STREAM_B, '600', '2026-11-21T23:50:00.000Z', 'c3', '7', 'in-margin'),
  // rule 4: the later readAt wins between snapshots
  snapshot(STREAM_B, '2026-11-21T01:00:00.000Z', 'c4', '1', 'forced-later', 'forced', '2026-11-21T00:59:00.000Z'),
  snapshot(STREAM_B, '2026-11-20T01:00:00.000Z', 'c4', '1', 'initial-earlier', 'initial', '2026-11-20T00:59:00.000Z'),
  // rule 6: a remove leaves a tombstone that beats the older insert and the snapshot
  snapshot(STREAM_B, '2026-11-20T01:00:00.000Z', 'c5', '1', 'snap', 'initial', '2026-11-20T00:59:00.000Z'),
  change('insert', STREAM_B, '700', '2026-11-21T00:00:00.000Z', 'c5', '1', 'inserted'),
  change('remove', STREAM_B, '800', '2026-11-21T01:00:00.000Z', 'c5', '1', ''),
  // rules 3 and 4: the latest snapshot (forced, after a heal) takes the key's largest heal cutoff, so it beats
  // the item's old remove redriven late (its re-insert was lost), in any arrival order
  snapshot(STREAM_B, '2026-11-22T00:05:00.000Z', 'c7', '1', 'healed-back', 'heal', '2026-11-22T00:00:00.000Z'),
  snapshot(STREAM_B, '2026-11-23T00:05:00.000Z', 'c7', '1', 'forced-after-heal', 'forced', '2026-11-23T00:00:00.000Z'),
  change('remove', STREAM_B, '1000', '2026-11-21T03:00:00.000Z', 'c7', '1', ''),
  // a duplicate (same record delivered twice) changes nothing
  change('insert', STREAM_B, '900', '2026-11-21T02:00:00.000Z', 'c6', '1', 'once', 'dup'),
  change('insert', STREAM_B, '900', '2026-11-21T02:00:00.000Z', 'c6', '1', 'once', 'dup'),
  // rule 6: an unconvertible marker of a newer stream changes nothing (and does not start a generation)
  unconvertible,
];

const EXPECTED: Record<string, string> = { 'c1/1': 'latest', 'c2/7': 'healed', 'c3/7': 'in-margin', 'c4/1': 'forced-later', 'c6/1': 'once', 'c7/1': 'forced-after-heal' };
/** The query's canonical item key: attribute names sorted, [name, value] pairs. */
const keyOf = (label: string) => { const [customer, order] = label.split('/'); return JSON.stringify([['customer', customer], ['order', order]]); };

let root: string;
let rows: { item_key: string; keys: Record<string, string>; item: Record<string, unknown>; incomplete: boolean }[];
let objectKeys: string[];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'archive-sql-'));
  const sink: ObjectSink = { put: async (key, body) => { mkdirSync(dirname(join(root, key)), { recursive: true }); writeFileSync(join(root, key), body); } };
  const writer = createArchiveWriter({ config: loadArchiveDeliveryConfig(), sink, streamName: 'dms-archive' });
  // Delivered in three batches, so each partition has several objects, as over a day of buffers.
  let arrival = Date.parse('2026-11-26T00:00:00Z');
  for (const batch of [ARCHIVE.slice(0, 5), ARCHIVE.slice(5, 11), ARCHIVE.slice(11)]) {
    await writer.write(batch.map((text) => ({ data: Buffer.from(text), arrivedAt: (arrival += 1000) })));
    await writer.flushAll();
  }
  objectKeys = [...writer.stats().keys];
  const sql = readFileSync(join(__dirname, '../../../docs/sql/latest-state.duckdb.sql'), 'utf8').replaceAll('{{archive}}', join(root, 'changes')).replaceAll('{{table}}', TABLE);
  const connection = await (await DuckDBInstance.create(':memory:')).connect();
  const result = await connection.runAndReadAll(sql);
  rows = (result.getRowObjectsJson() as { item_key: string; keys: string; item: string; incomplete: boolean }[]).map((row) => ({ ...row, keys: JSON.parse(row.keys), item: JSON.parse(row.item) }));
}, 60_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('latest state from the archive (DuckDB)', () => {
  it('reads objects laid out as the template prefix says, in several partitions and objects', () => {
    // Assess
    expect(objectKeys.every((key) => key.startsWith(`changes/table=${TABLE}/date=`) && key.endsWith('.gz'))).toBe(true);
    expect(new Set(objectKeys.map((key) => key.split('/')[2])).size).toBeGreaterThan(3);
  });

  it('gives exactly the expected items (every rule of the merge rule)', () => {
    // Assess
    expect(Object.fromEntries(rows.map((row) => [row.item_key, row.item.status]))).toEqual(Object.fromEntries(Object.entries(EXPECTED).map(([label, status]) => [keyOf(label), status])));
    expect(rows.every((row) => row.incomplete === false)).toBe(true);
  });

  it('gives the items exactly as the events carried them', () => {
    // Prepare
    const c1 = rows.find((row) => row.item_key === keyOf('c1/1'))!;
    // Assess
    expect(c1.item).toEqual({ customer: 'c1', order: '1', status: 'latest', lines: [{ sku: 'x', qty: '2' }] });
  });

  it.each([
    ['archive order', (events: ChangeEvent[]) => events],
    ['reversed', (events: ChangeEvent[]) => [...events].reverse()],
    ['interleaved', (events: ChangeEvent[]) => [...events.filter((_e, i) => i % 2 === 1), ...events.filter((_e, i) => i % 2 === 0)]],
  ])("equals the consumer kit's Materializer fed the same events (%s)", (_name, order) => {
    // Prepare: the archive spans days of event time and these orders deliver events days late, beyond
    // anything the stream does; the query keeps every remove, so the Materializer keeps every tombstone
    const materializer = new Materializer({ tombstones: { retentionMs: Number.POSITIVE_INFINITY } });
    // Act
    materializer.applyAll(order(ARCHIVE.map((text) => decodeChangeEvent(text))));
    // Assess
    expect(Object.fromEntries(rows.map((row) => [itemKeyOf(TABLE, row.keys), row.item]))).toEqual(Object.fromEntries(materializer.items(TABLE)));
  });
});
