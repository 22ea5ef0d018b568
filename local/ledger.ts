/**
 * What the local scenario wrote and what arrived on Kinesis, and the verdict: changes
 * after a table's stream was on must each arrive (once per attempt) in per-item order;
 * every item's final state must be visible to a consumer (from the stream or, for rows
 * written before the stream existed, from the backfill's snapshot events). Pure.
 */

/** One write the scenario made. Every written item carries a numeric `rev` unique to the write. */
export interface WriteEntry {
  readonly table: string;
  /** Canonical key text (see keyText). */
  readonly key: string;
  readonly op: 'put' | 'update' | 'delete';
  /** rev of the item after the write; for a delete, the rev of the item it removed. */
  readonly rev: number;
  /** Started after the table's stream was observed enabled: it must appear on the stream. */
  readonly afterStream: boolean;
  /** ms since epoch when the write call returned. */
  readonly writtenAt: number;
}

/** The parts of a change event (schema v1) the verdict needs. */
export interface ReceivedEvent {
  readonly id: string;
  readonly operation: string;
  readonly table: string;
  readonly keys: Record<string, unknown>;
  readonly old: Record<string, unknown> | null;
  readonly new: Record<string, unknown> | null;
  readonly sequenceNumber: string | null;
  /** Kinesis arrival time (ms since epoch). */
  readonly arrivedAt: number;
}

/** Canonical text of an item key, whatever JSON type its values have (numbers are strings in events). */
export function keyText(keys: Record<string, unknown>): string {
  return Object.keys(keys)
    .sort()
    .map((name) => `${name}=${String(keys[name])}`)
    .join(',');
}

const revOf = (image: Record<string, unknown> | null): number | undefined => {
  const value = image?.rev;
  return value === undefined || value === null ? undefined : Number(value);
};

export interface TableVerdict {
  table: string;
  writes: number;
  writesAfterStream: number;
  streamEvents: number;
  snapshotEvents: number;
  missing: number;
  duplicates: number;
  outOfOrder: number;
  /** Items whose final state no event shows. */
  staleItems: number;
}

export interface Verdict {
  tables: TableVerdict[];
  totals: Omit<TableVerdict, 'table'>;
  /** Table write -> Kinesis arrival, for writes after the stream was on (ms). */
  latency: { count: number; p50: number; p90: number; p99: number; max: number };
  /** Human-readable problems (first few of each kind). */
  problems: string[];
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/** Compares the writes with the events received. `tables` limits the verdict (default: every written table). */
export function judge(writes: readonly WriteEntry[], events: readonly ReceivedEvent[], tables?: readonly string[]): Verdict {
  const names = tables ?? [...new Set(writes.map((w) => w.table))].sort();
  const problems: string[] = [];
  const note = (text: string) => {
    if (problems.length < 20) problems.push(text);
  };
  const latencies: number[] = [];
  const verdicts: TableVerdict[] = [];

  for (const table of names) {
    const tableWrites = writes.filter((w) => w.table === table);
    const tableEvents = events.filter((e) => e.table === table);
    const stream = tableEvents.filter((e) => e.operation !== 'snapshot');
    const snapshots = tableEvents.filter((e) => e.operation === 'snapshot');

    // Duplicates: the same stream record (id) delivered more than once.
    const seenIds = new Map<string, number>();
    for (const event of stream) seenIds.set(event.id, (seenIds.get(event.id) ?? 0) + 1);
    const duplicates = [...seenIds.values()].reduce((sum, n) => sum + (n - 1), 0);

    // Index stream events by what they prove: "table|rev" for puts/updates, "del|rev" for deletes.
    const byWrite = new Map<string, ReceivedEvent>();
    for (const event of stream) {
      const tag = event.operation === 'remove' ? `del|${revOf(event.old)}` : `put|${revOf(event.new)}`;
      if (!byWrite.has(tag)) byWrite.set(tag, event);
    }
    let missing = 0;
    for (const write of tableWrites) {
      if (!write.afterStream) continue;
      const event = byWrite.get(write.op === 'delete' ? `del|${write.rev}` : `put|${write.rev}`);
      if (!event) {
        missing += 1;
        note(`${table}: ${write.op} of {${write.key}} (rev ${write.rev}) never arrived`);
        continue;
      }
      latencies.push(Math.max(0, event.arrivedAt - write.writtenAt));
    }

    // Per-item order: in arrival order, the stream sequence numbers of one key only increase.
    let outOfOrder = 0;
    const lastSeq = new Map<string, bigint>();
    const firstIds = new Set<string>();
    for (const event of stream) {
      if (firstIds.has(event.id)) continue; // a re-delivered duplicate is not a reordering
      firstIds.add(event.id);
      if (event.sequenceNumber === null) continue;
      const key = keyText(event.keys);
      const seq = BigInt(event.sequenceNumber);
      const previous = lastSeq.get(key);
      if (previous !== undefined && seq < previous) {
        outOfOrder += 1;
        note(`${table}: {${key}} event ${event.sequenceNumber} arrived after ${previous}`);
      }
      lastSeq.set(key, seq);
    }

    // Final state: each item's last write is visible in some event (stream or snapshot).
    const finalWrite = new Map<string, WriteEntry>();
    for (const write of tableWrites) finalWrite.set(write.key, write);
    const shownPuts = new Set<string>();
    for (const event of tableEvents) {
      const rev = event.operation === 'remove' ? undefined : revOf(event.new);
      if (rev !== undefined) shownPuts.add(`${keyText(event.keys)}|${rev}`);
    }
    let staleItems = 0;
    for (const [key, write] of finalWrite) {
      if (write.op === 'delete') {
        // Deleted before the stream existed: never written to Kinesis at all, or removed on it.
        if (write.afterStream && !byWrite.has(`del|${write.rev}`)) staleItems += 1;
        continue;
      }
      if (!shownPuts.has(`${key}|${write.rev}`)) {
        staleItems += 1;
        note(`${table}: final state of {${key}} (rev ${write.rev}) is on no event`);
      }
    }

    verdicts.push({
      table,
      writes: tableWrites.length,
      writesAfterStream: tableWrites.filter((w) => w.afterStream).length,
      streamEvents: stream.length,
      snapshotEvents: snapshots.length,
      missing,
      duplicates,
      outOfOrder,
      staleItems,
    });
  }

  const sum = (field: keyof Omit<TableVerdict, 'table'>) => verdicts.reduce((total, v) => total + v[field], 0);
  latencies.sort((a, b) => a - b);
  return {
    tables: verdicts,
    totals: {
      writes: sum('writes'),
      writesAfterStream: sum('writesAfterStream'),
      streamEvents: sum('streamEvents'),
      snapshotEvents: sum('snapshotEvents'),
      missing: sum('missing'),
      duplicates: sum('duplicates'),
      outOfOrder: sum('outOfOrder'),
      staleItems: sum('staleItems'),
    },
    latency: {
      count: latencies.length,
      p50: percentile(latencies, 50),
      p90: percentile(latencies, 90),
      p99: percentile(latencies, 99),
      max: latencies[latencies.length - 1] ?? 0,
    },
    problems,
  };
}
