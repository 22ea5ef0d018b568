import { STREAM_TAG_KEY } from '../../../reconciler/model';
import { ReleaseReason } from '../../../reconciler/release/model';
import { createReleaser, ReleaseOutcome } from '../../../reconciler/release/releaser';
import { initialReleaseAllState, releaseAll } from '../../../reconciler/release/release-all';
import { createLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import { FakeAws } from '../reconciler/fake-aws';
import { operatorOn } from '../reconciler/helpers';

const MUTATIONS = ['UpdateTable', 'TagResource', 'UntagResource', 'DeleteEventSourceMapping', 'DeleteScalingPolicy', 'DeregisterScalableTarget', 'CreateEventSourceMapping', 'RegisterScalableTarget', 'PutScalingPolicy'];
const mutations = (aws: FakeAws) => MUTATIONS.reduce((n, op) => n + (aws.calls[op] ?? 0), 0);

function releaserOn(aws: FakeAws) {
  const logs: Record<string, unknown>[] = [];
  const releaser = createReleaser({
    tables: aws.tablePort, mappings: aws.mappingPort, scaling: aws.scalingPort, announcer: aws.announcer, clock: aws.clock,
    logger: createLogger({ service: 'test', level: 'DEBUG', write: (line) => logs.push(JSON.parse(line)) }),
    metrics: createMetrics({ service: 'test', write: () => undefined }),
  });
  return { releaser, logs };
}

async function convergedWorld(names: string[]) {
  const aws = new FakeAws();
  aws.addTable('foreign', { tags: { team: 'x' } }); // never managed: excluded below
  for (const name of names) aws.addTable(name, { indexes: name.endsWith('gsi') ? [{ name: 'by-customer', status: 'ACTIVE' }] : [] });
  await operatorOn(aws, { TABLE_EXCLUDE_PATTERNS: 'foreign' }).operator.sweep();
  aws.calls = {};
  return aws;
}

describe('releaser', () => {
  it('releases a converged table: no mapping, target, policy or tag of ours is left, the stream stays, Table Released announced, actions logged', async () => {
    // Prepare
    const aws = await convergedWorld(['orders_gsi']);
    const stream = aws.tables.get('orders_gsi')!.stream;
    const { releaser, logs } = releaserOn(aws);
    // Act
    const result = await releaser.release('orders_gsi', { reason: ReleaseReason.Requested, trigger: 'cli' });
    // Assess
    expect(result.outcome).toBe(ReleaseOutcome.Released);
    expect(aws.mappings.size).toBe(0);
    expect(aws.targets.size).toBe(0);
    expect(aws.policies.size).toBe(0);
    expect(aws.tables.get('orders_gsi')!.tags).toEqual({});
    expect(aws.tables.get('orders_gsi')!.stream).toEqual(stream);
    expect(aws.tables.get('orders_gsi')!.billingMode).toBe('PROVISIONED');
    const announced = aws.announcements.filter((a) => a.detailType === 'Table Released');
    expect(announced).toHaveLength(1);
    expect(announced[0]!.detail).toMatchObject({ tableName: 'orders_gsi', reason: 'requested', trigger: 'cli', streamDisabled: null, deregisteredTargets: expect.arrayContaining([{ resourceId: 'table/orders_gsi/index/by-customer', dimension: 'dynamodb:index:ReadCapacityUnits' }]) });
    expect(logs.filter((l) => l.message === 'reconciler action').map((l) => l.action)).toEqual(expect.arrayContaining(['untag-table', 'delete-mapping', 'deregister-target', 'delete-policy']));
  });

  it('a second release does nothing (no mutation, no announcement)', async () => {
    // Prepare
    const aws = await convergedWorld(['orders']);
    const { releaser } = releaserOn(aws);
    await releaser.release('orders', { reason: ReleaseReason.Requested });
    aws.calls = {};
    const before = aws.announcements.length;
    // Act
    const again = await releaser.release('orders', { reason: ReleaseReason.Requested });
    // Assess
    expect(again.outcome).toBe(ReleaseOutcome.Nothing);
    expect(mutations(aws)).toBe(0);
    expect(aws.announcements.length).toBe(before);
  });

  it('disables the stream only when asked, and a dry run changes nothing', async () => {
    // Prepare
    const aws = await convergedWorld(['orders']);
    const { releaser } = releaserOn(aws);
    // Act
    const dry = await releaser.release('orders', { reason: ReleaseReason.Requested, disableStream: true, dryRun: true });
    const dryMutations = mutations(aws);
    const real = await releaser.release('orders', { reason: ReleaseReason.Requested, disableStream: true });
    // Assess
    expect(dry.outcome).toBe(ReleaseOutcome.Planned);
    expect(dry.actions[0]!.type).toBe('disable-stream');
    expect(dryMutations).toBe(0);
    expect(real.outcome).toBe(ReleaseOutcome.Released);
    expect(aws.tables.get('orders')!.stream.enabled).toBe(false);
  });

  it('an access-denied part-way reports an error naming what was left; a later release finishes', async () => {
    // Prepare
    const aws = await convergedWorld(['orders']);
    const { releaser } = releaserOn(aws);
    aws.failNext.set('DeregisterScalableTarget', [{ kind: 'terminal', code: 'AccessDeniedException' }]);
    // Act
    const failed = await releaser.release('orders', { reason: ReleaseReason.Uninstall });
    const retried = await releaser.release('orders', { reason: ReleaseReason.Uninstall });
    // Assess
    expect(failed.outcome).toBe(ReleaseOutcome.Error);
    expect(failed.error?.message).toContain('AccessDeniedException');
    expect(failed.left!.map((a) => a.type)).toEqual(['deregister-target', 'delete-policy', 'deregister-target', 'delete-policy']);
    expect(aws.mappings.size).toBe(0); // the mapping went first
    expect(retried.outcome).toBe(ReleaseOutcome.Released);
    expect(aws.targets.size + aws.policies.size).toBe(0);
  });
});

describe('releaseAll', () => {
  const deps = (aws: FakeAws) => ({ tables: aws.tablePort, mappings: aws.mappingPort, scaling: aws.scalingPort, releaser: releaserOn(aws).releaser, tableArn: (n: string) => aws.tableArn(n), clock: aws.clock });

  it('releases every managed table, including a tags-only one and a deleted table\'s leftovers, and leaves other tables alone', async () => {
    // Prepare
    const aws = await convergedWorld(['a', 'b_gsi', 'c']);
    aws.tables.get('foreign')!.tags[STREAM_TAG_KEY] = 'reconciler'; // tags only (someone removed its mapping)
    aws.tables.delete('c'); // deleted: its mapping and scaling are left
    // Act
    const state = await releaseAll(deps(aws), { disableStream: false, deadline: aws.clock.now() + 600_000, checkTags: true, trigger: 'test' }, initialReleaseAllState());
    // Assess
    expect(state).toMatchObject({ phase: 'done', released: 4, failures: [] });
    expect(aws.mappings.size + aws.targets.size + aws.policies.size).toBe(0);
    for (const t of aws.tables.values()) expect(Object.keys(t.tags).filter((k) => k.startsWith('dms-event-bus:'))).toEqual([]);
    expect(aws.tables.get('foreign')!.tags).toEqual({ team: 'x' });
  });

  it('stops at the deadline with a cursor and carries on from it; a second run changes nothing', async () => {
    // Prepare
    const aws = await convergedWorld(Array.from({ length: 12 }, (_, i) => `t${String(i).padStart(2, '0')}`));
    let state = initialReleaseAllState();
    let invocations = 0;
    // Act: each "invocation" gets time for about three tables (the fake clock advances with backoff only, so count calls)
    while (state.phase !== 'done' && invocations < 20) {
      invocations += 1;
      let budget = 3;
      const clock = { now: () => (budget <= 0 ? Number.MAX_SAFE_INTEGER : 0), sleep: async () => undefined };
      const releaser = releaserOn(aws).releaser;
      const counting = { ...releaser, release: async (...args: Parameters<typeof releaser.release>) => { budget -= 1; return releaser.release(...args); } };
      state = await releaseAll({ ...deps(aws), releaser: counting, clock }, { disableStream: false, deadline: 1, checkTags: true, trigger: 'test' }, state);
    }
    aws.calls = {};
    const again = await releaseAll(deps(aws), { disableStream: false, deadline: aws.clock.now() + 600_000, checkTags: true, trigger: 'test' }, initialReleaseAllState());
    // Assess
    expect(invocations).toBeGreaterThan(3);
    expect(state).toMatchObject({ phase: 'done', released: 12, failures: [] });
    expect(aws.mappings.size + aws.targets.size + aws.policies.size).toBe(0);
    expect(again.released).toBe(0);
    expect(mutations(aws)).toBe(0);
  });

  it('records the failed tables with what was left', async () => {
    // Prepare
    const aws = await convergedWorld(['a', 'b']);
    const denied = { kind: 'terminal', code: 'AccessDeniedException' };
    aws.failNext.set('DeleteEventSourceMapping', [denied, denied, denied]); // a (twice: tables, leftovers), then b once
    // Act
    const state = await releaseAll(deps(aws), { disableStream: false, deadline: aws.clock.now() + 600_000, checkTags: true, trigger: 'test' }, initialReleaseAllState());
    // Assess
    expect(state.phase).toBe('done');
    expect(state.failures).toEqual([{ table: 'a', error: expect.stringContaining('AccessDeniedException'), left: expect.arrayContaining([expect.stringMatching(/^mapping /)]) }]);
    expect(state.released).toBe(1); // b: failed in the first phase, released by the leftovers phase
  });
});
