/**
 * One table's reconcile: observe, plan, apply, announce. Level-triggered: after a
 * transient failure it observes again and re-plans rather than resuming a script.
 */
import { describeError } from '../src/errors';
import type { Logger } from '../src/observability/logger';
import type { Announce } from './announce';
import type { Applier } from './apply';
import type { OperatorContext, RunOptions } from './context';
import { AwsCallError, ErrorKind } from './errors';
import { PlanState, type Action, type DrainingMapping, type Observed } from './model';
import type { Observer, Snapshot } from './observe';
import { plan as planTable } from './plan';
import { backoff, MAX_ATTEMPTS, NotReadyInTime } from './retry';
import { Outcome, type TableResult } from './results';

/** Reconciles one table; `snapshot` (a sweep's listings) serves the first attempt only. */
export type ReconcileOne = (tableName: string, options: RunOptions, snapshot?: Snapshot) => Promise<TableResult>;

interface Attempt {
  tableName: string;
  options: RunOptions;
  dryRun: boolean;
  deadline: number;
  log: Logger;
  applied: Action[];
}

export function createReconcileOne(ctx: OperatorContext, observer: Observer, applier: Applier, announce: Announce): ReconcileOne {
  const { deps, desired, clock } = ctx;

  async function attemptOnce(a: Attempt, snapshot: Snapshot | undefined): Promise<TableResult> {
    const observed: Observed = await observer.observeTable(a.tableName, { dryRun: a.dryRun, deadline: a.deadline, log: a.log, ...(snapshot ? { snapshot } : {}) });
    const planned = planTable(observed, desired);
    const draining = planned.draining.length > 0 ? { draining: planned.draining } : {};
    if (a.dryRun) {
      return { table: a.tableName, outcome: Outcome.Planned, actions: planned.actions, conflicts: planned.conflicts, ...draining, observed, ...(planned.state === PlanState.NotReady ? { reason: 'table not ACTIVE' } : {}) };
    }
    logDraining(a.log, planned.draining);
    const extra = await applier.apply(planned, observed, a.deadline, a.log, a.applied);
    if (planned.state === PlanState.Gone && a.options.expectExists) {
      // DescribeTable is eventually consistent right after CreateTable: leftovers of an older
      // table of that name are removed, and the new one is looked at again.
      return { table: a.tableName, outcome: Outcome.Requeue, retry: 'now', reason: 'table not found yet', actions: a.applied, conflicts: [] };
    }
    const outcome = planned.state === PlanState.Gone ? Outcome.Removed : a.applied.length > 0 ? Outcome.Changed : Outcome.Converged;
    const result: TableResult = { table: a.tableName, outcome, actions: a.applied, conflicts: planned.conflicts, ...draining };
    if (planned.revisitLater) Object.assign(result, { outcome: Outcome.Requeue, retry: 'later', reason: 'an index is not ACTIVE yet' });
    await announce(result, observed, extra, a.options.trigger ?? 'direct');
    return result;
  }

  /** Mappings kept on old streams: logged with when they go, counted as `MappingsDraining`. */
  function logDraining(log: Logger, draining: readonly DrainingMapping[]): void {
    if (draining.length === 0) return;
    for (const d of draining) {
      log.info('mapping draining', { uuid: d.uuid, streamArn: d.streamArn, reason: d.reason, removeAfter: d.removeAfter === undefined ? 'when the stream is deleted' : new Date(d.removeAfter).toISOString() });
    }
    deps.metrics.add('MappingsDraining', draining.length);
  }

  /** The result for a failure that ends the reconcile, or undefined when observing again may help. */
  function failureResult(a: Attempt, error: unknown, attempt: number): TableResult | undefined {
    const base = { table: a.tableName, actions: a.applied, conflicts: [] };
    if (error instanceof NotReadyInTime) return { ...base, outcome: Outcome.Requeue, retry: 'now', reason: error.message };
    if (!(error instanceof AwsCallError)) {
      a.log.error('reconcile failed', { error: describeError(error) });
      return { ...base, outcome: Outcome.Error, error: describeError(error) };
    }
    a.log.warn('reconcile attempt failed', { attempt, kind: error.kind, error: describeError(error) });
    deps.metrics.add(`AwsError.${error.kind}`);
    if (error.kind === ErrorKind.Terminal) return { ...base, outcome: Outcome.Error, error: describeError(error) };
    if (error.kind === ErrorKind.RetryLater) return { ...base, outcome: Outcome.Requeue, retry: 'later', reason: error.message };
    // Retryable, conflict or not-found (something changed under us): observe again.
    return undefined;
  }

  return async (tableName, options, snapshot) => {
    const a: Attempt = {
      tableName,
      options,
      dryRun: options.dryRun ?? false,
      deadline: options.deadline ?? clock.now() + 60_000,
      log: deps.logger.child({ table: tableName }),
      applied: [],
    };
    let lastError: AwsCallError | undefined;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      try {
        return await attemptOnce(a, attempt === 0 ? snapshot : undefined);
      } catch (error) {
        const final = failureResult(a, error, attempt);
        if (final) return final;
        lastError = error as AwsCallError;
        if (clock.now() >= a.deadline) break;
        await backoff(clock, attempt);
      }
    }
    return { table: tableName, outcome: Outcome.Requeue, retry: 'now', reason: lastError?.message ?? 'deadline reached', actions: a.applied, conflicts: [] };
  };
}
