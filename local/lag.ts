/**
 * Lag per table, read from change events as a consumer sees them (no CloudWatch needed):
 * - source lag: Kinesis arrival minus `origin.commitTime` (source commit to Kinesis), for events
 *   whose item carried the DMS commit-timestamp header;
 * - stream lag: Kinesis arrival minus `approximateCreationTime` (DynamoDB write to Kinesis), for
 *   stream events (snapshots have none: their time is when the backfill read the row).
 * Pure: shared by the local run's summary and `dms-event-bus status`.
 */

/** The parts of a change event the lag needs (plus when it reached Kinesis). */
export interface LagEvent {
  readonly table: string;
  readonly operation: string;
  readonly approximateCreationTime?: string | null;
  readonly origin?: { readonly commitTime?: string | null } | null;
  /** Kinesis ApproximateArrivalTimestamp (ms since epoch). */
  readonly arrivedAt: number;
}

export interface TableLag {
  readonly table: string;
  readonly events: number;
  /** Events with a usable commit time. */
  readonly withCommitTime: number;
  /** Source lag of the newest event (by arrival) that has one, and the largest seen; ms. */
  readonly sourceLagLastMs: number | undefined;
  readonly sourceLagMaxMs: number | undefined;
  readonly sourceLagP50Ms: number | undefined;
  /** Stream lag (DynamoDB write to Kinesis) of the newest stream event, and the largest seen; ms. */
  readonly streamLagLastMs: number | undefined;
  readonly streamLagMaxMs: number | undefined;
  readonly lastArrivalAt: number;
}

const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

function timeOf(text: string | null | undefined): number | undefined {
  if (typeof text !== 'string') return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Lag per table, tables sorted by name. A clock difference below zero (skew) counts as 0. */
export function lagByTable(events: readonly LagEvent[]): TableLag[] {
  const groups = new Map<string, LagEvent[]>();
  for (const event of events) {
    const group = groups.get(event.table);
    if (group) group.push(event);
    else groups.set(event.table, [event]);
  }
  return [...groups.keys()].sort().map((table) => {
    const group = [...(groups.get(table) as LagEvent[])].sort((a, b) => a.arrivedAt - b.arrivedAt);
    const source: number[] = [];
    const stream: number[] = [];
    for (const event of group) {
      // A remove carries the origin of the item's last write, not of the delete: no source lag from it.
      const commit = event.operation === 'remove' ? undefined : timeOf(event.origin?.commitTime);
      if (commit !== undefined) source.push(Math.max(0, event.arrivedAt - commit));
      const created = event.operation === 'snapshot' ? undefined : timeOf(event.approximateCreationTime);
      if (created !== undefined) stream.push(Math.max(0, event.arrivedAt - created));
    }
    const sortedSource = [...source].sort((a, b) => a - b);
    return {
      table,
      events: group.length,
      withCommitTime: source.length,
      sourceLagLastMs: source[source.length - 1],
      sourceLagMaxMs: sortedSource[sortedSource.length - 1],
      sourceLagP50Ms: sortedSource.length > 0 ? percentile(sortedSource, 0.5) : undefined,
      streamLagLastMs: stream[stream.length - 1],
      streamLagMaxMs: stream.length > 0 ? Math.max(...stream) : undefined,
      lastArrivalAt: (group[group.length - 1] as LagEvent).arrivedAt,
    };
  });
}

const ms = (value: number | undefined) => (value === undefined ? '-' : value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(1)} s`);

/** A fixed-width table of the lag per table. */
export function formatLagTable(rows: readonly TableLag[], now: number): string {
  if (rows.length === 0) return '  (no change events in the window)';
  const header = `  ${'table'.padEnd(20)}${'events'.padStart(7)}${'source lag last'.padStart(17)}${'p50'.padStart(9)}${'max'.padStart(9)}${'stream lag last'.padStart(17)}${'max'.padStart(9)}${'last event'.padStart(12)}`;
  const lines = rows.map(
    (row) =>
      `  ${row.table.padEnd(20)}${String(row.events).padStart(7)}${ms(row.sourceLagLastMs).padStart(17)}${ms(row.sourceLagP50Ms).padStart(9)}${ms(row.sourceLagMaxMs).padStart(9)}${ms(row.streamLagLastMs).padStart(17)}${ms(row.streamLagMaxMs).padStart(9)}${`${ms(now - row.lastArrivalAt)} ago`.padStart(12)}`,
  );
  return [header, ...lines].join('\n');
}

/** The local run's lag section: per table from the events received, and the heartbeat's beats. */
export function formatLagSummary(input: {
  events: readonly LagEvent[];
  heartbeat?: { readonly table: string; readonly beats: number; readonly beatsOnStream: number };
  now: number;
}): string {
  const rows = lagByTable(input.events);
  const lines = ['', 'Lag per table (from the events: source = DMS commit time -> Kinesis, stream = DynamoDB write -> Kinesis)', formatLagTable(rows, input.now)];
  if (input.heartbeat) {
    const row = rows.find((r) => r.table === input.heartbeat?.table);
    lines.push(
      '',
      `  heartbeat             ${input.heartbeat.table}: ${input.heartbeat.beats} beats written (${input.heartbeat.beatsOnStream} with its stream on), ${row?.events ?? 0} on Kinesis, lag last ${ms(row?.sourceLagLastMs)}, max ${ms(row?.sourceLagMaxMs)}`,
    );
  }
  return lines.join('\n');
}
