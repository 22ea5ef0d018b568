import { STREAM_LABEL_TAG_KEY, STREAM_TAG_KEY, type ObservedTable } from '../../../reconciler/model';
import { ownsAnything, ReleaseReason, type ReleaseObserved } from '../../../reconciler/release/model';
import { planRelease } from '../../../reconciler/release/plan';

const STREAM = 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000001';
const OLD_STREAM = 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2025-01-01T00:00:00.000001';
const table = (over: Partial<ObservedTable> = {}): ObservedTable => ({
  name: 'orders', arn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders', status: 'ACTIVE', billingMode: 'PROVISIONED',
  stream: { enabled: true, viewType: 'NEW_AND_OLD_IMAGES', latestArn: STREAM }, indexes: [], ...over,
});
const ourTags = { [STREAM_TAG_KEY]: 'reconciler', [STREAM_LABEL_TAG_KEY]: '2026-01-01T00:00:00.000001', team: 'sales' };
const converged = (over: Partial<ReleaseObserved> = {}): ReleaseObserved => ({
  tableName: 'orders',
  table: table(),
  mappings: [
    { uuid: 'b', streamArn: STREAM, state: 'Enabled', functionResponseTypes: [] },
    { uuid: 'a', streamArn: OLD_STREAM, state: 'Enabled', functionResponseTypes: [] },
    { uuid: 'c', streamArn: STREAM, state: 'Deleting', functionResponseTypes: [] },
  ],
  targets: [
    { resourceId: 'table/orders', dimension: 'dynamodb:table:ReadCapacityUnits', minCapacity: 5, maxCapacity: 100 },
    { resourceId: 'table/orders', dimension: 'dynamodb:table:WriteCapacityUnits', minCapacity: 5, maxCapacity: 100 },
  ],
  policies: [
    { policyName: 'dms-event-bus-read-utilization', resourceId: 'table/orders', dimension: 'dynamodb:table:ReadCapacityUnits', policyType: 'TargetTrackingScaling' },
    { policyName: 'dms-event-bus-write-utilization', resourceId: 'table/orders', dimension: 'dynamodb:table:WriteCapacityUnits', policyType: 'TargetTrackingScaling' },
  ],
  tags: ourTags,
  ...over,
});

describe('planRelease', () => {
  it('takes back the tags, every live mapping (any stream) and the scaling, and keeps the stream by default', () => {
    // Act
    const plan = planRelease(converged(), { reason: ReleaseReason.OutOfScope });
    // Assess
    expect(plan.actions).toEqual([
      { type: 'untag-table', keys: [STREAM_TAG_KEY, STREAM_LABEL_TAG_KEY] },
      { type: 'delete-mapping', uuid: 'a', streamArn: OLD_STREAM, reason: 'release' },
      { type: 'delete-mapping', uuid: 'b', streamArn: STREAM, reason: 'release' },
      { type: 'deregister-target', resourceId: 'table/orders', dimension: 'dynamodb:table:ReadCapacityUnits', reason: 'release' },
      { type: 'delete-policy', resourceId: 'table/orders', dimension: 'dynamodb:table:ReadCapacityUnits', policyName: 'dms-event-bus-read-utilization' },
      { type: 'deregister-target', resourceId: 'table/orders', dimension: 'dynamodb:table:WriteCapacityUnits', reason: 'release' },
      { type: 'delete-policy', resourceId: 'table/orders', dimension: 'dynamodb:table:WriteCapacityUnits', policyName: 'dms-event-bus-write-utilization' },
    ]);
    expect(plan.kept).toEqual([{ what: `stream ${STREAM}`, why: expect.stringContaining('unless asked') }]);
  });

  it('disables the stream first when asked and the tags say the reconciler enabled this stream', () => {
    // Act
    const plan = planRelease(converged(), { reason: ReleaseReason.Uninstall, disableStream: true });
    // Assess
    expect(plan.actions[0]).toEqual({ type: 'disable-stream', reason: 'release', streamArn: STREAM });
    expect(plan.actions[1]).toEqual({ type: 'untag-table', keys: [STREAM_TAG_KEY, STREAM_LABEL_TAG_KEY] });
  });

  it.each([
    ['no owner tag', { team: 'sales' }],
    ['the owner tag names an older stream (someone re-enabled it)', { ...ourTags, [STREAM_LABEL_TAG_KEY]: '2025-01-01T00:00:00.000001' }],
  ])('never disables a stream the reconciler did not enable: %s', (_name, tags) => {
    // Act
    const plan = planRelease(converged({ tags }), { reason: ReleaseReason.Uninstall, disableStream: true });
    // Assess
    expect(plan.actions.some((a) => a.type === 'disable-stream')).toBe(false);
    expect(plan.kept).toEqual([{ what: `stream ${STREAM}`, why: 'the reconciler did not enable it' }]);
  });

  it('leaves a target that also carries a foreign policy registered, deleting only our policy', () => {
    // Prepare
    const observed = converged({
      mappings: [], tags: {},
      policies: [...converged().policies, { policyName: 'team-step', resourceId: 'table/orders', dimension: 'dynamodb:table:ReadCapacityUnits', policyType: 'StepScaling' }],
    });
    // Act
    const plan = planRelease(observed, { reason: ReleaseReason.OutOfScope });
    // Assess
    expect(plan.actions).toEqual([
      { type: 'delete-policy', resourceId: 'table/orders', dimension: 'dynamodb:table:ReadCapacityUnits', policyName: 'dms-event-bus-read-utilization' },
      { type: 'deregister-target', resourceId: 'table/orders', dimension: 'dynamodb:table:WriteCapacityUnits', reason: 'release' },
      { type: 'delete-policy', resourceId: 'table/orders', dimension: 'dynamodb:table:WriteCapacityUnits', policyName: 'dms-event-bus-write-utilization' },
    ]);
    expect(plan.kept).toContainEqual({ what: 'scalable target table/orders dynamodb:table:ReadCapacityUnits', why: expect.stringContaining('team-step') });
  });

  it('leaves targets without any of our policies alone (not provably ours)', () => {
    // Act
    const plan = planRelease(converged({ mappings: [], tags: {}, policies: [] }), { reason: ReleaseReason.OutOfScope });
    // Assess
    expect(plan.actions).toEqual([]);
  });

  it('a deleted table: its mappings and scaling only', () => {
    // Act
    const plan = planRelease(converged({ table: null, tags: undefined }), { reason: ReleaseReason.Uninstall, disableStream: true });
    // Assess
    expect(plan.actions.map((a) => a.type)).toEqual(['delete-mapping', 'delete-mapping', 'deregister-target', 'delete-policy', 'deregister-target', 'delete-policy']);
  });

  it('a table UPDATING with a stream to disable: everything else now, stream and tags once it is ACTIVE', () => {
    // Act
    const plan = planRelease(converged({ table: table({ status: 'UPDATING' }) }), { reason: ReleaseReason.Uninstall, disableStream: true });
    // Assess
    expect(plan.waitForActive).toBe(true);
    expect(plan.actions.some((a) => a.type === 'disable-stream' || a.type === 'untag-table')).toBe(false);
    expect(plan.actions.some((a) => a.type === 'delete-mapping')).toBe(true);
  });

  it('nothing to release once released; ownsAnything agrees', () => {
    // Prepare
    const released = converged({ mappings: [], targets: [], policies: [], tags: { team: 'sales' } });
    // Act
    const plan = planRelease(released, { reason: ReleaseReason.OutOfScope });
    // Assess
    expect(plan.actions).toEqual([]);
    expect(ownsAnything(released)).toBe(false);
    expect(ownsAnything(converged())).toBe(true);
    expect(ownsAnything(converged({ mappings: [], policies: [] }))).toBe(true); // tags only
  });
});
