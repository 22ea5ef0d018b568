/**
 * The consumer merge rule, exactly as the project defines it (docs/change-events.md), spelled
 * out independently of the consumer kit's Materializer (src/consumer): the property test folds
 * every history with both, so each checks the other.
 *
 * 1. Stream generation first: the label after `/stream/` in source.streamArn, compared as
 *    text, null oldest; a newer stream's event wins over anything from an older stream.
 * 2. Same stream, stream events: higher sequenceNumber (big integers) wins; equal = duplicate.
 * 3. Same stream, snapshot vs stream event: the stream event wins, except when its
 *    approximateCreationTime is earlier than the key's heal cutoff: the latest runStartedAt of
 *    the key's heal snapshots, minus 15 minutes.
 * 4. Snapshot vs snapshot: later readAt wins; rule 3 still applies the key's heal cutoff.
 *
 * Unlike the kit, which keeps two slots per key as events arrive, this helper keeps every
 * version and computes the state when asked, the way the latest-state SQL does: the latest
 * stream event, the latest snapshot, the largest heal start, then rule 3.
 * 5. Once an event of a newer stream of the table is applied, older-stream versions are
 *    dropped, and older-stream events arriving later are ignored.
 * 6. remove leaves a tombstone; unconvertible markers change nothing.
 */
import type { ChangeEventV1, JsonValue } from '../../src/change-event';

/** The heal margin of rule 3. */
export const HEAL_MARGIN_MS = 15 * 60_000;

type Item = Record<string, JsonValue>;

interface Version {
  readonly label: string | null;
  readonly stream: boolean;
  readonly sequence?: bigint;
  readonly createdMs?: number;
  readonly readAtMs?: number;
  readonly healStartMs?: number;
  readonly item: Item | null;
}

const labelOf = (streamArn: string | null): string | null => (streamArn === null ? null : (streamArn.split('/stream/')[1] ?? null));

/** -1, 0, 1 for labels compared as text, null the oldest. */
function compareLabels(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
}

/** The item key of an event (table plus canonical key JSON). */
export const itemKeyOf = (keys: Record<string, JsonValue>): string => canonical(keys);

/** The state of one key from all its versions of one generation. */
function stateOf(versions: readonly Version[]): Version | undefined {
  const latest = <T>(items: T[], later: (a: T, b: T) => boolean) => items.reduce<T | undefined>((best, item) => (best === undefined || later(item, best) ? item : best), undefined);
  const change = latest(versions.filter((v) => v.stream), (a, b) => (a.sequence as bigint) > (b.sequence as bigint));
  const snapshot = latest(versions.filter((v) => !v.stream), (a, b) => (a.readAtMs as number) > (b.readAtMs as number));
  const healStarts = versions.flatMap((v) => (v.healStartMs === undefined ? [] : [v.healStartMs]));
  if (change === undefined) return snapshot;
  if (snapshot === undefined || healStarts.length === 0 || change.createdMs === undefined) return change;
  return change.createdMs < Math.max(...healStarts) - HEAL_MARGIN_MS ? snapshot : change;
}

function versionOf(event: ChangeEventV1): Version | undefined {
  const label = labelOf(event.source.streamArn);
  const time = (text: string | null) => (text === null ? undefined : Date.parse(text));
  switch (event.operation) {
    case 'insert':
    case 'modify':
    case 'remove':
      return { label, stream: true, sequence: BigInt(event.sequenceNumber as string), ...(time(event.approximateCreationTime) !== undefined ? { createdMs: time(event.approximateCreationTime) } : {}), item: event.operation === 'remove' ? null : event.new };
    case 'snapshot':
      return { label, stream: false, readAtMs: time(event.readAt) as number, ...(event.snapshot?.reason === 'heal' ? { healStartMs: Date.parse(event.snapshot.runStartedAt) } : {}), item: event.new };
    default:
      return undefined; // unconvertible markers never change state
  }
}

/** A consumer's state: folds events, in whatever order they arrive. */
export class MergeFold {
  private readonly tables = new Map<string, { generation: string | null; versions: Map<string, Version[]> }>();

  apply(event: ChangeEventV1): void {
    const version = versionOf(event);
    if (version === undefined || event.table === null || event.keys === null) return;
    let table = this.tables.get(event.table);
    if (!table) {
      table = { generation: version.label, versions: new Map() };
      this.tables.set(event.table, table);
    }
    const generation = compareLabels(version.label, table.generation);
    if (generation < 0) return; // an older stream draining: rule 5
    if (generation > 0) {
      table.generation = version.label;
      table.versions.clear(); // every version kept is of the older generation
    }
    const key = itemKeyOf(event.keys);
    const kept = table.versions.get(key) ?? [];
    table.versions.set(key, [...kept, version]);
  }

  /** Items of a table by item key (tombstones left out). */
  items(table: string): Map<string, Item> {
    const out = new Map<string, Item>();
    for (const [key, versions] of this.tables.get(table)?.versions ?? []) {
      const version = stateOf(versions);
      if (version !== undefined && version.item !== null) out.set(key, version.item);
    }
    return out;
  }
}

/** The items of a table's state as sorted canonical JSON: compares states whatever their key format. */
export function itemSet(items: Iterable<unknown>): string[] {
  return [...items].map(canonical).sort();
}
