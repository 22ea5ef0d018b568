import { plan, desiredMappingFields } from '../../../reconciler/plan';
import { desiredFromConfig } from '../../../reconciler/operator';
import type { Observed, ObservedBackfill, ObservedBackfillRun, ObservedMapping, ObservedPolicy, ObservedTable, ObservedTarget } from '../../../reconciler/model';
import { testConfig, DLQ_ARN } from './helpers';

const ARN = 'arn:aws:dynamodb:eu-west-1:123456789012:table/t';
const LATEST = `${ARN}/stream/2026-02-01T00:00:00.000`;
const OLD = `${ARN}/stream/2026-01-01T00:00:00.000`;
const LATEST_AT = Date.parse('2026-02-01T00:00:00.000Z');
const HOUR = 3600_000;
const DAY = 24 * HOUR;

const table = (over: Partial<ObservedTable> = {}): ObservedTable => ({
  name: 't', arn: ARN, status: 'ACTIVE', billingMode: 'PROVISIONED',
  stream: { enabled: true, viewType: 'NEW_AND_OLD_IMAGES', latestArn: LATEST }, indexes: [], ...over,
});
const goodMapping = (over: Partial<ObservedMapping> = {}): ObservedMapping => ({
  uuid: 'b-uuid', streamArn: LATEST, state: 'Enabled', batchSize: 100, batchingWindowSeconds: 0, parallelizationFactor: 1,
  maxRetryAttempts: 10, maxRecordAgeSeconds: -1, bisectOnError: true, functionResponseTypes: ['ReportBatchItemFailures'], onFailureDestination: DLQ_ARN, ...over,
});
const target = (resourceId: string, dimension: string, over: Partial<ObservedTarget> = {}): ObservedTarget => ({ resourceId, dimension, minCapacity: 5, maxCapacity: 1000, ...over });
const policy = (resourceId: string, dimension: string, over: Partial<ObservedPolicy> = {}): ObservedPolicy => {
  const read = dimension.includes('Read');
  return {
    policyName: `dms-event-bus-${read ? 'read' : 'write'}-utilization`, resourceId, dimension, policyType: 'TargetTrackingScaling', targetValue: 70,
    metricType: read ? 'DynamoDBReadCapacityUtilization' : 'DynamoDBWriteCapacityUtilization', ...over,
  };
};
const TR = 'dynamodb:table:ReadCapacityUnits';
const TW = 'dynamodb:table:WriteCapacityUnits';
const IR = 'dynamodb:index:ReadCapacityUnits';
const IW = 'dynamodb:index:WriteCapacityUnits';
const convergedScaling = { targets: [target('table/t', TR), target('table/t', TW)], policies: [policy('table/t', TR), policy('table/t', TW)] };
const observed = (over: Partial<Observed> = {}): Observed => ({ tableName: 't', table: table(), mappings: [goodMapping()], ...convergedScaling, ...over });
const STALL = 15 * 60_000;
const run = (over: Partial<ObservedBackfillRun> = {}): ObservedBackfillRun => ({ streamArn: LATEST, runId: 'r1', status: 'done', updatedAt: 0, ...over });
/** Observed backfill; `owned` as the tags say (undefined: tags not read). */
const backfill = (r: ObservedBackfillRun | null, idleMs: number | undefined, owned?: boolean): ObservedBackfill => ({
  run: r, ...(idleMs !== undefined ? { idleMs } : {}), ...(owned !== undefined ? { streamEnabledByReconciler: owned } : {}),
});

describe('plan', () => {
  const desired = desiredFromConfig(testConfig(), true);
  const cases: [string, Observed, string[], Record<string, string>?][] = [
    ['converged table: nothing', observed(), []],
    ['no stream: enable, tag, attach, backfill', observed({ table: table({ stream: { enabled: false } }), mappings: [] }), ['enable-stream', 'tag-stream-owner', 'create-mapping', 'start-backfill']],
    ['no stream, backfill disabled: no backfill', observed({ table: table({ stream: { enabled: false } }), mappings: [] }), ['enable-stream', 'tag-stream-owner', 'create-mapping'], { BACKFILL_ENABLED: 'false' }],
    ['stream disabled by hand: new stream, the old mapping drains', observed({ table: table({ stream: { enabled: false, latestArn: LATEST } }) }), ['enable-stream', 'tag-stream-owner', 'create-mapping', 'start-backfill']],
    ['stream disabled by hand long ago and deleted since: old mapping deleted, new stream', observed({ table: table({ stream: { enabled: false, latestArn: LATEST } }), streams: { [LATEST]: { status: 'GONE' } } }), ['enable-stream', 'tag-stream-owner', 'delete-mapping', 'create-mapping', 'start-backfill']],
    ['other view type, report: nothing (conflict)', observed({ table: table({ stream: { enabled: true, viewType: 'KEYS_ONLY', latestArn: LATEST } }) }), []],
    ['other view type, replace', observed({ table: table({ stream: { enabled: true, viewType: 'NEW_IMAGE', latestArn: LATEST } }) }), ['disable-stream', 'enable-stream', 'tag-stream-owner', 'create-mapping', 'start-backfill'], { STREAM_CONFLICT_POLICY: 'replace' }],
    ['mapping missing', observed({ mappings: [] }), ['create-mapping']],
    ['mapping disabled', observed({ mappings: [goodMapping({ state: 'Disabled' })] }), ['update-mapping']],
    ['mapping batch size drifted', observed({ mappings: [goodMapping({ batchSize: 10 })] }), ['update-mapping']],
    ['mapping lost ReportBatchItemFailures', observed({ mappings: [goodMapping({ functionResponseTypes: [] })] }), ['update-mapping']],
    ['mapping lost its DLQ', observed({ mappings: [goodMapping({ onFailureDestination: undefined })] }), ['update-mapping']],
    ['duplicate mappings: keep lowest UUID', observed({ mappings: [goodMapping(), goodMapping({ uuid: 'a-uuid' })] }), ['delete-mapping']],
    ['mapping on an older stream not described: it drains', observed({ mappings: [goodMapping({ uuid: 'old', streamArn: OLD }), goodMapping()] }), []],
    ['mapping on an older DISABLED stream within 24 h of the newer one: it drains', observed({ mappings: [goodMapping({ uuid: 'old', streamArn: OLD }), goodMapping()], streams: { [OLD]: { status: 'DISABLED' } }, observedAt: LATEST_AT + DAY - 1 }), []],
    ['mapping on an older DISABLED stream past 24 h (+ margin) of the newer one: delete', observed({ mappings: [goodMapping({ uuid: 'old', streamArn: OLD }), goodMapping()], streams: { [OLD]: { status: 'DISABLED' } }, observedAt: LATEST_AT + DAY + HOUR }), ['delete-mapping']],
    ['mapping on an older stream still ENABLED (a stale read): it stays', observed({ mappings: [goodMapping({ uuid: 'old', streamArn: OLD }), goodMapping()], streams: { [OLD]: { status: 'ENABLED' } }, observedAt: LATEST_AT + 10 * DAY }), []],
    ['mapping on an older stream DynamoDB deleted: delete', observed({ mappings: [goodMapping({ uuid: 'old', streamArn: OLD }), goodMapping()], streams: { [OLD]: { status: 'GONE' } } }), ['delete-mapping']],
    ['only a Deleting mapping: create', observed({ mappings: [goodMapping({ state: 'Deleting' })] }), ['create-mapping']],
    ['table CREATING: wait', observed({ table: table({ status: 'CREATING' }), mappings: [] }), []],
    ['table ARCHIVED: unavailable', observed({ table: table({ status: 'ARCHIVED' }) }), []],
    ['table gone: our policies and targets at once, the mapping drains', observed({ table: null, streams: { [LATEST]: { status: 'DISABLED' } }, observedAt: LATEST_AT + 10 * DAY }), ['delete-policy', 'deregister-target', 'delete-policy', 'deregister-target']],
    ['table gone, its stream deleted by DynamoDB: delete mapping too', observed({ table: null, streams: { [LATEST]: { status: 'GONE' } } }), ['delete-mapping', 'delete-policy', 'deregister-target', 'delete-policy', 'deregister-target']],
    ['table DELETING: same as gone', observed({ table: table({ status: 'DELETING' }), streams: { [LATEST]: { status: 'GONE' } } }), ['delete-mapping', 'delete-policy', 'deregister-target', 'delete-policy', 'deregister-target']],
    ['gone table with unmanaged targets: leave them', observed({ table: null, mappings: [], policies: [] }), []],
    ['scaling policy removed by hand', observed({ policies: [policy('table/t', TR)] }), ['put-policy']],
    ['target utilization drifted', observed({ policies: [policy('table/t', TR, { targetValue: 50 }), policy('table/t', TW)] }), ['put-policy']],
    ['target min/max drifted', observed({ targets: [target('table/t', TR, { maxCapacity: 40000 }), target('table/t', TW)] }), ['register-target']],
    ['GSI without scaling', observed({ table: table({ indexes: [{ name: 'g', status: 'ACTIVE' }] }) }), ['register-target', 'put-policy', 'register-target', 'put-policy']],
    ['GSI still CREATING: skipped for now', observed({ table: table({ indexes: [{ name: 'g', status: 'CREATING' }] }) }), []],
    ['GSI deleted: its managed targets removed', observed({ targets: [...convergedScaling.targets, target('table/t/index/g', IR)], policies: [...convergedScaling.policies, policy('table/t/index/g', IR)] }), ['delete-policy', 'deregister-target']],
    ['foreign policy on a target: conflict, untouched', observed({ policies: [policy('table/t', TR, { policyName: 'ops-team' }), policy('table/t', TW)] }), []],
    ['on-demand table under autoscale: managed targets removed', observed({ table: table({ billingMode: 'PAY_PER_REQUEST' }) }), ['delete-policy', 'deregister-target', 'delete-policy', 'deregister-target']],
    ['on-demand mode: switch billing, remove targets', observed(), ['set-billing-mode', 'delete-policy', 'deregister-target', 'delete-policy', 'deregister-target'], { CAPACITY_MODE: 'on-demand' }],
    ['on-demand mode, already on-demand: nothing', observed({ table: table({ billingMode: 'PAY_PER_REQUEST' }), targets: [], policies: [] }), [], { CAPACITY_MODE: 'on-demand' }],
    ['capacity off: drifted scaling left alone', observed({ targets: [], policies: [] }), [], { CAPACITY_MODE: 'off' }],
    // The backfill as desired state (our stream: a done run for it; others: nothing).
    ['backfill: done run for the current stream: nothing', observed({ backfill: backfill(run(), 60_000) }), []],
    ['backfill: running run making progress: nothing', observed({ backfill: backfill(run({ status: 'running' }), STALL - 1) }), []],
    ['backfill: no run for our stream: start', observed({ backfill: backfill(null, undefined, true) }), ['start-backfill']],
    ['backfill: failed run: start (the starter resumes it)', observed({ backfill: backfill(run({ status: 'failed' }), 1_000, true) }), ['start-backfill']],
    ['backfill: running run stalled: start (the starter kicks it)', observed({ backfill: backfill(run({ status: 'running' }), STALL, true) }), ['start-backfill']],
    ['backfill: done run for an older stream (re-created table): start', observed({ backfill: backfill(run({ streamArn: OLD }), 1_000, true) }), ['start-backfill']],
    ['backfill: stream not enabled by the reconciler: nothing', observed({ backfill: backfill(null, undefined, false) }), []],
    ['backfill: failed run on a stream not ours: nothing', observed({ backfill: backfill(run({ status: 'failed' }), 1_000, false) }), []],
    ['backfill: ownership not read: nothing', observed({ backfill: backfill(null, undefined) }), []],
    ['backfill: not observed (state unreadable): nothing', observed({ backfill: undefined }), []],
    ['backfill: disabled: nothing', observed({ backfill: backfill(null, undefined, true) }), [], { BACKFILL_ENABLED: 'false' }],
    ['backfill: missing mapping: attach first, then start', observed({ mappings: [], backfill: backfill(null, undefined, true) }), ['create-mapping', 'start-backfill']],
    ['backfill: conflicting stream reported: nothing', observed({ table: table({ stream: { enabled: true, viewType: 'KEYS_ONLY', latestArn: LATEST } }), backfill: backfill(null, undefined, true) }), []],
    ['backfill: before capacity actions', observed({ policies: [], backfill: backfill(null, undefined, true) }), ['start-backfill', 'put-policy', 'put-policy']],
  ];

  // Every row gets an env object so jest does not mistake the 4th parameter for `done`.
  it.each(cases.map(([name, input, expected, env]) => [name, input, expected, env ?? {}] as const))('%s', (_name, input, expected, env) => {
    // Prepare
    const wanted = desiredFromConfig(testConfig(env), true);
    // Act
    const result = plan(input, wanted);
    // Assess
    expect(result.actions.map((a) => a.type)).toEqual(expected);
  });

  it.each([
    ['stream-view-type', observed({ table: table({ stream: { enabled: true, viewType: 'KEYS_ONLY', latestArn: LATEST } }) })],
    ['foreign-scaling-policy', observed({ policies: [policy('table/t', TR, { policyName: 'ops-team' }), policy('table/t', TW)] })],
    ['table-unavailable', observed({ table: table({ status: 'INACCESSIBLE_ENCRYPTION_CREDENTIALS' }) })],
  ])('reports a %s conflict', (kind, input) => {
    // Act
    const result = plan(input, desired);
    // Assess
    expect(result.conflicts.map((c) => c.kind)).toEqual([kind]);
  });

  it('keeps the lowest UUID of duplicates and updates only the drifted fields', () => {
    // Prepare
    const input = observed({ mappings: [goodMapping({ uuid: 'c' }), goodMapping({ uuid: 'a', state: 'Disabled', batchSize: 7 })] });
    // Act
    const result = plan(input, desired);
    // Assess
    expect(result.actions).toEqual([
      { type: 'delete-mapping', uuid: 'c', streamArn: LATEST, reason: 'duplicate' },
      { type: 'update-mapping', uuid: 'a', changes: { batchSize: 100, enabled: true }, before: { batchSize: 7, enabled: false } },
    ]);
  });

  it('asks for every configured mapping setting', () => {
    // Act
    const fields = desiredMappingFields(desiredFromConfig(testConfig({
      ESM_BATCH_SIZE: '500', ESM_BATCHING_WINDOW_SECONDS: '2', ESM_PARALLELIZATION_FACTOR: '4', ESM_MAX_RETRY_ATTEMPTS: '3',
      ESM_MAX_RECORD_AGE_SECONDS: '3600', ESM_BISECT_ON_ERROR: 'false',
    }), true));
    // Assess
    expect(fields).toEqual({
      batchSize: 500, batchingWindowSeconds: 2, parallelizationFactor: 4, maxRetryAttempts: 3, maxRecordAgeSeconds: 3600,
      bisectOnError: false, functionResponseTypes: ['ReportBatchItemFailures'], onFailureDestination: DLQ_ARN, enabled: true,
    });
  });

  it('marks an index that is not ACTIVE yet for a later look', () => {
    // Act
    const result = plan(observed({ table: table({ indexes: [{ name: 'g', status: 'CREATING' }] }) }), desired);
    // Assess
    expect(result.revisitLater).toBe(true);
  });

  it.each([
    ['no run', backfill(null, undefined, true), 'no-run'],
    ['older stream', backfill(run({ streamArn: OLD }), 0, true), 'older-stream'],
    ['failed', backfill(run({ status: 'failed' }), 0, true), 'failed'],
    ['stalled', backfill(run({ status: 'running' }), STALL, true), 'stalled'],
  ])('says why it starts a backfill: %s', (_name, input, reason) => {
    // Act
    const result = plan(observed({ backfill: input }), desired);
    // Assess
    expect(result.actions).toEqual([{ type: 'start-backfill', reason }]);
  });

  it('starts the backfill of a stream it enables after attaching the mapping, without observing any run', () => {
    // Act
    const result = plan(observed({ table: table({ stream: { enabled: false } }), mappings: [] }), desired);
    // Assess
    expect(result.actions.slice(2)).toEqual([{ type: 'create-mapping', streamArn: 'new-stream' }, { type: 'start-backfill', reason: 'stream-enabled' }]);
  });

  it('uses the stall threshold of the backfill starter it is given', () => {
    // Prepare
    const quick = desiredFromConfig(testConfig(), { stallAfterMs: 60_000 });
    // Act
    const result = plan(observed({ backfill: backfill(run({ status: 'running' }), 60_000, true) }), quick);
    // Assess
    expect(quick.backfillStallMs).toBe(60_000);
    expect(result.actions.map((a) => a.type)).toEqual(['start-backfill']);
  });
});
