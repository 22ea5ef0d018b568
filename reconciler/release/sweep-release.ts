/**
 * The sweep's release step: a table the reconciler manages (a mapping of this forwarder or
 * one of its scaling policies, from the sweep's snapshot) that the filters no longer include
 * is released, so narrowing TABLE_INCLUDE_PATTERNS / TABLE_EXCLUDE_PATTERNS takes back what
 * the reconciler created there. Streams stay enabled (a scope change is not a teardown).
 */
import type { OperatorContext } from '../context';
import type { Snapshot } from '../observe';
import { Outcome, type TableResult } from '../results';
import { ReleaseReason } from './model';
import { createReleaser, ReleaseOutcome, type ReleaseResult } from './releaser';

export type ReleaseOne = (tableName: string, options: { dryRun: boolean; deadline: number; trigger: string }, snapshot?: Snapshot) => Promise<TableResult>;

const OUTCOME: Record<ReleaseResult['outcome'], (typeof Outcome)[keyof typeof Outcome]> = {
  [ReleaseOutcome.Released]: Outcome.Released,
  [ReleaseOutcome.Nothing]: Outcome.Converged,
  [ReleaseOutcome.Planned]: Outcome.Planned,
  [ReleaseOutcome.Requeue]: Outcome.Requeue,
  [ReleaseOutcome.Error]: Outcome.Error,
};

/** Releases one out-of-scope table as a sweep result (the operator's ports, logger and metrics). */
export function createSweepRelease(ctx: OperatorContext): ReleaseOne {
  const { deps, clock } = ctx;
  const releaser = createReleaser({ tables: deps.tables, mappings: deps.mappings, scaling: deps.scaling, announcer: deps.announcer, logger: deps.logger, metrics: deps.metrics, clock });
  return async (tableName, options, snapshot) => {
    deps.logger.info('table left the scope: releasing it', { table: tableName, dryRun: options.dryRun });
    const result = await releaser.release(tableName, {
      reason: ReleaseReason.OutOfScope, disableStream: false, dryRun: options.dryRun, deadline: options.deadline, trigger: options.trigger,
      ...(snapshot ? { snapshot } : {}),
    });
    return {
      table: tableName,
      outcome: OUTCOME[result.outcome],
      actions: result.actions,
      conflicts: [],
      release: { kept: result.kept },
      ...(result.outcome === ReleaseOutcome.Requeue ? { retry: 'later' as const, reason: result.error?.message ?? 'release not finished' } : {}),
      ...(result.error && result.outcome === ReleaseOutcome.Error ? { error: result.error } : {}),
    };
  };
}
