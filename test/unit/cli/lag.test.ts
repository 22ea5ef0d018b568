import { GetRecordsCommand, GetShardIteratorCommand, KinesisClient, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { formatStatusLag, readStreamLag, statusLag } from '../../../cli/commands/lag';
import { formatLagSummary, lagByTable, type LagEvent } from '../../../local/lag';

/** The fake clock every lag below is measured against. */
const NOW = Date.UTC(2026, 11, 1, 10, 0, 0);
const event = (table: string, arrivedAgoMs: number, commitAgoMs: number | undefined, createdAgoMs: number | undefined, operation = 'modify'): LagEvent => ({
  table,
  operation,
  arrivedAt: NOW - arrivedAgoMs,
  approximateCreationTime: createdAgoMs === undefined ? null : new Date(NOW - createdAgoMs).toISOString(),
  origin: { commitTime: commitAgoMs === undefined ? null : `${new Date(NOW - commitAgoMs).toISOString().slice(0, 23)}123Z` },
});

describe('lagByTable', () => {
  it('measures source lag (commit -> arrival) and stream lag (creation -> arrival) per table, newest by arrival', () => {
    // Prepare
    const events = [
      event('orders', 5_000, 9_000, 6_000),
      event('orders', 1_000, 1_400, 1_200),
      event('customers', 2_000, undefined, 2_500),
      event('orders', 3_000, 3_000, undefined, 'snapshot'),
    ];
    // Act
    const rows = lagByTable(events);
    // Assess
    expect(rows.map((row) => row.table)).toEqual(['customers', 'orders']);
    expect(rows[1]).toMatchObject({ events: 3, withCommitTime: 3, sourceLagLastMs: 400, sourceLagMaxMs: 4_000, streamLagLastMs: 200, streamLagMaxMs: 1_000, lastArrivalAt: NOW - 1_000 });
    expect(rows[0]).toMatchObject({ events: 1, withCommitTime: 0, sourceLagLastMs: undefined, streamLagLastMs: 500 });
  });

  it('counts a source clock ahead of Kinesis as zero lag', () => {
    // Act
    const [row] = lagByTable([event('orders', 0, -2_000, 0)]);
    // Assess
    expect(row?.sourceLagLastMs).toBe(0);
  });

  it('formats the table and the heartbeat line of the local summary', () => {
    // Act
    const text = formatLagSummary({ events: [event('dms_heartbeat', 100, 1_500, 300)], heartbeat: { table: 'dms_heartbeat', beats: 9, beatsOnStream: 7 }, now: NOW });
    // Assess
    expect(text).toContain('dms_heartbeat: 9 beats written (7 with its stream on), 1 on Kinesis, lag last 1.4 s, max 1.4 s');
    expect(text).toMatch(/dms_heartbeat\s+1\s+1\.4 s/);
  });
});

describe('readStreamLag', () => {
  const kinesis = mockClient(KinesisClient);
  afterEach(() => kinesis.reset());
  const data = (value: unknown) => new Uint8Array(Buffer.from(JSON.stringify(value)));

  it('reads every shard from now minus the window until caught up, and skips what is not a change event', async () => {
    // Prepare
    kinesis.on(ListShardsCommand, { StreamName: 'changes' }).resolves({ Shards: [{ ShardId: 's-0' } as never], NextToken: 't1' });
    kinesis.on(ListShardsCommand, { NextToken: 't1' }).resolves({ Shards: [{ ShardId: 's-1' } as never] });
    kinesis.on(GetShardIteratorCommand).callsFake((input) => Promise.resolve({ ShardIterator: `${input.ShardId}-a` }));
    kinesis.on(GetRecordsCommand, { ShardIterator: 's-0-a' }).resolves({
      Records: [{ Data: data({ schemaVersion: 1, table: 'orders', operation: 'insert', approximateCreationTime: new Date(NOW - 3_000).toISOString(), origin: { commitTime: new Date(NOW - 4_000).toISOString() } }), ApproximateArrivalTimestamp: new Date(NOW - 2_000), SequenceNumber: '1', PartitionKey: 'k' }],
      MillisBehindLatest: 1_000,
      NextShardIterator: 's-0-b',
    });
    kinesis.on(GetRecordsCommand, { ShardIterator: 's-0-b' }).resolves({ Records: [{ Data: data('not an event'), ApproximateArrivalTimestamp: new Date(NOW), SequenceNumber: '2', PartitionKey: 'k' }], MillisBehindLatest: 0, NextShardIterator: 's-0-c' });
    kinesis.on(GetRecordsCommand, { ShardIterator: 's-1-a' }).resolves({ Records: [], MillisBehindLatest: 0, NextShardIterator: 's-1-b' });
    // Act
    const lag = await readStreamLag({ client: new KinesisClient({}), streamName: 'changes', windowMs: 30_000, now: () => NOW });
    // Assess
    expect(lag.partial).toBe(false);
    expect(lag.tables).toEqual([expect.objectContaining({ table: 'orders', events: 1, sourceLagLastMs: 2_000, streamLagLastMs: 1_000 })]);
    const iteratorCalls = kinesis.commandCalls(GetShardIteratorCommand).map((call) => call.args[0].input);
    expect(iteratorCalls).toEqual([
      { StreamName: 'changes', ShardId: 's-0', ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date(NOW - 30_000) },
      { StreamName: 'changes', ShardId: 's-1', ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date(NOW - 30_000) },
    ]);
    expect(kinesis.commandCalls(GetRecordsCommand)).toHaveLength(3);
  });

  it('stops at the page limit and says the view is partial', async () => {
    // Prepare: a shard that is always behind
    kinesis.on(ListShardsCommand).resolves({ Shards: [{ ShardId: 's-0' } as never] });
    kinesis.on(GetShardIteratorCommand).resolves({ ShardIterator: 'i' });
    kinesis.on(GetRecordsCommand).resolves({ Records: [], MillisBehindLatest: 60_000, NextShardIterator: 'i' });
    // Act
    const lag = await readStreamLag({ client: new KinesisClient({}), streamName: 'changes', maxPagesPerShard: 3, now: () => NOW });
    // Assess
    expect(lag.partial).toBe(true);
    expect(kinesis.commandCalls(GetRecordsCommand)).toHaveLength(3);
    expect(formatStatusLag(lag, NOW)).toContain('partial');
  });

  it('is skipped without a stream name and rejects a bad window', async () => {
    // Act / Assess
    await expect(statusLag({ client: new KinesisClient({}), streamName: undefined, only: [] })).resolves.toBeUndefined();
    await expect(statusLag({ client: new KinesisClient({}), streamName: 'changes', only: [], windowSeconds: 'soon' })).rejects.toThrow('--lag-window');
  });
});
