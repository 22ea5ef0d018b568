import { AwsCallError, ErrorKind } from '../../../reconciler/errors';
import { STREAM_TAG_KEY } from '../../../reconciler/model';
import { Outcome } from '../../../reconciler/operator';
import { FakeAws, fakeClock } from './fake-aws';
import { DLQ_ARN, operatorOn } from './helpers';

const MUTATIONS = [
  'UpdateTable', 'TagResource', 'CreateEventSourceMapping', 'UpdateEventSourceMapping', 'DeleteEventSourceMapping',
  'RegisterScalableTarget', 'PutScalingPolicy', 'DeleteScalingPolicy', 'DeregisterScalableTarget',
];
const mutationCount = (aws: FakeAws) => MUTATIONS.reduce((sum, op) => sum + (aws.calls[op] ?? 0), 0);

describe('operator.reconcileTables', () => {
  it('converges a new DMS table with a GSI, then takes no action on a second run', async () => {
    // Prepare
    const aws = new FakeAws();
    aws.addTable('orders', { indexes: [{ name: 'by-customer', status: 'ACTIVE' }] });
    const { operator } = operatorOn(aws);
    // Act
    const first = await operator.reconcileTables(['orders']);
    aws.calls = {};
    const second = await operator.reconcileTables(['orders']);
    // Assess
    const table = aws.tables.get('orders')!;
    expect(table.stream).toMatchObject({ enabled: true, viewType: 'NEW_AND_OLD_IMAGES' });
    expect(table.tags[STREAM_TAG_KEY]).toBe('reconciler');
    const mappings = [...aws.mappings.values()];
    expect(mappings).toEqual([expect.objectContaining({
      streamArn: table.stream.latestArn, state: 'Enabled', batchSize: 100, batchingWindowSeconds: 0, parallelizationFactor: 1,
      maxRetryAttempts: 10, maxRecordAgeSeconds: -1, bisectOnError: true, functionResponseTypes: ['ReportBatchItemFailures'], onFailureDestination: DLQ_ARN,
    })]);
    expect([...aws.targets.keys()].sort()).toEqual([
      'table/orders/index/by-customer|dynamodb:index:ReadCapacityUnits', 'table/orders/index/by-customer|dynamodb:index:WriteCapacityUnits',
      'table/orders|dynamodb:table:ReadCapacityUnits', 'table/orders|dynamodb:table:WriteCapacityUnits',
    ]);
    expect([...aws.policies.values()].every((p) => p.targetValue === 70 && p.policyType === 'TargetTrackingScaling')).toBe(true);
    expect(aws.policies.size).toBe(4);
    expect(aws.backfills).toEqual([{ tableName: 'orders', streamArn: table.stream.latestArn }]);
    expect(first.tables[0]!.outcome).toBe(Outcome.Changed);
    expect(aws.announcements.map((a) => a.detailType)).toEqual(['Table Ready']);
    expect(aws.announcements[0]!.detail).toMatchObject({ tableName: 'orders', streamArn: table.stream.latestArn, mappingUuid: mappings[0]!.uuid });
    expect(second.tables[0]!.outcome).toBe(Outcome.Converged);
    expect(mutationCount(aws)).toBe(0);
  });

  it.each([
    ['AWS refuses the second mapping (ResourceConflict)', true],
    ['the API accepts duplicates (moto)', false],
  ])('two concurrent reconciles leave exactly one mapping when %s', async (_name, reject) => {
    // Prepare
    const aws = new FakeAws({ rejectDuplicateMappings: reject });
    aws.addTable('orders', { stream: { enabled: true, viewType: 'NEW_AND_OLD_IMAGES', latestArn: aws.newStreamArn('orders') } });
    const a = operatorOn(aws).operator;
    const b = operatorOn(aws).operator;
    // Act
    const results = await Promise.all([a.reconcileTables(['orders']), b.reconcileTables(['orders']), a.reconcileTables(['orders'])]);
    // Assess
    expect(aws.mappings.size).toBe(1);
    expect(results.flatMap((r) => r.tables).every((t) => t.outcome !== Outcome.Error)).toBe(true);
  });

  it('moves the mapping of a dropped and re-created table to its newest stream, the old one once drained', async () => {
    // Prepare
    const aws = new FakeAws();
    aws.addTable('orders');
    const { operator } = operatorOn(aws);
    await operator.reconcileTables(['orders']);
    const oldArn = aws.tables.get('orders')!.stream.latestArn!;
    aws.deleteTable('orders');
    aws.addTable('orders'); // DROP_AND_CREATE: same name, no stream yet
    // Act
    await operator.reconcileTables(['orders']);
    const during = [...aws.mappings.values()].map((m) => m.streamArn).sort();
    aws.finishBackfills();
    aws.clock.advance(26 * 3600_000); // the new stream's creation + 24 h of retention + the 1 h margin
    await operator.reconcileTables(['orders']);
    // Assess
    const newArn = aws.tables.get('orders')!.stream.latestArn!;
    expect(during).toEqual([oldArn, newArn].sort());
    expect([...aws.mappings.values()].map((m) => m.streamArn)).toEqual([newArn]);
    expect(aws.backfills).toHaveLength(2);
  });

  it('removes scaling of a deleted table at once and its mapping once DynamoDB deleted the stream, announcing each', async () => {
    // Prepare
    const aws = new FakeAws();
    aws.addTable('orders', { indexes: [{ name: 'g', status: 'ACTIVE' }] });
    const { operator } = operatorOn(aws);
    await operator.reconcileTables(['orders']);
    const uuid = [...aws.mappings.keys()][0]!;
    aws.deleteTable('orders');
    // Act
    const first = await operator.reconcileTables(['orders']);
    const mappingsAfterFirst = aws.mappings.size;
    aws.clock.advance(24 * 3600_000);
    const later = await operator.reconcileTables(['orders']);
    // Assess
    expect(mappingsAfterFirst).toBe(1);
    expect(aws.mappings.size).toBe(0);
    expect(aws.targets.size).toBe(0);
    expect(aws.policies.size).toBe(0);
    expect(first.tables[0]!.outcome).toBe(Outcome.Removed);
    expect(later.tables[0]).toMatchObject({ outcome: Outcome.Removed, actions: [{ type: 'delete-mapping', uuid, reason: 'table-deleted', drained: 'stream-deleted' }] });
    expect(aws.announcements.filter((a) => a.detailType === 'Table Resources Removed').map((a) => a.detail.deletedMappings)).toEqual([[], [uuid]]);
  });

  it('reports a stream with another view type and leaves it, unless configured to replace it', async () => {
    // Prepare
    const aws = new FakeAws();
    const oldArn = aws.newStreamArn('orders');
    aws.addTable('orders', { stream: { enabled: true, viewType: 'KEYS_ONLY', latestArn: oldArn } });
    // Act
    const reported = await operatorOn(aws).operator.reconcileTables(['orders']);
    const streamAfterReport = { ...aws.tables.get('orders')!.stream };
    await operatorOn(aws, { STREAM_CONFLICT_POLICY: 'replace' }).operator.reconcileTables(['orders']);
    // Assess
    expect(reported.tables[0]!.conflicts.map((c) => c.kind)).toEqual(['stream-view-type']);
    expect(reported.counts.conflicts).toBe(1);
    expect(streamAfterReport).toEqual({ enabled: true, viewType: 'KEYS_ONLY', latestArn: oldArn });
    expect(aws.announcements[0]).toMatchObject({ detailType: 'Table Conflict' });
    const replaced = aws.tables.get('orders')!.stream;
    expect(replaced).toMatchObject({ enabled: true, viewType: 'NEW_AND_OLD_IMAGES' });
    expect(replaced.latestArn).not.toBe(oldArn);
    expect([...aws.mappings.values()].map((m) => m.streamArn)).toEqual([replaced.latestArn]);
  });

  it('switches to on-demand, and treats a refused switch as retry-later, not a failure', async () => {
    // Prepare
    const refused = new FakeAws();
    refused.addTable('a');
    refused.refuseBillingSwitch = true;
    const allowed = new FakeAws();
    allowed.addTable('a');
    // Act
    const refusedRun = await operatorOn(refused, { CAPACITY_MODE: 'on-demand' }).operator.reconcileTables(['a']);
    await operatorOn(allowed, { CAPACITY_MODE: 'on-demand' }).operator.reconcileTables(['a']);
    // Assess
    expect(refusedRun.tables[0]).toMatchObject({ outcome: Outcome.Requeue, retry: 'later' });
    expect(refused.mappings.size).toBe(1); // stream and mapping done before the capacity step
    expect(allowed.tables.get('a')!.billingMode).toBe('PAY_PER_REQUEST');
    expect(allowed.targets.size).toBe(0);
  });

  it('waits for a CREATING table within the deadline, then requeues it if still not ACTIVE', async () => {
    // Prepare
    const aws = new FakeAws();
    aws.addTable('a', { status: 'CREATING' });
    const clock = fakeClock();
    let describes = 0;
    const tables = { ...aws.tablePort, describeTable: async (name: string) => {
      describes += 1;
      if (describes === 3) aws.tables.get('a')!.status = 'ACTIVE';
      return aws.tablePort.describeTable(name);
    } };
    const patient = operatorOn(aws, {}, { tables, clock }).operator;
    const stuck = new FakeAws();
    stuck.addTable('b', { status: 'CREATING' });
    const hurried = operatorOn(stuck, {}, { clock }).operator;
    // Act
    const waited = await patient.reconcileTables(['a'], { deadline: clock.now() + 60_000 });
    const requeued = await hurried.reconcileTables(['b'], { deadline: clock.now() + 2_000 });
    // Assess
    expect(waited.tables[0]!.outcome).toBe(Outcome.Changed);
    expect(requeued.tables[0]).toMatchObject({ outcome: Outcome.Requeue, retry: 'now' });
    expect(stuck.mappings.size).toBe(0);
  });

  it('requeues a table not found right after CreateTable instead of treating it as gone', async () => {
    // Prepare
    const aws = new FakeAws();
    const { operator } = operatorOn(aws);
    // Act
    const summary = await operator.reconcileTables(['new'], { expectExists: true });
    // Assess
    expect(summary.tables[0]).toMatchObject({ outcome: Outcome.Requeue, retry: 'now', reason: 'table not found yet' });
  });

  it('removes leftovers of an older table of that name but still requeues a CreateTable whose table is not visible yet', async () => {
    // Prepare
    const aws = new FakeAws();
    aws.addTable('orders');
    const { operator } = operatorOn(aws);
    await operator.reconcileTables(['orders']);
    aws.deleteTable('orders');
    // Act
    const summary = await operator.reconcileTables(['orders'], { expectExists: true });
    // Assess
    expect(summary.tables[0]).toMatchObject({ outcome: Outcome.Requeue, retry: 'now' });
    expect(aws.targets.size).toBe(0);
    expect(summary.tables[0]!.actions.map((a) => a.type)).not.toContain('delete-mapping'); // its stream is still readable
  });

  it.each([
    ['throttling', ErrorKind.Retryable, 'ThrottlingException'],
    ['a concurrent update', ErrorKind.Retryable, 'ConcurrentUpdateException'],
    ['a mapping created by another run', ErrorKind.Conflict, 'ResourceConflictException'],
  ])('backs off and converges after %s', async (_name, kind, code) => {
    // Prepare
    const aws = new FakeAws();
    aws.addTable('a');
    aws.failNext.set('CreateEventSourceMapping', [{ kind, code }]);
    aws.failNext.set('RegisterScalableTarget', [{ kind: ErrorKind.Retryable, code: 'ThrottlingException' }]);
    // Act
    const summary = await operatorOn(aws).operator.reconcileTables(['a']);
    // Assess
    expect(summary.tables[0]!.outcome).toBe(Outcome.Changed);
    expect(aws.mappings.size).toBe(1);
    expect(aws.targets.size).toBe(2);
  });

  it('reports a terminal failure as an error without retrying it', async () => {
    // Prepare
    const aws = new FakeAws();
    aws.addTable('a');
    aws.failNext.set('TagResource', [{ kind: ErrorKind.Terminal, code: 'AccessDeniedException' }]);
    // Act
    const summary = await operatorOn(aws).operator.reconcileTables(['a']);
    // Assess
    expect(summary.tables[0]).toMatchObject({ outcome: Outcome.Error, error: { name: 'AwsCallError' } });
    expect(summary.counts.errors).toBe(1);
    expect(aws.calls.TagResource).toBe(1);
  });

  it('finishes the backfill hand-off when a previous run enabled the stream but stopped before the mapping', async () => {
    // Prepare
    const aws = new FakeAws();
    aws.addTable('a');
    aws.failNext.set('CreateEventSourceMapping', [{ kind: ErrorKind.Terminal, code: 'AccessDeniedException' }]);
    const { operator } = operatorOn(aws);
    await operator.reconcileTables(['a']);
    // Act
    await operator.reconcileTables(['a']);
    // Assess
    expect(aws.mappings.size).toBe(1);
    expect(aws.backfills).toEqual([{ tableName: 'a', streamArn: aws.tables.get('a')!.stream.latestArn }]);
  });

  it('retries a failing backfill start, then reports the table as an error (not silently converged)', async () => {
    // Prepare
    const flaky = new FakeAws();
    flaky.addTable('a');
    const broken = new FakeAws();
    broken.addTable('a');
    let calls = 0;
    const failTwice = { ...flaky.backfill, start: async () => { calls += 1; if (calls <= 2) throw new Error('state table unavailable'); return 'started' as const; } };
    const alwaysFails = { ...broken.backfill, start: async () => { throw new Error('state table unavailable'); } };
    // Act
    const recovered = await operatorOn(flaky, {}, { backfill: failTwice }).operator.reconcileTables(['a']);
    const failed = await operatorOn(broken, {}, { backfill: alwaysFails }).operator.reconcileTables(['a']);
    // Assess
    expect(recovered.tables[0]!.outcome).toBe(Outcome.Changed);
    expect(calls).toBe(3);
    expect(failed.tables[0]).toMatchObject({ outcome: Outcome.Error, error: { message: 'state table unavailable' } });
  });
  it('does not touch excluded tables, and a dry run changes nothing but returns the plan', async () => {
    // Prepare
    const aws = new FakeAws();
    aws.addTable('awsdms_apply_exceptions');
    aws.addTable('orders');
    const { operator } = operatorOn(aws);
    // Act
    const excluded = await operator.reconcileTables(['awsdms_apply_exceptions']);
    const dry = await operator.reconcileTables(['orders'], { dryRun: true });
    // Assess
    expect(excluded.tables).toEqual([]);
    expect(dry.tables[0]!.outcome).toBe(Outcome.Planned);
    expect(dry.tables[0]!.actions.map((a) => a.type)).toEqual([
      'enable-stream', 'tag-stream-owner', 'create-mapping', 'start-backfill', 'register-target', 'put-policy', 'register-target', 'put-policy',
    ]);
    expect(mutationCount(aws)).toBe(0);
  });

  it('keeps going when an announcement cannot be published', async () => {
    // Prepare
    const aws = new FakeAws();
    aws.addTable('a');
    const announcer = { announce: async () => { throw new AwsCallError(ErrorKind.Retryable, 'PutEvents', 'InternalFailure', 'x'); } };
    // Act
    const summary = await operatorOn(aws, {}, { announcer }).operator.reconcileTables(['a']);
    // Assess
    expect(summary.tables[0]!.outcome).toBe(Outcome.Changed);
  });
});

describe('operator.sweep', () => {
  it('repairs drift, picks up tables created without an event, and cleans up after deleted ones', async () => {
    // Prepare
    const aws = new FakeAws();
    for (const name of ['a', 'b', 'c', 'gone']) aws.addTable(name);
    const { operator } = operatorOn(aws);
    await operator.reconcileTables(['a', 'b', 'c', 'gone']);
    const mappingOf = (t: string) => [...aws.mappings.values()].find((m) => m.streamArn === aws.tables.get(t)!.stream.latestArn)!;
    aws.mappings.set(mappingOf('a').uuid, { ...mappingOf('a'), state: 'Disabled', batchSize: 7 });
    aws.policies.delete('table/b|dynamodb:table:WriteCapacityUnits|dms-event-bus-write-utilization');
    aws.tables.get('c')!.stream = { enabled: false, latestArn: aws.tables.get('c')!.stream.latestArn! };
    aws.deleteTable('gone');
    aws.addTable('new-no-event');
    aws.addTable('awsdms_apply_exceptions');
    // Act
    const summary = await operator.sweep();
    const again = await operator.sweep();
    // Assess
    expect(summary.complete).toBe(true);
    expect(mappingOf('a')).toMatchObject({ state: 'Enabled', batchSize: 100 });
    expect(aws.policies.has('table/b|dynamodb:table:WriteCapacityUnits|dms-event-bus-write-utilization')).toBe(true);
    expect(aws.tables.get('c')!.stream.enabled).toBe(true);
    expect(mappingOf('c')).toBeDefined();
    expect(mappingOf('new-no-event')).toBeDefined();
    expect(aws.tables.get('awsdms_apply_exceptions')!.stream.enabled).toBe(false);
    // Plus the mappings of c's disabled stream and of gone's stream: both drain for 24 hours.
    expect([...aws.mappings.values()]).toHaveLength(6);
    expect(summary.tables.filter((t) => t.draining).map((t) => t.table).sort()).toEqual(['c', 'gone']);
    expect([...aws.targets.keys()].some((k) => k.startsWith('table/gone'))).toBe(false);
    expect(summary.counts).toMatchObject({ seen: 5, changed: 4, removed: 1, errors: 0 });
    expect(again.counts).toMatchObject({ seen: 5, converged: 4, removed: 1, changed: 0 }); // gone: revisited while its mapping drains
  });

  it('with a creator pattern, keeps managed tables converged but adopts no table it never saw an event for', async () => {
    // Prepare
    const aws = new FakeAws();
    aws.addTable('managed');
    aws.addTable('unknown-creator');
    const env = { CREATOR_ROLE_PATTERN: 'arn:aws:iam::*:role/dms-*' };
    await operatorOn(aws, env).operator.reconcileTables(['managed']); // as after a matching CreateTable event
    const uuid = [...aws.mappings.keys()][0]!;
    aws.mappings.set(uuid, { ...aws.mappings.get(uuid)!, state: 'Disabled' });
    // Act
    const summary = await operatorOn(aws, env).operator.sweep();
    // Assess
    expect(summary.tables.map((t) => t.table)).toEqual(['managed']);
    expect(aws.mappings.get(uuid)!.state).toBe('Enabled');
    expect(aws.tables.get('unknown-creator')!.stream.enabled).toBe(false);
  });

  it('announces a standing conflict found by sweeps once, not on every sweep', async () => {
    // Prepare
    const aws = new FakeAws();
    aws.addTable('keys-only', { stream: { enabled: true, viewType: 'KEYS_ONLY', latestArn: aws.newStreamArn('keys-only') } });
    const { operator } = operatorOn(aws);
    // Act
    const first = await operator.sweep();
    const second = await operator.sweep();
    // Assess
    expect(first.counts.conflicts).toBe(1);
    expect(second.counts.conflicts).toBe(1);
    expect(aws.announcements.filter((a) => a.detailType === 'Table Conflict')).toHaveLength(1);
  });

  it('lists mappings, targets and policies once per sweep, not per table (<= 1.5 calls per converged table)', async () => {
    // Prepare
    const aws = new FakeAws();
    const names = Array.from({ length: 300 }, (_, i) => `t${String(i).padStart(4, '0')}`);
    for (const name of names) aws.addTable(name);
    const { operator } = operatorOn(aws, { SWEEP_CONCURRENCY: '8' });
    await operator.sweep();
    aws.calls = {};
    // Act
    const summary = await operator.sweep();
    // Assess
    expect(summary.counts.converged).toBe(300);
    expect(aws.calls.DescribeTable).toBe(300);
    expect(aws.calls.ListEventSourceMappings).toBe(3);
    expect(aws.calls.DescribeScalableTargets).toBe(12);
    expect(aws.calls.DescribeScalingPolicies).toBe(60);
    expect(aws.totalCalls() / 300).toBeLessThanOrEqual(1.5);
  });

  it('stops before the deadline with a cursor and carries on from it in the next run', async () => {
    // Prepare
    const aws = new FakeAws();
    for (let i = 0; i < 10; i++) aws.addTable(`t${i}`);
    const clock = fakeClock();
    const slow = { ...aws.tablePort, describeTable: async (name: string) => { clock.advance(1_000); return aws.tablePort.describeTable(name); } };
    const { operator } = operatorOn(aws, { SWEEP_CONCURRENCY: '1', SWEEP_TIME_RESERVE_SECONDS: '1' }, { tables: slow, clock });
    // Act
    const first = await operator.sweep({ deadline: clock.now() + 4_500 });
    const second = await operator.sweep({ deadline: clock.now() + 60_000 });
    // Assess
    expect(first.complete).toBe(false);
    // Each new table costs two DescribeTable calls (before and after enabling its stream): 2 s here.
    expect(first.cursor).toBe('t1');
    expect(first.tables.map((t) => t.table)).toEqual(['t0', 't1']);
    expect(second.complete).toBe(true);
    expect(second.tables.map((t) => t.table)).toEqual(['t2', 't3', 't4', 't5', 't6', 't7', 't8', 't9', 't0', 't1']);
    expect(aws.mappings.size).toBe(10);
  });
});

describe('operator: the backfill as desired state', () => {
  const MINUTE = 60_000;
  const failingStart = (aws: FakeAws) => ({ ...aws.backfill, start: async () => { throw new Error('state table unavailable'); } });

  it('a backfill whose start failed for good is started by a later sweep, then left alone', async () => {
    // Prepare
    const aws = new FakeAws();
    aws.addTable('orders');
    const failed = await operatorOn(aws, {}, { backfill: failingStart(aws) }).operator.reconcileTables(['orders']);
    const { operator } = operatorOn(aws);
    // Act
    const sweep = await operator.sweep();
    aws.calls = {};
    const again = await operator.sweep();
    // Assess
    const streamArn = aws.tables.get('orders')!.stream.latestArn;
    expect(failed.tables[0]).toMatchObject({ outcome: Outcome.Error, error: { message: 'state table unavailable' } });
    expect(aws.targets.size).toBe(2); // capacity did not wait for the failed backfill start
    expect(sweep.tables[0]!.actions).toEqual([{ type: 'start-backfill', reason: 'no-run' }]);
    expect(aws.backfills).toEqual([{ tableName: 'orders', streamArn }]);
    expect(aws.backfillStore.rows.get('orders')!.value).toMatchObject({ streamArn, status: 'running', reason: 'stream-enabled' });
    expect(again.counts.converged).toBe(1);
    expect(aws.calls.Invoke).toBeUndefined();
  });

  it('a single-table reconcile also starts a missing backfill (one GetItem to observe it)', async () => {
    // Prepare
    const aws = new FakeAws();
    aws.addTable('orders');
    await operatorOn(aws, {}, { backfill: failingStart(aws) }).operator.reconcileTables(['orders']);
    const { operator } = operatorOn(aws);
    // Act
    const result = await operator.reconcileTables(['orders']);
    aws.calls = {};
    const again = await operator.reconcileTables(['orders']);
    // Assess
    expect(result.tables[0]!.actions).toEqual([{ type: 'start-backfill', reason: 'no-run' }]);
    expect(aws.backfills).toHaveLength(1);
    expect(again.tables[0]!.outcome).toBe(Outcome.Converged);
    expect(aws.calls.GetItem).toBe(1);
    expect(aws.calls.ListTagsOfResource).toBeUndefined();
  });

  it('a sweep resumes a failed run and kicks a stalled one, and leaves a done run and a progressing run alone', async () => {
    // Prepare
    const aws = new FakeAws();
    for (const name of ['done', 'failed', 'progressing', 'stalled']) aws.addTable(name);
    const { operator } = operatorOn(aws);
    await operator.sweep();
    const runIds = new Map([...aws.backfillStore.rows].map(([name, row]) => [name, row.value.runId]));
    aws.clock.advance(16 * MINUTE); // past the starter's 15 min stall threshold
    const set = (name: string, status: 'running' | 'done' | 'failed', updatedAt: number) => {
      const row = aws.backfillStore.rows.get(name)!;
      aws.backfillStore.rows.set(name, { value: { ...row.value, status, updatedAt }, version: row.version + 1 });
    };
    set('done', 'done', aws.clock.now() - 20 * MINUTE);
    set('failed', 'failed', aws.clock.now() - 1 * MINUTE);
    set('progressing', 'running', aws.clock.now() - 1 * MINUTE);
    aws.backfills.length = 0;
    // Act
    const sweep = await operator.sweep();
    // Assess
    const started = Object.fromEntries(sweep.tables.filter((t) => t.actions.length > 0).map((t) => [t.table, t.actions]));
    expect(started).toEqual({
      failed: [{ type: 'start-backfill', reason: 'failed' }],
      stalled: [{ type: 'start-backfill', reason: 'stalled' }],
    });
    expect(aws.backfills.map((b) => b.tableName).sort()).toEqual(['failed', 'stalled']);
    // The starter resumed and kicked the same runs (no new run id, no lost checkpoint).
    expect(aws.backfillStore.rows.get('failed')!.value).toMatchObject({ runId: runIds.get('failed'), status: 'running' });
    expect(aws.backfillStore.rows.get('stalled')!.value.runId).toBe(runIds.get('stalled'));
    expect(sweep.counts).toMatchObject({ seen: 4, converged: 2, changed: 2, errors: 0 });
  });

  it('a re-created table gets a new run for its new stream, also when the first start failed', async () => {
    // Prepare
    const aws = new FakeAws();
    aws.addTable('orders');
    const { operator } = operatorOn(aws);
    await operator.reconcileTables(['orders']);
    aws.finishBackfills();
    const firstRun = aws.backfillStore.rows.get('orders')!.value;
    aws.deleteTable('orders');
    aws.addTable('orders'); // DROP_AND_CREATE: a new table, no stream yet
    await operatorOn(aws, {}, { backfill: failingStart(aws) }).operator.reconcileTables(['orders']);
    // Act
    const sweep = await operator.sweep();
    // Assess
    const streamArn = aws.tables.get('orders')!.stream.latestArn!;
    expect(streamArn).not.toBe(firstRun.streamArn);
    expect(sweep.tables[0]!.actions).toEqual([{ type: 'start-backfill', reason: 'older-stream' }]);
    expect(aws.backfillStore.rows.get('orders')!.value).toMatchObject({ streamArn, status: 'running' });
    expect(aws.backfillStore.rows.get('orders')!.value.runId).not.toBe(firstRun.runId);
  });

  it('does not backfill a table whose stream the reconciler did not enable, and reads its tags once per container', async () => {
    // Prepare
    const aws = new FakeAws();
    aws.addTable('legacy', { stream: { enabled: true, viewType: 'NEW_AND_OLD_IMAGES', latestArn: aws.newStreamArn('legacy') } });
    const { operator } = operatorOn(aws);
    // Act
    const first = await operator.sweep();
    aws.calls = {};
    const second = await operator.sweep();
    // Assess
    expect(first.tables[0]!.actions.map((a) => a.type)).toEqual(['create-mapping', 'register-target', 'put-policy', 'register-target', 'put-policy']);
    expect(aws.backfills).toEqual([]);
    expect(second.counts.converged).toBe(1);
    expect(aws.calls.ListTagsOfResource).toBeUndefined();
  });

  it('a sweep over converged tables with done backfills reads the state table once, not per table', async () => {
    // Prepare
    const aws = new FakeAws();
    for (let i = 0; i < 250; i++) aws.addTable(`t${String(i).padStart(3, '0')}`);
    const { operator } = operatorOn(aws);
    await operator.sweep();
    aws.finishBackfills();
    aws.calls = {};
    // Act
    const sweep = await operator.sweep();
    // Assess
    expect(sweep.counts.converged).toBe(250);
    expect(aws.calls.Scan).toBe(3); // 100 runs a page in the fake
    expect(aws.calls.GetItem).toBeUndefined();
    expect(aws.calls.ListTagsOfResource).toBeUndefined();
  });

  it('an unreadable state table leaves the backfill for later and still converges the rest', async () => {
    // Prepare
    const aws = new FakeAws();
    aws.addTable('orders', { stream: { enabled: true, viewType: 'NEW_AND_OLD_IMAGES', latestArn: aws.newStreamArn('orders') } });
    aws.failNext.set('GetItem', [{ kind: ErrorKind.Terminal, code: 'AccessDeniedException' }]);
    // Act
    const summary = await operatorOn(aws).operator.reconcileTables(['orders']);
    // Assess
    expect(summary.tables[0]!.outcome).toBe(Outcome.Changed);
    expect(summary.tables[0]!.actions.map((a) => a.type)).not.toContain('start-backfill');
    expect(aws.mappings.size).toBe(1);
  });
});
