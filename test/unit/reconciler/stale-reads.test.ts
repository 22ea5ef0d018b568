/**
 * DescribeTable is eventually consistent
 * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DescribeTable.html,
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.ReadConsistency.html):
 * right after UpdateTable it may still describe the previous stream. The reconciler takes
 * the new stream from UpdateTable's own TableDescription, so the mapping, the owner tags and
 * the backfill go to the new stream even while every DescribeTable answer is stale.
 */
import { STREAM_LABEL_TAG_KEY, streamLabelOf } from '../../../reconciler/model';
import { Outcome } from '../../../reconciler/operator';
import { withStaleDescribeTable } from '../../support/stale-reads';
import { FakeAws } from './fake-aws';
import { operatorOn } from './helpers';

/** "Wait for a few seconds, and then try the DescribeTable request again" (API reference). */
const STALE_MS = 10_000;

function staleWorld(env: Record<string, string> = {}) {
  const aws = new FakeAws();
  const tables = withStaleDescribeTable(aws.tablePort, aws.clock, STALE_MS);
  const { operator } = operatorOn(aws, env, { tables });
  return { aws, tables, operator };
}

/** The table's stream, its mappings, tags and backfill runs, read from the fake's real state. */
function where(aws: FakeAws, name: string) {
  const table = aws.tables.get(name)!;
  return {
    streamArn: table.stream.latestArn!,
    mappingStreams: [...aws.mappings.values()].map((m) => m.streamArn).sort(),
    labelTag: table.tags[STREAM_LABEL_TAG_KEY],
    backfillStreams: aws.backfills.filter((b) => b.tableName === name).map((b) => b.streamArn),
  };
}

describe('stale DescribeTable after UpdateTable', () => {
  it('enable: the mapping, tags and backfill go to the new stream although DescribeTable still shows none', async () => {
    // Prepare
    const { aws, tables, operator } = staleWorld();
    aws.addTable('orders');
    // Act
    const summary = await operator.reconcileTables(['orders']);
    // Assess
    const w = where(aws, 'orders');
    expect(tables.staleAnswers).toBeGreaterThan(0);
    expect(summary.tables[0]!.outcome).toBe(Outcome.Changed);
    expect(w.mappingStreams).toEqual([w.streamArn]);
    expect(w.labelTag).toBe(streamLabelOf(w.streamArn));
    expect(w.backfillStreams).toEqual([w.streamArn]);
  });

  it('replace: a stream of another view type is replaced and everything goes to the new one, not the stale old one', async () => {
    // Prepare
    const { aws, tables, operator } = staleWorld({ STREAM_CONFLICT_POLICY: 'replace' });
    const oldArn = aws.newStreamArn('orders');
    aws.addTable('orders', { stream: { enabled: true, viewType: 'KEYS_ONLY', latestArn: oldArn } });
    // Act
    const summary = await operator.reconcileTables(['orders']);
    // Assess
    const w = where(aws, 'orders');
    expect(tables.staleAnswers).toBeGreaterThan(0);
    expect(summary.tables[0]!.outcome).toBe(Outcome.Changed);
    expect(w.streamArn).not.toBe(oldArn);
    expect(w.mappingStreams).toEqual([w.streamArn]);
    expect(w.labelTag).toBe(streamLabelOf(w.streamArn));
    expect(w.backfillStreams).toEqual([w.streamArn]);
  });

  it('re-create (DROP_AND_CREATE): the new table gets its mapping, tags and backfill on its new stream; the old mapping drains', async () => {
    // Prepare
    const { aws, tables, operator } = staleWorld();
    aws.addTable('orders');
    await operator.reconcileTables(['orders']);
    const oldArn = aws.tables.get('orders')!.stream.latestArn!;
    aws.clock.advance(STALE_MS);
    await tables.beforeChange('orders'); // DescribeTable keeps describing the dropped table for a while
    aws.deleteTable('orders');
    aws.addTable('orders');
    // Act
    const duringStaleness = await operator.reconcileTables(['orders'], { expectExists: true });
    aws.clock.advance(STALE_MS);
    const summary = await operator.reconcileTables(['orders'], { expectExists: true });
    // Assess
    const w = where(aws, 'orders');
    expect(duringStaleness.tables[0]!.actions).toEqual([]); // the stale view looks converged: nothing is touched
    expect(summary.tables[0]!.outcome).toBe(Outcome.Changed);
    expect(tables.staleAnswers).toBeGreaterThan(1);
    expect(w.streamArn).not.toBe(oldArn);
    expect(w.mappingStreams).toEqual([oldArn, w.streamArn].sort());
    expect(w.labelTag).toBe(streamLabelOf(w.streamArn));
    expect(w.backfillStreams).toEqual([oldArn, w.streamArn]);
  });

  it('an UpdateTable response without the stream: DescribeTable is polled until it names a new stream, never the previous one', async () => {
    // Prepare
    const aws = new FakeAws();
    const silent = { ...aws.tablePort, enableStream: async (name: string, viewType: string) => { await aws.tablePort.enableStream(name, viewType); return {}; } };
    const tables = withStaleDescribeTable(silent, aws.clock, STALE_MS);
    const { operator } = operatorOn(aws, {}, { tables });
    aws.addTable('orders');
    // Act
    const summary = await operator.reconcileTables(['orders'], { deadline: aws.clock.now() + 60_000 });
    // Assess
    const w = where(aws, 'orders');
    expect(summary.tables[0]!.outcome).toBe(Outcome.Changed);
    expect(w.mappingStreams).toEqual([w.streamArn]);
    expect(w.labelTag).toBe(streamLabelOf(w.streamArn));
    expect(w.backfillStreams).toEqual([w.streamArn]);
  });

  it('a reconcile racing the stale read never deletes the mapping on the new stream', async () => {
    // Prepare
    const { aws, operator } = staleWorld();
    aws.addTable('orders');
    await operator.reconcileTables(['orders']);
    const { streamArn } = where(aws, 'orders');
    // Act: still inside the stale window, DescribeTable says the table has no stream.
    const racing = await operator.reconcileTables(['orders']);
    aws.clock.advance(STALE_MS);
    const settled = await operator.reconcileTables(['orders']);
    // Assess
    expect(racing.tables[0]!.actions.map((a) => a.type)).not.toContain('delete-mapping');
    expect(racing.tables[0]!.outcome).not.toBe(Outcome.Error);
    expect(where(aws, 'orders').mappingStreams).toEqual([streamArn]);
    expect(settled.tables[0]).toMatchObject({ outcome: Outcome.Converged, actions: [] });
  });
});
