/**
 * Memory bound for tombstones. A remove leaves a tombstone so that an older event of the same
 * item that is still on its way (a redriven change, a snapshot read before the remove) loses
 * against it instead of bringing the item back. Kept forever, tombstones grow with every
 * item ever deleted, so the Materializer drops them by this policy:
 *
 * - by age, in event time: a tombstone goes once the table's newest event time (the latest
 *   approximateCreationTime or readAt seen) is `retentionMs` past the remove. Dropping is then
 *   safe when nothing older than `retentionMs` can still arrive. The default, 25 hours, covers
 *   the DynamoDB stream's 24-hour retention (a redriven change is re-read from the stream, so
 *   it is never older) plus an hour for a backfill page in flight;
 * - by count: beyond `maxPerTable` tombstones in a table the earliest recorded go first even
 *   if younger (`onEvicted` says `safe: false`): a late older event for that item could then
 *   resurrect it until the next change or heal of the item. Size it for the deletes of a
 *   retention period.
 */

/** How long and how many tombstones are kept. */
export interface TombstonePolicy {
  /** Event time a tombstone is kept after its remove; 25 hours by default. */
  readonly retentionMs?: number;
  /** Most tombstones kept per table; 100,000 by default. */
  readonly maxPerTable?: number;
  /** Told about every tombstone dropped (for a metric or log). */
  readonly onEvicted?: (eviction: TombstoneEviction) => void;
}

/** A dropped tombstone. */
export interface TombstoneEviction {
  readonly table: string;
  readonly key: string;
  /** When the remove happened (epoch ms, event time). */
  readonly removedAt: number;
  /** True when it was older than the retention (no older event can still arrive). */
  readonly safe: boolean;
}

/** Default tombstone retention: the stream's 24 h plus one hour. */
export const DEFAULT_TOMBSTONE_RETENTION_MS = 25 * 60 * 60 * 1000;
/** Default most tombstones per table. */
export const DEFAULT_MAX_TOMBSTONES_PER_TABLE = 100_000;

/** One table's tombstones, in the order they were recorded, with their remove times. */
export class TombstoneLedger {
  private readonly removedAt = new Map<string, number>();
  private readonly retentionMs: number;
  private readonly maxPerTable: number;

  constructor(
    private readonly table: string,
    private readonly policy: TombstonePolicy = {},
  ) {
    this.retentionMs = policy.retentionMs ?? DEFAULT_TOMBSTONE_RETENTION_MS;
    this.maxPerTable = policy.maxPerTable ?? DEFAULT_MAX_TOMBSTONES_PER_TABLE;
  }

  get size(): number {
    return this.removedAt.size;
  }

  /** Records (or moves to the end) the tombstone of `key`. */
  record(key: string, removedAt: number): void {
    this.removedAt.delete(key);
    this.removedAt.set(key, removedAt);
  }

  /** The key has a live version again (or none at all). */
  forget(key: string): void {
    this.removedAt.delete(key);
  }

  /** Keys to drop now, given the table's newest event time; each is reported to onEvicted. */
  expire(watermark: number): string[] {
    const dropped: string[] = [];
    for (const [key, removedAt] of this.removedAt) {
      const safe = removedAt <= watermark - this.retentionMs;
      if (!safe && this.removedAt.size - dropped.length <= this.maxPerTable) break;
      dropped.push(key);
      this.policy.onEvicted?.({ table: this.table, key, removedAt, safe });
    }
    for (const key of dropped) this.removedAt.delete(key);
    return dropped;
  }
}
