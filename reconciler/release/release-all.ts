/**
 * Releases every table the reconciler manages, whatever the filters say (stack deletion,
 * `uninstall`), in resumable steps: the state is plain JSON, so a caller that runs out of
 * time (a Lambda invocation) hands it to the next one and carries on where it stopped.
 *
 * Which tables: every table of the account and region (ListTables) that has a mapping of
 * this forwarder, one of our scaling policies (both from one snapshot of the mappings,
 * targets and policies) or one of our tags (ListTagsOfResource, when `checkTags`); then, from
 * a fresh snapshot, whatever is still managed, which covers deleted tables' leftovers and
 * retries the tables that failed.
 */
import type { Metrics } from '../../src/observability/metrics';
import { loadSnapshot, managedTableNames, type Snapshot } from '../observe';
import { systemClock, type Clock } from '../ports';
import { retryThrottled } from '../throttle';
import { OWN_TAG_PREFIX, ReleaseReason, type ReleaseMappingPort, type ReleaseScalingPort, type ReleaseTablePort } from './model';
import { ReleaseOutcome, type ReleaseResult, type Releaser } from './releaser';

/** How far a release of everything got; JSON, passed from one invocation to the next. */
export interface ReleaseAllState {
  phase: 'tables' | 'leftovers' | 'done';
  /** Last table name handled in the current phase. */
  cursor?: string;
  released: number;
  /** Tables looked at (ListTables walk and leftovers). */
  examined: number;
  /** Tables whose release failed and are still failed, with the error and what was left (at most {@link MAX_FAILURES}). */
  failures: { table: string; error: string; left: string[] }[];
  /** Failures beyond the ones listed. */
  moreFailures: number;
}

export const MAX_FAILURES = 20;

export interface ReleaseAllDeps {
  tables: ReleaseTablePort;
  mappings: ReleaseMappingPort;
  scaling: ReleaseScalingPort;
  releaser: Releaser;
  /** Table ARN from its name (ListTagsOfResource needs the ARN; ListTables gives names). */
  tableArn(tableName: string): string;
  /** The reconciler may only touch tables starting with this (TableNamePrefix, scoping its IAM); tags of others are not read. */
  tableNamePrefix?: string;
  metrics?: Metrics;
  clock?: Clock;
}

export interface ReleaseAllOptions {
  disableStream: boolean;
  /** Epoch ms after which no new table is started; the state then says where to carry on. */
  deadline: number;
  /** Read the tags of every table not otherwise managed (the first pass); false for a final pass. */
  checkTags: boolean;
  dryRun?: boolean;
  trigger: string;
  /** Start with the leftovers phase (the final pass after the reconciler has stopped). */
  leftoversOnly?: boolean;
  /** Called after each table that had something to release (progress output). */
  onResult?(result: ReleaseResult, state: ReleaseAllState): void;
}

export function initialReleaseAllState(leftoversOnly = false): ReleaseAllState {
  return { phase: leftoversOnly ? 'leftovers' : 'tables', released: 0, examined: 0, failures: [], moreFailures: 0 };
}

function record(state: ReleaseAllState, result: ReleaseResult): void {
  const index = state.failures.findIndex((f) => f.table === result.table);
  if (result.outcome === ReleaseOutcome.Error || result.outcome === ReleaseOutcome.Requeue) {
    const entry = { table: result.table, error: result.error?.message ?? result.outcome, left: (result.left ?? []).map(describeAction) };
    if (index >= 0) state.failures[index] = entry;
    else if (state.failures.length < MAX_FAILURES) state.failures.push(entry);
    else state.moreFailures += 1;
    return;
  }
  if (index >= 0) state.failures.splice(index, 1);
  if (result.outcome === ReleaseOutcome.Released) state.released += 1;
}

function describeAction(action: NonNullable<ReleaseResult['left']>[number]): string {
  switch (action.type) {
    case 'delete-mapping': return `mapping ${action.uuid}`;
    case 'deregister-target': return `scalable target ${action.resourceId} ${action.dimension}`;
    case 'delete-policy': return `scaling policy ${action.policyName} on ${action.resourceId} ${action.dimension}`;
    case 'untag-table': return `tags ${action.keys.join(', ')}`;
    case 'disable-stream': return `stream ${action.streamArn}`;
  }
}

/**
 * Carries a release of everything forward from `state` until it is done or the deadline
 * comes; returns the new state (phase `done` when finished).
 */
export async function releaseAll(deps: ReleaseAllDeps, options: ReleaseAllOptions, from: ReleaseAllState): Promise<ReleaseAllState> {
  const clock = deps.clock ?? systemClock;
  const tables = retryThrottled(deps.tables, clock);
  const state: ReleaseAllState = structuredClone(from);
  // A dry run changes nothing, so its leftovers phase must not list the tables again (this process saw them).
  const planned = new Set<string>();
  const snapshotOnce = (() => {
    let snapshot: Promise<Snapshot> | undefined;
    return (fresh = false) => (fresh || !snapshot ? (snapshot = loadSnapshot(retryThrottled(deps.mappings, clock), retryThrottled(deps.scaling, clock))) : snapshot);
  })();
  const releaseOne = async (name: string, snapshot: Snapshot) => {
    const result = await deps.releaser.release(name, {
      reason: ReleaseReason.Uninstall, disableStream: options.disableStream, deadline: options.deadline, trigger: options.trigger, snapshot,
      ...(options.dryRun ? { dryRun: true } : {}),
    });
    planned.add(name);
    record(state, result);
    if (result.actions.length > 0 || result.outcome === ReleaseOutcome.Error || result.outcome === ReleaseOutcome.Requeue) options.onResult?.(result, state);
  };

  if (state.phase === 'tables') {
    const snapshot = await snapshotOnce();
    const managed = managedTableNames(snapshot);
    let next = state.cursor;
    do {
      const page = await tables.listTables(next);
      for (const name of page.items) {
        if (clock.now() >= options.deadline) return state;
        state.examined += 1;
        const mayBeTagged = options.checkTags && name.startsWith(deps.tableNamePrefix ?? '');
        const ours = managed.has(name) || (mayBeTagged && Object.keys(await tables.listTags(deps.tableArn(name))).some((k) => k.startsWith(OWN_TAG_PREFIX)));
        if (ours) await releaseOne(name, snapshot);
        state.cursor = name;
      }
      next = page.next;
    } while (next !== undefined);
    Object.assign(state, { phase: 'leftovers', cursor: undefined });
  }
  if (state.phase === 'leftovers') {
    // A fresh look: what is still managed now (deleted tables, failed releases, anything created meanwhile).
    const snapshot = await snapshotOnce(true);
    const names = [...managedTableNames(snapshot)].sort().filter((n) => (state.cursor === undefined || n > state.cursor) && !(options.dryRun && planned.has(n)));
    for (const name of names) {
      if (clock.now() >= options.deadline) return state;
      state.examined += 1;
      await releaseOne(name, snapshot);
      state.cursor = name;
    }
    Object.assign(state, { phase: 'done', cursor: undefined });
  }
  return state;
}
