/**
 * Text for humans: one line per change event (table, operation, key, compact diff), a
 * rate limiter so a full load does not flood the terminal, and the session summary. Pure
 * formatting; the caller decides where the text goes.
 */
import type { Verdict } from './ledger';
import type { TableInspection } from './inspect';

const MAX_VALUE = 28;

function short(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

function compactImage(image: Record<string, unknown> | null | undefined, skip: ReadonlySet<string>, limit = 4): string {
  if (!image) return '';
  const entries = Object.entries(image).filter(([name]) => !skip.has(name));
  const shown = entries.slice(0, limit).map(([name, value]) => `${name}=${short(value)}`);
  if (entries.length > limit) shown.push(`+${entries.length - limit} more`);
  return `{${shown.join(', ')}}`;
}

/** `name: old -> new` for the attributes that differ (added/removed ones included). */
export function compactDiff(oldImage: Record<string, unknown> | null, newImage: Record<string, unknown> | null, limit = 4): string {
  const names = [...new Set([...Object.keys(oldImage ?? {}), ...Object.keys(newImage ?? {})])];
  const changed = names.filter((name) => JSON.stringify(oldImage?.[name]) !== JSON.stringify(newImage?.[name]));
  const parts = changed.slice(0, limit).map((name) => {
    const before = oldImage && name in oldImage ? short(oldImage[name]) : '∅';
    const after = newImage && name in newImage ? short(newImage[name]) : '∅';
    return `${name}: ${before} -> ${after}`;
  });
  if (changed.length > limit) parts.push(`+${changed.length - limit} more`);
  return parts.length === 0 ? '(no attribute changed)' : parts.join(', ');
}

export interface DisplayEvent {
  readonly table: string;
  readonly operation: string;
  readonly keys: Record<string, unknown>;
  readonly old: Record<string, unknown> | null;
  readonly new: Record<string, unknown> | null;
  readonly approximateCreationTime?: string | null;
}

/** One line: `12:00:01.250  dms_orders      MODIFY    customer_id=5,order_id=12  status: "new" -> "paid"`. */
export function formatEventLine(event: DisplayEvent, at: Date = new Date()): string {
  const time = at.toISOString().slice(11, 23);
  const key = Object.entries(event.keys).map(([name, value]) => `${name}=${String(value)}`).join(',');
  const skip = new Set(Object.keys(event.keys));
  let detail: string;
  switch (event.operation) {
    case 'insert':
      detail = `+ ${compactImage(event.new, skip)}`;
      break;
    case 'modify':
      detail = compactDiff(event.old, event.new);
      break;
    case 'remove':
      detail = `- ${compactImage(event.old, skip)}`;
      break;
    default:
      detail = compactImage(event.new, skip);
  }
  return `${time}  ${event.table.padEnd(16)} ${event.operation.toUpperCase().padEnd(8)}  ${key.padEnd(28)}  ${detail}`;
}

/**
 * Lets through at most `perSecond` lines each second; the rest are counted and reported as
 * one "… N more events" line when the next second starts (or on flush()).
 */
export function createRateLimiter(perSecond: number, print: (line: string) => void, now: () => number = Date.now) {
  let windowStart = 0;
  let shown = 0;
  let skipped = 0;
  const flush = () => {
    if (skipped > 0) print(`… ${skipped} more event${skipped === 1 ? '' : 's'} (not shown)`);
    skipped = 0;
  };
  return {
    line(text: string) {
      const t = now();
      if (t - windowStart >= 1_000) {
        flush();
        windowStart = t;
        shown = 0;
      }
      if (shown < perSecond) {
        shown += 1;
        print(text);
      } else {
        skipped += 1;
      }
    },
    flush,
  };
}

const ms = (value: number) => (value >= 1_000 ? `${(value / 1_000).toFixed(2)} s` : `${Math.round(value)} ms`);

/** The end-of-scenario summary. */
export function formatSummary(input: {
  verdict: Verdict;
  inspections: readonly TableInspection[];
  control: TableInspection;
  convergeMs: Record<string, number>;
  scenarioMs: number;
}): string {
  const { verdict, inspections, control } = input;
  const converged = inspections.filter((t) => t.streamEnabled && t.streamViewType === 'NEW_AND_OLD_IMAGES' && t.mappingsOnLatestStream === 1 && t.mappingsOnAnyStream === 1);
  const controlUntouched = !control.streamEnabled && control.mappingsOnAnyStream === 0 && control.scalingTargets === 0;
  const lines = [
    '',
    'Summary',
    `  tables converged      ${converged.length}/${inspections.length} (stream NEW_AND_OLD_IMAGES, exactly one mapping to the forwarder)`,
    `  control table         ${control.table}: ${controlUntouched ? 'untouched (no stream, no mapping, no scaling)' : 'TOUCHED'}`,
    `  changes written       ${verdict.totals.writes} (${verdict.totals.writesAfterStream} after the table's stream was on) in ${ms(input.scenarioMs)}`,
    `  events received       ${verdict.totals.streamEvents + verdict.totals.snapshotEvents} (${verdict.totals.streamEvents} from streams, ${verdict.totals.snapshotEvents} snapshot rows from backfills)`,
    `  latency write->Kinesis p50 ${ms(verdict.latency.p50)}  p90 ${ms(verdict.latency.p90)}  p99 ${ms(verdict.latency.p99)}  max ${ms(verdict.latency.max)}  (${verdict.latency.count} changes)`,
    '',
    `  ${'table'.padEnd(18)}${'writes'.padStart(7)}${'on-stream'.padStart(10)}${'events'.padStart(8)}${'snapshot'.padStart(9)}${'missing'.padStart(8)}${'dup'.padStart(5)}${'order'.padStart(6)}${'stale'.padStart(6)}${'scaling'.padStart(8)}${'converged in'.padStart(13)}`,
    ...verdict.tables.map((t) => {
      const inspection = inspections.find((i) => i.table === t.table);
      const took = input.convergeMs[t.table];
      return `  ${t.table.padEnd(18)}${String(t.writes).padStart(7)}${String(t.writesAfterStream).padStart(10)}${String(t.streamEvents).padStart(8)}${String(t.snapshotEvents).padStart(9)}${String(t.missing).padStart(8)}${String(t.duplicates).padStart(5)}${String(t.outOfOrder).padStart(6)}${String(t.staleItems).padStart(6)}${String(inspection?.scalingTargets ?? '-').padStart(8)}${(took === undefined ? '-' : ms(took)).padStart(13)}`;
    }),
    '',
  ];
  const clean = verdict.totals.missing === 0 && verdict.totals.outOfOrder === 0 && verdict.totals.staleItems === 0;
  lines.push(
    clean
      ? `  OK: nothing missing, per-item order kept, every item's final state on Kinesis${verdict.totals.duplicates > 0 ? ` (${verdict.totals.duplicates} re-delivered after retries, same id)` : ', no duplicates'}.`
      : `  PROBLEMS:\n${verdict.problems.map((p) => `    - ${p}`).join('\n')}`,
  );
  return lines.join('\n');
}
