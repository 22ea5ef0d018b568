/**
 * The operator: reconcile requests carry only a table name; each one observes the table
 * (observe.ts), plans against the desired state (plan.ts, pure), applies the plan through
 * the ports (apply.ts) and announces the outcome (announce.ts); reconcile.ts runs those
 * steps for one table and sweep.ts runs them over every table. This module only wires them.
 *
 * Public API (used by the handler, the CLI and the local run): {@link createOperator}.
 */
import type { ReconcilerConfig } from '../src/config/reconciler';
import { createAnnouncer } from './announce';
import { createApplier } from './apply';
import type { OperatorContext, OperatorDeps, RunOptions, SweepOptions } from './context';
import type { Desired } from './model';
import { createObserver, createStreamOwnership } from './observe';
import { systemClock, type BackfillStarter } from './ports';
import { createReconcileOne } from './reconcile';
import { createSweepRelease } from './release/sweep-release';
import { summarize, type RunSummary, type SweepSummary, type TableResult } from './results';
import { createSweep } from './sweep';
import { retryThrottled } from './throttle';

export { STREAM_LABEL_TAG_KEY } from './model';
export type { OperatorDeps, RunOptions, SweepOptions } from './context';
export { Outcome, type RunSummary, type SweepSummary, type TableResult } from './results';

export interface Operator {
  reconcileTables(names: readonly string[], options?: RunOptions): Promise<RunSummary>;
  sweep(options?: SweepOptions): Promise<SweepSummary>;
  /** Observed state and plan per table, changing nothing (a dry run that includes what was observed). */
  status(names: readonly string[]): Promise<RunSummary>;
}

/** The backfill starter's stall threshold when none is given (BACKFILL_DEFAULTS.staleAfterMs). */
export const DEFAULT_BACKFILL_STALL_MS = 15 * 60_000;

/**
 * The desired state from the configuration. `backfill`: whether the backfill module is wired
 * (true, or its starter, whose stall threshold the plan must share so that a run the plan
 * calls stalled is one start() kicks).
 */
export function desiredFromConfig(config: ReconcilerConfig, backfill: boolean | Pick<BackfillStarter, 'stallAfterMs'>): Desired {
  return {
    streamConflictPolicy: config.streamConflictPolicy,
    capacity: config.capacity,
    mapping: config.mapping,
    backfillEnabled: config.backfillEnabled && backfill !== false,
    backfillStallMs: typeof backfill === 'object' ? backfill.stallAfterMs : DEFAULT_BACKFILL_STALL_MS,
  };
}

/** The shared context: throttled calls are retried where they happen; everything else is the operator's to handle. */
function contextOf(input: OperatorDeps): OperatorContext {
  const clock = input.clock ?? systemClock;
  const deps: OperatorDeps = {
    ...input,
    tables: retryThrottled(input.tables, clock),
    streams: retryThrottled(input.streams, clock),
    mappings: retryThrottled(input.mappings, clock),
    scaling: retryThrottled(input.scaling, clock),
    ...(input.backfill ? { backfill: retryThrottled(input.backfill, clock) } : {}),
  };
  return { deps, desired: desiredFromConfig(deps.config, deps.backfill ?? false), clock };
}

export function createOperator(input: OperatorDeps): Operator {
  const ctx = contextOf(input);
  const { deps } = ctx;
  const ownership = createStreamOwnership(deps.tables);
  const observer = createObserver(ctx, ownership);
  const reconcileOne = createReconcileOne(ctx, observer, createApplier(ctx, ownership), createAnnouncer(ctx));
  const sweep = createSweep(ctx, observer, reconcileOne, createSweepRelease(ctx));

  async function reconcileTables(names: readonly string[], options: RunOptions = {}): Promise<RunSummary> {
    const results: TableResult[] = [];
    for (const name of names) {
      if (!deps.filter.includesName(name)) {
        deps.logger.info('table ignored', { table: name, reason: 'excluded by TABLE_INCLUDE_PATTERNS/TABLE_EXCLUDE_PATTERNS' });
        continue;
      }
      results.push(await reconcileOne(name, options));
    }
    return summarize(deps.metrics, options.dryRun ?? false, results);
  }

  return {
    reconcileTables,
    sweep,
    status: (names) => reconcileTables(names, { dryRun: true, trigger: 'status' }),
  };
}
