/**
 * Mappings on old streams drain before they go. AWS (the fake follows it): a disabled
 * stream stays DISABLED and readable for 24 hours
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html), and a
 * deleted table's stream is deleted 24 hours after DeleteTable
 * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DeleteTable.html).
 * The records the forwarder had not read when the stream was disabled must still reach it.
 */
import { DRAIN_MARGIN_MS, drainVerdict, STREAM_RETENTION_MS, streamLabelTime } from '../../../reconciler/drain';
import { streamLabelOf, type Observed } from '../../../reconciler/model';
import { ErrorKind } from '../../../reconciler/errors';
import { Outcome } from '../../../reconciler/operator';
import { FakeAws } from './fake-aws';
import { operatorOn } from './helpers';

const HOUR = 3600_000;

describe('drainVerdict', () => {
  const table = 'arn:aws:dynamodb:eu-west-1:123456789012:table/t';
  const OLD = `${table}/stream/2026-01-01T00:00:00.000`;
  const NEW = `${table}/stream/2026-01-02T00:00:00.000`;
  const NEW_AT = Date.parse('2026-01-02T00:00:00.000Z');
  const observed = (over: Partial<Observed>): Observed => ({
    tableName: 't', mappings: [], targets: [], policies: [],
    table: { name: 't', arn: table, status: 'ACTIVE', billingMode: 'PROVISIONED', stream: { enabled: true, viewType: 'NEW_AND_OLD_IMAGES', latestArn: NEW }, indexes: [] },
    ...over,
  });

  it.each([
    ['not described: kept', observed({}), { drained: false, reason: 'stream-not-observed' }],
    ['still ENABLED (a stale DescribeTable): kept', observed({ streams: { [OLD]: { status: 'ENABLED' } }, observedAt: NEW_AT + 30 * 24 * HOUR }), { drained: false, reason: 'stream-open' }],
    ['DISABLING: kept', observed({ streams: { [OLD]: { status: 'DISABLING' } }, observedAt: NEW_AT + 30 * 24 * HOUR }), { drained: false, reason: 'stream-open' }],
    ['DISABLED within 24 h + margin of the newer stream: kept until then', observed({ streams: { [OLD]: { status: 'DISABLED' } }, observedAt: NEW_AT + 24 * HOUR }),
      { drained: false, reason: 'stream-readable', removeAfter: NEW_AT + STREAM_RETENTION_MS + DRAIN_MARGIN_MS }],
    ['DISABLED past 24 h + margin of the newer stream: drained', observed({ streams: { [OLD]: { status: 'DISABLED' } }, observedAt: NEW_AT + STREAM_RETENTION_MS + DRAIN_MARGIN_MS }), { drained: true, by: 'retention-passed' }],
    ['DISABLED, table gone (no newer stream to bound it): kept until DynamoDB deletes it', observed({ table: null, streams: { [OLD]: { status: 'DISABLED' } }, observedAt: NEW_AT + 30 * 24 * HOUR }), { drained: false, reason: 'stream-readable' }],
    ['DISABLED, the table names an older stream (stale read): no bound, kept', observed({ table: { ...observed({}).table!, stream: { enabled: true, latestArn: `${table}/stream/2025-12-01T00:00:00.000` } }, streams: { [OLD]: { status: 'DISABLED' } }, observedAt: NEW_AT + 30 * 24 * HOUR }), { drained: false, reason: 'stream-readable' }],
    ['deleted by DynamoDB: drained', observed({ table: null, streams: { [OLD]: { status: 'GONE' } } }), { drained: true, by: 'stream-deleted' }],
  ])('%s', (_name, input, expected) => {
    // Act
    const verdict = drainVerdict(OLD, input);
    // Assess
    expect(verdict).toEqual(expected);
  });

  it('reads a stream label as its UTC creation time, and nothing else as a time', () => {
    expect(streamLabelTime('2015-05-11T21:21:33.291')).toBe(Date.UTC(2015, 4, 11, 21, 21, 33, 291));
    expect(streamLabelTime('not-a-time')).toBeUndefined();
    expect(streamLabelTime(undefined)).toBeUndefined();
  });
});

describe('draining mappings (operator on the fake)', () => {
  it('after DeleteTable, the mapping keeps reading the DISABLED stream; scaling goes at once, the mapping when DynamoDB deletes the stream', async () => {
    // Prepare
    const aws = new FakeAws();
    aws.addTable('orders');
    const { operator } = operatorOn(aws);
    await operator.reconcileTables(['orders']);
    aws.writeRecords('orders', 5); // the forwarder is behind: batching window, retries, throttling
    aws.deleteTable('orders');
    // Act
    const removed = await operator.reconcileTables(['orders']);
    const status = await operator.status(['orders']);
    aws.clock.advance(60_000);
    aws.pollMappings();
    aws.clock.advance(24 * HOUR);
    const swept = await operator.sweep();
    // Assess
    expect(removed.tables[0]).toMatchObject({ outcome: Outcome.Removed, draining: [{ reason: 'stream-readable' }] });
    expect(removed.tables[0]!.actions.map((a) => a.type)).not.toContain('delete-mapping');
    expect(removed.tables[0]!.draining![0]!.removeAfter).toBeUndefined(); // until DynamoDB deletes the stream
    expect(status.tables[0]!.draining).toHaveLength(1);
    expect(aws.delivered.map((d) => d.sequenceNumber)).toEqual([1, 2, 3, 4, 5]);
    expect(swept.tables[0]).toMatchObject({ table: 'orders', outcome: Outcome.Removed, actions: [{ type: 'delete-mapping', drained: 'stream-deleted' }] });
    expect(aws.mappings.size).toBe(0);
    expect(aws.targets.size).toBe(0);
  });

  it('after DROP_AND_CREATE, the old stream is read to its end; its mapping goes when DynamoDB deletes the stream, before the bound status shows', async () => {
    // Prepare
    const aws = new FakeAws();
    aws.addTable('orders');
    const { operator } = operatorOn(aws);
    await operator.reconcileTables(['orders']);
    const oldUuid = [...aws.mappings.keys()][0]!;
    aws.writeRecords('orders', 3);
    aws.deleteTable('orders');
    const deletedAt = aws.clock.now();
    aws.clock.advance(5_000);
    aws.addTable('orders');
    await operator.reconcileTables(['orders'], { expectExists: true });
    const newArn = aws.tables.get('orders')!.stream.latestArn!;
    aws.writeRecords('orders', 2);
    aws.finishBackfills();
    // Act
    aws.pollMappings();
    const status = await operator.status(['orders']);
    aws.clock.advance(deletedAt + 24 * HOUR - aws.clock.now() - 1);
    const before = await operator.reconcileTables(['orders']);
    aws.clock.advance(1);
    const after = await operator.reconcileTables(['orders']);
    // Assess
    const bound = streamLabelTime(streamLabelOf(newArn))! + STREAM_RETENTION_MS + DRAIN_MARGIN_MS;
    expect(status.tables[0]!.draining).toEqual([{ uuid: oldUuid, streamArn: expect.not.stringMatching(newArn), reason: 'stream-readable', removeAfter: bound }]);
    expect(aws.delivered.filter((d) => d.uuid === oldUuid).map((d) => d.sequenceNumber)).toEqual([1, 2, 3]);
    expect(aws.delivered.filter((d) => d.uuid !== oldUuid).map((d) => d.sequenceNumber)).toEqual([4, 5]);
    expect(before.tables[0]!.actions).toEqual([]);
    expect(after.tables[0]!.actions).toEqual([{ type: 'delete-mapping', uuid: oldUuid, streamArn: expect.any(String), reason: 'old-stream', drained: 'stream-deleted' }]);
    expect(aws.clock.now()).toBeLessThan(bound);
    expect([...aws.mappings.values()].map((m) => m.streamArn)).toEqual([newArn]);
  });

  it('a stream disabled by hand is read to its end while the reconciler enables a new one; its mapping goes 24 h (+1 h) after the new stream was created', async () => {
    // Prepare
    const aws = new FakeAws();
    aws.addTable('orders');
    const { operator } = operatorOn(aws);
    await operator.reconcileTables(['orders']);
    const oldUuid = [...aws.mappings.keys()][0]!;
    aws.writeRecords('orders', 4);
    await aws.tablePort.disableStream('orders');
    // Act
    const summary = await operator.reconcileTables(['orders']);
    aws.pollMappings();
    aws.finishBackfills();
    const removeAfter = (await operator.status(['orders'])).tables[0]!.draining![0]!.removeAfter!;
    aws.clock.advance(removeAfter - aws.clock.now() - 1);
    const before = await operator.reconcileTables(['orders']);
    aws.clock.advance(1);
    const after = await operator.reconcileTables(['orders']);
    // Assess
    const newArn = aws.tables.get('orders')!.stream.latestArn!;
    expect(summary.tables[0]!.actions.map((a) => a.type)).toEqual(['enable-stream', 'tag-stream-owner', 'create-mapping', 'start-backfill']);
    // When first kept the newer stream did not exist yet: no bound then, one from the next look on.
    expect(summary.tables[0]!.draining).toEqual([{ uuid: oldUuid, streamArn: expect.any(String), reason: 'stream-readable' }]);
    expect(removeAfter).toBe(streamLabelTime(streamLabelOf(newArn))! + STREAM_RETENTION_MS + DRAIN_MARGIN_MS);
    expect(aws.delivered.map((d) => d.sequenceNumber)).toEqual([1, 2, 3, 4]);
    expect(before.tables[0]!.actions).toEqual([]);
    expect(after.tables[0]!.actions).toEqual([{ type: 'delete-mapping', uuid: oldUuid, streamArn: expect.any(String), reason: 'old-stream', drained: 'retention-passed' }]);
    expect([...aws.mappings.values()].map((m) => m.streamArn)).toEqual([newArn]);
  });

  it('an old stream that cannot be described keeps its mapping and the rest of the table still converges', async () => {
    // Prepare
    const aws = new FakeAws();
    aws.addTable('orders');
    const { operator } = operatorOn(aws);
    await operator.reconcileTables(['orders']);
    aws.deleteTable('orders');
    aws.clock.advance(25 * HOUR); // DynamoDB deleted the stream, but DescribeStream is refused
    aws.failNext.set('DescribeStream', [{ kind: ErrorKind.Terminal, code: 'AccessDeniedException' }]);
    // Act
    const refused = await operator.reconcileTables(['orders']);
    const next = await operator.reconcileTables(['orders']);
    // Assess
    expect(refused.tables[0]).toMatchObject({ outcome: Outcome.Removed, draining: [{ reason: 'stream-not-observed' }] });
    expect(aws.targets.size).toBe(0);
    expect(next.tables[0]!.actions).toEqual([expect.objectContaining({ type: 'delete-mapping', drained: 'stream-deleted' })]);
    expect(aws.mappings.size).toBe(0);
  });
});
