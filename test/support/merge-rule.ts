/**
 * The consumer merge rule (docs/change-events.md), folded event by event: a small reference for
 * tests until the consumer kit's Materializer is on main. Versions per table and item key; an
 * incoming event replaces the current version when it wins against it.
 */
export interface MergeEvent {
  readonly id: string;
  readonly operation: string;
  readonly table: string;
  readonly sequenceNumber: string | null;
  readonly approximateCreationTime: string | null;
  readonly readAt: string | null;
  readonly source: { readonly streamArn: string | null };
  readonly keys: Record<string, unknown> | null;
  readonly new: Record<string, unknown> | null;
  readonly snapshot?: { readonly reason: string; readonly runStartedAt: string };
}

const HEAL_MARGIN_MS = 15 * 60_000;

const generation = (event: MergeEvent) => event.source.streamArn?.split('/stream/')[1] ?? '';

/** Does `incoming` win against `current` (rules 1 to 4)? */
export function wins(incoming: MergeEvent, current: MergeEvent): boolean {
  const [a, b] = [generation(incoming), generation(current)];
  if (a !== b) return a > b; // 1
  const snapshotIn = incoming.operation === 'snapshot';
  const snapshotCur = current.operation === 'snapshot';
  if (!snapshotIn && !snapshotCur) return BigInt(incoming.sequenceNumber!) > BigInt(current.sequenceNumber!); // 2
  if (snapshotIn && snapshotCur) return Date.parse(incoming.readAt!) > Date.parse(current.readAt!); // 4
  const [snapshot, change] = snapshotIn ? [incoming, current] : [current, incoming];
  const healWins = snapshot.snapshot?.reason === 'heal' && Date.parse(change.approximateCreationTime!) < Date.parse(snapshot.snapshot.runStartedAt) - HEAL_MARGIN_MS; // 3
  return snapshotIn ? healWins : !healWins;
}

/** Canonical item key: attribute names sorted, as the archive query writes it. */
export const itemKey = (keys: Record<string, unknown>) => JSON.stringify(Object.keys(keys).sort().map((name) => [name, keys[name]]));

/** Folds events (in the given order) into one table's items: canonical key -> item. */
export function materialize(events: readonly MergeEvent[]): Map<string, Record<string, unknown>> {
  const versions = new Map<string, MergeEvent>();
  let newest = '';
  for (const event of events) {
    if (event.operation === 'unconvertible') continue; // 6
    const key = itemKey(event.keys!);
    if (generation(event) > newest) {
      newest = generation(event);
      for (const [k, version] of versions) if (generation(version) < newest) versions.delete(k); // 5
    }
    if (generation(event) < newest) continue; // 1: an older stream's event (draining) loses
    const current = versions.get(key);
    if (!current || wins(event, current)) versions.set(key, event);
  }
  const items = new Map<string, Record<string, unknown>>();
  for (const [key, version] of versions) if (version.operation !== 'remove') items.set(key, version.new!); // 6: tombstones
  return items;
}
