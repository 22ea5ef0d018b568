/** What a reconcile run reports: one {@link TableResult} per table and their {@link RunSummary}. */
import type { Metrics } from '../src/observability/metrics';
import type { Action, Conflict, DrainingMapping, Observed } from './model';
import type { Kept, ReleaseAction } from './release/model';

/** Outcome of one table's reconcile. */
export const Outcome = {
  /** Nothing to do: already converged. */
  Converged: 'converged',
  /** Actions applied; the table is converged. */
  Changed: 'changed',
  /** Dry run: `actions` is the plan, nothing was changed. */
  Planned: 'planned',
  /** Something must be looked at again: retry soon (`retry: 'now'`) or in a later run (`'later'`). */
  Requeue: 'requeue',
  /** The table is gone; what the reconciler left behind was removed (or nothing was). */
  Removed: 'removed',
  /** A failure retrying will not fix (validation, access denied). */
  Error: 'error',
  /** The table left the scope: what the reconciler created on it was released (in a dry run: `planned`, with `release`). */
  Released: 'released',
} as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

export interface TableResult {
  table: string;
  outcome: Outcome;
  /** Applied actions, or in a dry run the planned ones; a release's are {@link ReleaseAction}s. */
  actions: (Action | ReleaseAction)[];
  conflicts: Conflict[];
  /** Mappings on disabled or superseded streams kept until drained; absent when there are none. */
  draining?: DrainingMapping[];
  /** Set when the table was (or in a dry run would be) released because it left the scope: what is kept on purpose. */
  release?: { kept: Kept[] };
  /** Set when outcome is `requeue`. */
  retry?: 'now' | 'later';
  reason?: string;
  error?: { name: string; message: string };
  /** Only in dry runs / status: what was observed. */
  observed?: Observed;
}

export interface RunSummary {
  dryRun: boolean;
  counts: { seen: number; converged: number; changed: number; conflicts: number; requeued: number; removed: number; released: number; errors: number };
  tables: TableResult[];
}

export interface SweepSummary extends RunSummary {
  /** False when the sweep stopped before the deadline; `cursor` says where to carry on. */
  complete: boolean;
  cursor?: string;
}

/** Counts the outcomes (and emits them as `Tables.*` metrics). */
export function summarize(metrics: Metrics, dryRun: boolean, tables: TableResult[]): RunSummary {
  const counts = { seen: tables.length, converged: 0, changed: 0, conflicts: 0, requeued: 0, removed: 0, released: 0, errors: 0 };
  for (const t of tables) {
    if (t.release) {
      if (t.outcome === Outcome.Released || (t.outcome === Outcome.Planned && t.actions.length > 0)) counts.released++;
      if (t.outcome === Outcome.Requeue) counts.requeued++;
      if (t.outcome === Outcome.Error) counts.errors++;
      continue;
    }
    if (t.outcome === Outcome.Converged) counts.converged++;
    if (t.outcome === Outcome.Changed || (t.outcome === Outcome.Planned && t.actions.length > 0)) counts.changed++;
    if (t.outcome === Outcome.Planned && t.actions.length === 0) counts.converged++;
    if (t.outcome === Outcome.Requeue) counts.requeued++;
    if (t.outcome === Outcome.Removed) counts.removed++;
    if (t.outcome === Outcome.Error) counts.errors++;
    if (t.conflicts.length > 0) counts.conflicts++;
  }
  for (const [name, value] of Object.entries(counts)) metrics.add(`Tables.${name}`, value);
  return { dryRun, counts, tables };
}
