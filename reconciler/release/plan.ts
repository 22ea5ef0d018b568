/**
 * The pure release decision: observed table -> the actions that take back exactly what the
 * reconciler created. Deterministic and total, like the operator's plan.
 *
 * - Mappings: every mapping of this forwarder on any of the table's streams, at once (a
 *   release is the user's choice to stop forwarding the table; draining is for streams of
 *   deleted or re-created tables, not for this).
 * - Scaling: our policies; a target is deregistered only when every policy on it is ours
 *   (DeregisterScalableTarget deletes all of a target's policies, so a target that also carries
 *   someone else's policy keeps it and stays registered). Capacity stays as it is.
 * - Stream: kept by default; disabled only when asked and the tags say the reconciler
 *   enabled this very stream (owner tag and stream label).
 * - Tags: our tag keys, removed after the stream decision that needs them.
 */
import { isManagedPolicy, type ObservedPolicy, type ObservedTarget } from '../model';
import { streamEnabledByReconciler } from '../observe';
import { OWN_TAG_PREFIX, type Kept, type ReleaseAction, type ReleaseObserved, type ReleaseOptions, type ReleasePlan } from './model';

const key = (x: { resourceId: string; dimension: string }) => `${x.resourceId} ${x.dimension}`;

function planScaling(targets: ObservedTarget[], policies: ObservedPolicy[], kept: Kept[]): ReleaseAction[] {
  const actions: ReleaseAction[] = [];
  const ours = policies.filter(isManagedPolicy).sort((a, b) => `${key(a)} ${a.policyName}`.localeCompare(`${key(b)} ${b.policyName}`));
  for (const resource of [...new Set(ours.map(key))]) {
    const foreign = policies.filter((p) => key(p) === resource && !isManagedPolicy(p));
    const target = targets.find((t) => key(t) === resource);
    if (target && foreign.length === 0) {
      // First: if it fails, our policies are still there for the next sweep to see.
      actions.push({ type: 'deregister-target', resourceId: target.resourceId, dimension: target.dimension, reason: 'release' });
    } else if (target) {
      kept.push({ what: `scalable target ${resource}`, why: `it also carries policies the reconciler does not own (${foreign.map((p) => p.policyName).join(', ')})` });
    }
    // DeregisterScalableTarget deletes the target's policies on AWS (then this finds them gone, which is success),
    // not on every emulator; a kept target loses only ours.
    for (const p of ours.filter((x) => key(x) === resource)) {
      actions.push({ type: 'delete-policy', resourceId: p.resourceId, dimension: p.dimension, policyName: p.policyName });
    }
  }
  return actions;
}

function planStream(observed: ReleaseObserved, options: ReleaseOptions, kept: Kept[]): { actions: ReleaseAction[]; waitForActive: boolean } {
  const table = observed.table;
  const stream = table?.stream;
  if (!table || !stream?.enabled || !stream.latestArn) return { actions: [], waitForActive: false };
  const ours = streamEnabledByReconciler(observed.tags ?? {}, stream.latestArn);
  if (!options.disableStream) {
    kept.push({ what: `stream ${stream.latestArn}`, why: ours ? 'streams stay enabled unless asked (other readers may use them)' : 'the reconciler did not enable it' });
    return { actions: [], waitForActive: false };
  }
  if (!ours) {
    kept.push({ what: `stream ${stream.latestArn}`, why: 'the reconciler did not enable it' });
    return { actions: [], waitForActive: false };
  }
  if (table.status !== 'ACTIVE') return { actions: [], waitForActive: true };
  return { actions: [{ type: 'disable-stream', reason: 'release', streamArn: stream.latestArn }], waitForActive: false };
}

/** The actions that release `observed`; an empty list means nothing of the reconciler's is left on it. */
export function planRelease(observed: ReleaseObserved, options: ReleaseOptions): ReleasePlan {
  const kept: Kept[] = [];
  const stream = planStream(observed, options, kept);
  const actions: ReleaseAction[] = [...stream.actions];
  const ourTags = Object.keys(observed.tags ?? {}).filter((k) => k.startsWith(OWN_TAG_PREFIX)).sort();
  // With a wait for ACTIVE pending, the tags stay: they are what says the stream is ours.
  if (observed.table && ourTags.length > 0 && !stream.waitForActive) actions.push({ type: 'untag-table', keys: ourTags });
  const mappings = observed.mappings.filter((m) => m.state !== 'Deleting').sort((a, b) => (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0));
  for (const m of mappings) actions.push({ type: 'delete-mapping', uuid: m.uuid, streamArn: m.streamArn, reason: 'release' });
  actions.push(...planScaling(observed.targets, observed.policies, kept));
  return { tableName: observed.tableName, actions, kept, waitForActive: stream.waitForActive };
}
