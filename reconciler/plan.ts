/**
 * The pure heart of the operator: observed state + desired state -> actions.
 * Deterministic (same input, same plan, same order) so that two concurrent runs make the
 * same decisions, and total: every observed state yields a plan, never an exception.
 */
import {
  BackfillStartReason,
  ConflictKind,
  NEW_STREAM,
  POLICY_PREFIX,
  PlanState,
  RESPONSE_TYPE,
  STREAM_VIEW_TYPE,
  ScalableDimension,
  indexResourceId,
  isManagedPolicy,
  tableResourceId,
  type Action,
  type Conflict,
  type Desired,
  type DrainingMapping,
  type MappingFields,
  type Observed,
  type ObservedBackfill,
  type ObservedMapping,
  type ObservedTarget,
  type Plan,
} from './model';
import { releaseOldMappings } from './drain';

const NOT_READY_STATUSES = new Set(['CREATING', 'UPDATING']);

/** Policy name and metric the reconciler uses for one dimension. */
export function policyFor(dimension: string): { policyName: string; metricType: string } {
  const read = dimension.endsWith(':ReadCapacityUnits');
  return read
    ? { policyName: `${POLICY_PREFIX}read-utilization`, metricType: 'DynamoDBReadCapacityUtilization' }
    : { policyName: `${POLICY_PREFIX}write-utilization`, metricType: 'DynamoDBWriteCapacityUtilization' };
}

/** The mapping fields the desired state asks for. */
export function desiredMappingFields(desired: Desired): MappingFields {
  const m = desired.mapping;
  return {
    batchSize: m.batchSize,
    batchingWindowSeconds: m.batchingWindowSeconds,
    parallelizationFactor: m.parallelizationFactor,
    maxRetryAttempts: m.maxRetryAttempts,
    maxRecordAgeSeconds: m.maxRecordAgeSeconds,
    bisectOnError: m.bisectOnError,
    functionResponseTypes: [RESPONSE_TYPE],
    onFailureDestination: m.onFailureDestination,
    enabled: true,
  };
}

/** Observed mapping fields with the Lambda API's documented defaults filled in. */
export function observedMappingFields(mapping: ObservedMapping): MappingFields {
  return {
    batchSize: mapping.batchSize ?? 100,
    batchingWindowSeconds: mapping.batchingWindowSeconds ?? 0,
    parallelizationFactor: mapping.parallelizationFactor ?? 1,
    maxRetryAttempts: mapping.maxRetryAttempts ?? -1,
    maxRecordAgeSeconds: mapping.maxRecordAgeSeconds ?? -1,
    bisectOnError: mapping.bisectOnError ?? false,
    functionResponseTypes: [...mapping.functionResponseTypes].sort(),
    onFailureDestination: mapping.onFailureDestination,
    enabled: mapping.state !== 'Disabled' && mapping.state !== 'Disabling',
  };
}

/** Fields of `observed` that differ from `desired` (empty object = no drift). */
export function mappingDrift(observed: MappingFields, desired: MappingFields): { changes: Partial<MappingFields>; before: Partial<MappingFields> } {
  const changes: Record<string, unknown> = {};
  const before: Record<string, unknown> = {};
  for (const key of Object.keys(desired) as (keyof MappingFields)[]) {
    const a = observed[key];
    const b = desired[key];
    const same = Array.isArray(a) && Array.isArray(b) ? a.join(',') === b.join(',') : a === b;
    if (!same) {
      changes[key] = b;
      before[key] = a;
    }
  }
  return { changes: changes as Partial<MappingFields>, before: before as Partial<MappingFields> };
}

function liveMappings(observed: Observed): ObservedMapping[] {
  return observed.mappings.filter((m) => m.state !== 'Deleting').sort((a, b) => (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0));
}

/** Deletes our policies, then deregisters every target that carried one. */
function removeManagedScaling(observed: Observed, keep: (target: ObservedTarget) => boolean, reason: 'table-deleted' | 'index-deleted' | 'not-provisioned'): Action[] {
  const actions: Action[] = [];
  const managed = observed.policies.filter(isManagedPolicy);
  const targets = observed.targets.filter(
    (t) => !keep(t) && managed.some((p) => p.resourceId === t.resourceId && p.dimension === t.dimension),
  );
  for (const target of sortTargets(targets)) {
    for (const policy of managed.filter((p) => p.resourceId === target.resourceId && p.dimension === target.dimension)) {
      // DeregisterScalableTarget removes policies on AWS but not on every emulator: delete ours first.
      actions.push({ type: 'delete-policy', resourceId: policy.resourceId, dimension: policy.dimension, policyName: policy.policyName });
    }
    actions.push({ type: 'deregister-target', resourceId: target.resourceId, dimension: target.dimension, reason });
  }
  return actions;
}

function sortTargets<T extends { resourceId: string; dimension: string }>(targets: T[]): T[] {
  return [...targets].sort((a, b) => `${a.resourceId} ${a.dimension}`.localeCompare(`${b.resourceId} ${b.dimension}`));
}

function planGone(observed: Observed): Plan {
  // Mappings wait for the deleted table's stream to drain; scaling goes at once.
  const { actions, draining } = releaseOldMappings(liveMappings(observed), observed, 'table-deleted');
  actions.push(...removeManagedScaling(observed, () => false, 'table-deleted'));
  return { tableName: observed.tableName, state: PlanState.Gone, actions, conflicts: [], draining, revisitLater: false };
}

interface StreamDecision {
  actions: Action[];
  conflicts: Conflict[];
  /** ARN mappings must point at: an existing ARN, NEW_STREAM, or undefined (leave mappings on the latest stream alone). */
  target: string | undefined;
}

function planStream(observed: Observed, desired: Desired): StreamDecision {
  const stream = observed.table!.stream;
  if (stream.enabled && stream.viewType === STREAM_VIEW_TYPE && stream.latestArn) {
    return { actions: [], conflicts: [], target: stream.latestArn };
  }
  if (!stream.enabled) {
    return { actions: [{ type: 'enable-stream', viewType: STREAM_VIEW_TYPE }, { type: 'tag-stream-owner' }], conflicts: [], target: NEW_STREAM };
  }
  if (desired.streamConflictPolicy === 'replace') {
    return {
      actions: [
        { type: 'disable-stream', reason: 'replace-conflicting-view-type', before: stream.viewType ?? 'unknown' },
        { type: 'enable-stream', viewType: STREAM_VIEW_TYPE },
        { type: 'tag-stream-owner' },
      ],
      conflicts: [],
      target: NEW_STREAM,
    };
  }
  return {
    actions: [],
    conflicts: [{
      kind: ConflictKind.StreamViewType,
      message: `stream view type is ${stream.viewType ?? 'unknown'}, not ${STREAM_VIEW_TYPE}; left as is (STREAM_CONFLICT_POLICY=report)`,
      detail: { viewType: stream.viewType, streamArn: stream.latestArn },
    }],
    target: undefined,
  };
}

function planMappings(observed: Observed, desired: Desired, target: string | undefined): { actions: Action[]; draining: DrainingMapping[] } {
  const live = liveMappings(observed);
  const latest = observed.table!.stream.latestArn;
  if (target === NEW_STREAM) {
    // Every current mapping reads a stream the plan replaces: each drains, then goes.
    const released = releaseOldMappings(live, observed, 'old-stream');
    return { actions: [...released.actions, { type: 'create-mapping', streamArn: NEW_STREAM }], draining: released.draining };
  }
  const { actions, draining } = releaseOldMappings(live.filter((x) => x.streamArn !== latest), observed, 'old-stream');
  if (target === undefined) return { actions, draining }; // conflicting stream reported: leave its mappings alone
  const onLatest = live.filter((x) => x.streamArn === target);
  const [keeper, ...duplicates] = onLatest; // lowest UUID wins, so concurrent runs keep the same one
  // A duplicate reads the same stream as the keeper: deleting it loses nothing.
  for (const m of duplicates) actions.push({ type: 'delete-mapping', uuid: m.uuid, streamArn: m.streamArn, reason: 'duplicate' });
  if (!keeper) {
    actions.push({ type: 'create-mapping', streamArn: target });
    return { actions, draining };
  }
  const { changes, before } = mappingDrift(observedMappingFields(keeper), desiredMappingFields(desired));
  if (Object.keys(changes).length > 0) actions.push({ type: 'update-mapping', uuid: keeper.uuid, changes, before });
  return { actions, draining };
}

/**
 * Whether the table's backfill run satisfies "a run for `streamArn` exists and is done (or
 * is making progress)"; if not, why a start is needed. Pure: the observer uses it to decide
 * whether the table's tags must be read at all, the planner to decide the action.
 */
export function backfillStartReason(backfill: Pick<ObservedBackfill, 'run' | 'idleMs'>, streamArn: string, stallMs: number): BackfillStartReason | undefined {
  const run = backfill.run;
  if (run === null) return BackfillStartReason.NoRun;
  if (run.streamArn !== streamArn) return BackfillStartReason.OlderStream;
  if (run.status === 'failed') return BackfillStartReason.Failed;
  if (run.status === 'running' && (backfill.idleMs ?? 0) >= stallMs) return BackfillStartReason.Stalled;
  return undefined;
}

/**
 * The backfill as desired state: for a stream the reconciler enabled, a run for that stream
 * exists and ends done. Planned after the mapping actions, so the forwarder is attached
 * (at TRIM_HORIZON) before the scan starts. Streams the reconciler did not enable get none.
 */
function planBackfill(observed: Observed, desired: Desired, target: string | undefined): Action[] {
  if (!desired.backfillEnabled || target === undefined) return [];
  if (target === NEW_STREAM) return [{ type: 'start-backfill', reason: BackfillStartReason.StreamEnabled }];
  const backfill = observed.backfill;
  if (backfill === undefined || backfill.streamEnabledByReconciler === false) return [];
  const reason = backfillStartReason(backfill, target, desired.backfillStallMs);
  // Ownership is read only when a start is needed; unknown ownership starts nothing.
  if (reason === undefined || backfill.streamEnabledByReconciler !== true) return [];
  return [{ type: 'start-backfill', reason }];
}

function planCapacity(observed: Observed, desired: Desired): { actions: Action[]; conflicts: Conflict[]; revisitLater: boolean } {
  const table = observed.table!;
  const capacity = desired.capacity;
  if (capacity.mode === 'off') return { actions: [], conflicts: [], revisitLater: false };
  if (capacity.mode === 'on-demand' || table.billingMode === 'PAY_PER_REQUEST') {
    const actions: Action[] = [];
    if (table.billingMode !== 'PAY_PER_REQUEST') actions.push({ type: 'set-billing-mode', billingMode: 'PAY_PER_REQUEST', before: table.billingMode });
    actions.push(...removeManagedScaling(observed, () => false, 'not-provisioned'));
    return { actions, conflicts: [], revisitLater: false };
  }
  const resources: { resourceId: string; read: string; write: string }[] = [
    { resourceId: tableResourceId(table.name), read: ScalableDimension.TableRead, write: ScalableDimension.TableWrite },
  ];
  let revisitLater = false;
  for (const index of [...table.indexes].sort((a, b) => a.name.localeCompare(b.name))) {
    if (index.status === 'ACTIVE') {
      resources.push({ resourceId: indexResourceId(table.name, index.name), read: ScalableDimension.IndexRead, write: ScalableDimension.IndexWrite });
    } else if (index.status !== 'DELETING') {
      revisitLater = true; // AWS registers an index only once it is ACTIVE
    }
  }
  const actions: Action[] = [];
  const conflicts: Conflict[] = [];
  const wanted = new Set<string>();
  for (const resource of resources) {
    for (const dimension of [resource.read, resource.write]) {
      wanted.add(`${resource.resourceId} ${dimension}`);
      const policies = observed.policies.filter((p) => p.resourceId === resource.resourceId && p.dimension === dimension);
      const foreign = policies.filter((p) => !isManagedPolicy(p));
      if (foreign.length > 0) {
        conflicts.push({
          kind: ConflictKind.ForeignScalingPolicy,
          message: `${resource.resourceId} ${dimension} has scaling policies the reconciler does not own; left as is`,
          detail: { resourceId: resource.resourceId, dimension, policies: foreign.map((p) => p.policyName) },
        });
        continue;
      }
      const target = observed.targets.find((t) => t.resourceId === resource.resourceId && t.dimension === dimension);
      if (!target || target.minCapacity !== capacity.minCapacity || target.maxCapacity !== capacity.maxCapacity) {
        actions.push({
          type: 'register-target', resourceId: resource.resourceId, dimension, minCapacity: capacity.minCapacity, maxCapacity: capacity.maxCapacity,
          ...(target ? { before: { minCapacity: target.minCapacity, maxCapacity: target.maxCapacity } } : {}),
        });
      }
      const { policyName, metricType } = policyFor(dimension);
      const ours = policies.find((p) => p.policyName === policyName);
      if (!ours || ours.policyType !== 'TargetTrackingScaling' || ours.targetValue !== capacity.targetUtilization || ours.metricType !== metricType) {
        actions.push({ type: 'put-policy', resourceId: resource.resourceId, dimension, policyName, targetValue: capacity.targetUtilization, metricType });
      }
      for (const stale of policies.filter((p) => p.policyName !== policyName)) {
        actions.push({ type: 'delete-policy', resourceId: stale.resourceId, dimension: stale.dimension, policyName: stale.policyName });
      }
    }
  }
  actions.push(...removeManagedScaling(observed, (t) => wanted.has(`${t.resourceId} ${t.dimension}`), 'index-deleted'));
  return { actions, conflicts, revisitLater };
}

/** Computes the actions that take `observed` to `desired`. */
export function plan(observed: Observed, desired: Desired): Plan {
  const table = observed.table;
  if (table === null || table.status === 'DELETING') return planGone(observed);
  if (NOT_READY_STATUSES.has(table.status)) {
    return { tableName: observed.tableName, state: PlanState.NotReady, actions: [], conflicts: [], draining: [], revisitLater: true };
  }
  if (table.status !== 'ACTIVE') {
    return {
      tableName: observed.tableName,
      state: PlanState.Unavailable,
      actions: [],
      conflicts: [{ kind: ConflictKind.TableUnavailable, message: `table status is ${table.status}; nothing can be changed`, detail: { status: table.status } }],
      draining: [],
      revisitLater: false,
    };
  }
  const stream = planStream(observed, desired);
  const mappings = planMappings(observed, desired, stream.target);
  const backfill = planBackfill(observed, desired, stream.target);
  const capacity = planCapacity(observed, desired);
  return {
    tableName: observed.tableName,
    state: PlanState.Active,
    // Stream first (mappings need it), then the mapping and backfill, then capacity.
    actions: [...stream.actions, ...mappings.actions, ...backfill, ...capacity.actions],
    conflicts: [...stream.conflicts, ...capacity.conflicts],
    draining: mappings.draining,
    revisitLater: capacity.revisitLater,
  };
}
