/**
 * The read budget of a whole backfill run, fixed once: the run's first invocation derives it
 * from the table's capacity at that moment (readBudgetRcu in ./budget.ts) and stores it in the
 * run's state; every later invocation uses the stored value.
 *
 * Why not the capacity each invocation sees: the reconciler puts a target-tracking policy on
 * the table, and target tracking removes capacity when utilization stays low. DynamoDB auto
 * scaling scales in once consumption has been 20 points or more below the target utilization
 * for 15 consecutive minutes (https://repost.aws/knowledge-center/dynamodb-auto-scaling), to
 * about what keeps the metric at the target
 * (https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-target-tracking.html).
 * A scan using a quarter of the capacity is exactly such low utilization: re-deriving the budget
 * from the shrunk capacity shrinks the scan, which shrinks the capacity again (200 -> 71 -> 25 -> 9
 * RCU with a 70% target), until a large table takes days.
 *
 * Why this base and not another:
 * - A fixed rate is something scale-in cannot erode: target tracking settles where the scan's
 *   constant consumption is at the target utilization, i.e. at budget / target, which is above
 *   the budget, so the scan is never starved by the scaling it causes.
 * - The scalable target's MaxCapacity is a ceiling, not what the table has: a fraction of it can
 *   exceed the provisioned capacity and make the scan alone throttle or drive scale-out, which the
 *   budget exists to avoid; it would also need DescribeScalableTargets (no resource-level
 *   permissions) and would not exist on tables without auto scaling.
 * - The capacity at the run's start is what the table was given before the scan could influence
 *   it, needs no further API call or permission, and means the same for every billing mode.
 */
import type { BackfillState } from '../src/backfill-state/checkpoint';
import { StateConflictError } from '../src/backfill-state/errors';
import type { Versioned } from '../src/backfill-state/state-store';
import type { Logger } from '../src/observability/logger';
import { readBudgetRcu, type BudgetSettings, type TableReadCapacity } from './budget';
import type { BackfillDeps } from './deps';

/** Where an invocation's budget came from. */
export const BudgetSource = {
  /** Stored in the run's state by an earlier invocation. */
  Run: 'run',
  /** Derived from the table's capacity now and stored for the rest of the run. */
  Fixed: 'fixed',
  /** Derived now but not stored (the run was superseded or ended meanwhile). */
  Unstored: 'unstored',
} as const;
export type BudgetSource = (typeof BudgetSource)[keyof typeof BudgetSource];

/**
 * The run's budget in RCU/s: the stored one, or one derived from `capacity` and stored with one
 * conditional update (first writer wins, so concurrent invocations agree on one budget).
 */
export async function runReadBudget(
  initial: Versioned<BackfillState>,
  capacity: TableReadCapacity,
  settings: BudgetSettings,
  deps: Pick<BackfillDeps, 'store' | 'clock'> & { readonly logger: Logger },
): Promise<{ budgetRcu: number; source: BudgetSource }> {
  if (initial.value.readBudgetRcu !== undefined) return { budgetRcu: initial.value.readBudgetRcu, source: BudgetSource.Run };
  const budgetRcu = readBudgetRcu(capacity, settings);
  try {
    const stored = await deps.store.fixReadBudget(initial.value.tableName, initial.value.runId, budgetRcu, deps.clock.now());
    return { budgetRcu: stored, source: stored === budgetRcu ? BudgetSource.Fixed : BudgetSource.Run };
  } catch (error) {
    if (!(error instanceof StateConflictError)) throw error;
    // Superseded or no longer running: the runner finds out at its next write.
    deps.logger.warn('read budget not stored (the run changed); this invocation uses it unstored', { budgetRcu });
    return { budgetRcu, source: BudgetSource.Unstored };
  }
}
