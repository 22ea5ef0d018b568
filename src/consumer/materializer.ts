/**
 * The Materializer folds change events into the current state of each table, by the merge
 * rule (merge-rule.ts): per table and item key it keeps two slots, the best stream event and
 * the best snapshot (with the key's largest heal cutoff); the state of a key is the item of the
 * version that wins between them (absent for a tombstone). Each slot is a maximum, so whatever
 * order the events arrive in, with duplicates, redriven events, heals and re-created tables,
 * the state ends the same, and equal to the table's. Memory: at most two versions per live
 * item, plus tombstones bounded by a TombstonePolicy.
 */
import { itemKey } from './item-key';
import { compareGenerations, Decision, resolve, versionOf, winnerOf, type Slots, type Version } from './merge-rule';
import { TombstoneLedger, type TombstonePolicy } from './tombstones';
import type { ChangeEvent, Item } from './types';

/** What `apply` did with an event. */
export const ApplyOutcome = {
  /** The key's winning version changed: to the event's, or (a heal raising the cutoff) to the kept snapshot. */
  Applied: 'applied',
  /** The event is the current version again (same id, or the same stream record). */
  Duplicate: 'duplicate',
  /** The key's state stays: a newer version (or a newer stream generation of the table) is already there. */
  Superseded: 'superseded',
  /** An unconvertible marker: it never changes state. */
  Ignored: 'ignored',
} as const;
export type ApplyOutcome = (typeof ApplyOutcome)[keyof typeof ApplyOutcome];

/** Options of the Materializer. */
export interface MaterializerOptions {
  readonly tombstones?: TombstonePolicy;
}

/** The state of one item key. */
export interface ItemState {
  /** The item; undefined for a deleted (tombstoned) key. */
  readonly item: Item | undefined;
  /** True when the winning event left its image out (too large for Kinesis): re-read the item from the table. */
  readonly incomplete: boolean;
  /** The winning version. */
  readonly version: Version;
}

interface TableState {
  /** The newest stream generation applied; undefined before the first event. */
  generation: string | null | undefined;
  readonly slots: Map<string, Slots>;
  readonly tombstones: TombstoneLedger;
  /** Newest event time seen (epoch ms): the tombstones' clock. */
  watermark: number;
}

const eventTime = (version: Version) => version.changedAt ?? version.readAt;

/** In-memory state of every table seen, built by the merge rule. */
export class Materializer {
  private readonly tablesByName = new Map<string, TableState>();

  constructor(private readonly options: MaterializerOptions = {}) {}

  /** Folds one event into the state. */
  apply(event: ChangeEvent): ApplyOutcome {
    const version = versionOf(event);
    const key = itemKey(event);
    if (version === undefined || key === undefined) return ApplyOutcome.Ignored;
    const table = this.tableState(event.table);
    table.watermark = Math.max(table.watermark, eventTime(version) ?? -Infinity);
    // Rule 5: a table's newer generation supersedes the older one; older events (draining) lose.
    if (table.generation !== undefined && compareGenerations(version.generation, table.generation) < 0) return ApplyOutcome.Superseded;
    const { decision, next } = resolve(version, table.slots.get(key));
    if (decision === Decision.Duplicate) return ApplyOutcome.Duplicate;
    if (decision === Decision.Wins && (table.generation === undefined || compareGenerations(version.generation, table.generation) > 0)) this.supersede(table, version.generation);
    if (next) table.slots.set(key, next); // a losing event may still fill a slot or raise the heal cutoff
    if (decision === Decision.Loses || next === undefined) return ApplyOutcome.Superseded;
    const winner = winnerOf(next);
    if (winner.item === null) table.tombstones.record(key, eventTime(winner) ?? table.watermark);
    else table.tombstones.forget(key);
    for (const dropped of table.tombstones.expire(table.watermark)) table.slots.delete(dropped);
    return ApplyOutcome.Applied;
  }

  /** Folds events in order; returns how many had each outcome. */
  applyAll(events: Iterable<ChangeEvent>): Record<ApplyOutcome, number> {
    const counts: Record<ApplyOutcome, number> = { applied: 0, duplicate: 0, superseded: 0, ignored: 0 };
    for (const event of events) counts[this.apply(event)] += 1;
    return counts;
  }

  /** The state of one key (see itemKey), or undefined when nothing is known of it. */
  state(key: string): ItemState | undefined {
    const bar = key.indexOf('|');
    const table = bar < 0 ? undefined : this.tablesByName.get(key.slice(0, bar));
    const slots = table?.slots.get(key);
    if (!slots) return undefined;
    const version = winnerOf(slots);
    return { item: version.item ?? undefined, incomplete: version.incomplete, version };
  }

  /** The current item of a key; undefined when deleted or never seen. */
  get(key: string): Item | undefined {
    return this.state(key)?.item;
  }

  /** Every present item of a table by key (items whose content is unknown are listed by `incompleteKeys`). */
  items(table: string): Map<string, Item> {
    const items = new Map<string, Item>();
    for (const [key, slots] of this.tablesByName.get(table)?.slots ?? []) {
      const version = winnerOf(slots);
      if (version.item !== null && !version.incomplete) items.set(key, version.item);
    }
    return items;
  }

  /** Keys whose winning event had no image (oversized): the consumer must read them from the table. */
  incompleteKeys(table: string): string[] {
    return [...(this.tablesByName.get(table)?.slots ?? [])].filter(([, slots]) => winnerOf(slots).incomplete).map(([key]) => key);
  }

  /** Names of the tables seen. */
  tables(): string[] {
    return [...this.tablesByName.keys()];
  }

  /** The table's current stream generation (null: no stream yet; undefined: table never seen). */
  generation(table: string): string | null | undefined {
    return this.tablesByName.get(table)?.generation;
  }

  /** Tombstones currently kept for a table. */
  tombstoneCount(table: string): number {
    return this.tablesByName.get(table)?.tombstones.size ?? 0;
  }

  private tableState(name: string): TableState {
    let table = this.tablesByName.get(name);
    if (!table) {
      table = { generation: undefined, slots: new Map(), tombstones: new TombstoneLedger(name, this.options.tombstones), watermark: -Infinity };
      this.tablesByName.set(name, table);
    }
    return table;
  }

  /** Rule 5: the table moves to a newer generation; versions of older ones are dropped. */
  private supersede(table: TableState, generation: string | null): void {
    table.generation = generation;
    for (const [key, slots] of table.slots) {
      if (compareGenerations(winnerOf(slots).generation, generation) < 0) {
        table.slots.delete(key);
        table.tombstones.forget(key);
      }
    }
  }
}
