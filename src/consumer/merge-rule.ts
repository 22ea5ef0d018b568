/**
 * The merge rule: which version of one item is its state. Pure functions over plain data, so
 * the in-memory Materializer and a consumer that keeps versions in a database (see
 * examples/consumer) decide exactly alike. Per table and item key a consumer keeps two slots
 * (Slots), each a maximum over a total order, so that any arrival order gives the same state:
 *
 * - the best stream event: of the newest generation, then the highest sequence number;
 * - the best snapshot: of the newest generation, then the latest readAt; with it, the largest
 *   heal cutoff of any snapshot of the key in that generation (the latest snapshot was read
 *   after every heal run started, so it contains everything any heal does).
 *
 * The state is then decided from the two slots:
 *
 * 1. Stream generation first (the label after `/stream/` in source.streamArn, compared as
 *    text; null is the oldest): a newer stream's version wins over any older stream's, so the
 *    slots only ever hold versions of the key's newest generation.
 * 2. Stream event vs stream event (same stream): the higher sequence number wins (as big
 *    integers); equal is the same record (a duplicate).
 * 3. Snapshot vs stream event (same stream): the stream event wins, except when its
 *    approximateCreationTime is earlier than the key's heal cutoff (a heal snapshot's
 *    runStartedAt minus {@link HEAL_MARGIN_MS}).
 * 4. Snapshot vs snapshot (same stream): the later readAt wins (ties: the larger id); the
 *    heal cutoff that rule 3 applies is the largest of all the key's snapshots, whichever wins.
 * 5. A table's newer generation supersedes the older one as a whole (see Materializer).
 * 6. A remove leaves a tombstone (a version without item) that competes like any version;
 *    unconvertible markers have no version.
 */
import { ChangeOperation, SnapshotReason, type ChangeEvent, type Item } from './types';

/** How much earlier than a heal's run start a stream event must be for the heal snapshot to beat it: 15 minutes. */
export const HEAL_MARGIN_MS = 15 * 60 * 1000;

/** One version of an item: what the merge rule compares. */
export interface Version {
  /** The change event's id (de-duplication). */
  readonly id: string;
  /** Stream label (text after `/stream/`); null when the event has no stream ARN (the oldest generation). */
  readonly generation: string | null;
  readonly kind: 'stream' | 'snapshot';
  /** Stream events: the DynamoDB stream sequence number. */
  readonly sequenceNumber: bigint | null;
  /** Stream events: approximateCreationTime (epoch ms), null when unknown. */
  readonly changedAt: number | null;
  /** Snapshots: readAt (epoch ms). */
  readonly readAt: number | null;
  /** Heal snapshots: runStartedAt minus the heal margin (epoch ms); stream events older than this lose. */
  readonly healCutoff: number | null;
  /** The item; null for a tombstone (remove). */
  readonly item: Item | null;
  /** True when the event left its `new` image out (too large): the item's content is unknown. */
  readonly incomplete: boolean;
}

/** The outcome of comparing an incoming version with the current one. */
export const Decision = {
  /** The incoming version replaces the current one. */
  Wins: 'wins',
  /** The incoming version is the current one again (same id, or same stream record). */
  Duplicate: 'duplicate',
  /** The current version stays. */
  Loses: 'loses',
} as const;
export type Decision = (typeof Decision)[keyof typeof Decision];

/** The stream generation of an ARN: the label after `/stream/`; null for no ARN. */
export function streamGeneration(streamArn: string | null): string | null {
  if (streamArn === null) return null;
  const at = streamArn.lastIndexOf('/stream/');
  return at < 0 ? streamArn : streamArn.slice(at + '/stream/'.length);
}

/** Orders generations: negative when `a` is older than `b`, 0 when equal; null is the oldest. */
export function compareGenerations(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

const time = (text: string | null) => (text === null ? null : Date.parse(text));

/** The version an event carries; undefined for an unconvertible marker (it never changes state). */
export function versionOf(event: ChangeEvent): Version | undefined {
  if (event.operation === ChangeOperation.Unconvertible || event.keys === null) return undefined;
  const generation = streamGeneration(event.source.streamArn);
  const incomplete = event.operation !== ChangeOperation.Remove && event.new === null;
  if (event.operation === ChangeOperation.Snapshot) {
    const heal = event.snapshot?.reason === SnapshotReason.Heal ? (time(event.snapshot.runStartedAt) ?? 0) - HEAL_MARGIN_MS : null;
    return { id: event.id, generation, kind: 'snapshot', sequenceNumber: null, changedAt: null, readAt: time(event.readAt), healCutoff: heal, item: event.new, incomplete };
  }
  return {
    id: event.id,
    generation,
    kind: 'stream',
    sequenceNumber: BigInt(event.sequenceNumber ?? '0'),
    changedAt: time(event.approximateCreationTime),
    readAt: null,
    healCutoff: null,
    item: event.operation === ChangeOperation.Remove ? null : event.new,
    incomplete,
  };
}

/** Rule 3 between two versions: does the snapshot beat the stream event? Only a heal, against a change older than its cutoff. */
function snapshotBeatsStream(snapshot: Version, stream: Version): boolean {
  return snapshot.healCutoff !== null && stream.changedAt !== null && stream.changedAt < snapshot.healCutoff;
}

/**
 * The bare comparison of two versions: whether `incoming` beats `current` (absent: it always
 * does), with each snapshot's own heal cutoff. A consumer that folds events keeps Slots and
 * uses resolve(): one version per key is not enough for rule 4.
 */
export function decide(incoming: Version, current: Version | undefined): Decision {
  if (current === undefined) return Decision.Wins;
  if (incoming.id === current.id) return Decision.Duplicate;
  const generations = compareGenerations(incoming.generation, current.generation);
  if (generations !== 0) return generations > 0 ? Decision.Wins : Decision.Loses;
  if (incoming.kind === 'stream' && current.kind === 'stream') {
    const a = incoming.sequenceNumber ?? 0n;
    const b = current.sequenceNumber ?? 0n;
    return a > b ? Decision.Wins : a === b ? Decision.Duplicate : Decision.Loses;
  }
  if (incoming.kind === 'stream') return snapshotBeatsStream(current, incoming) ? Decision.Loses : Decision.Wins;
  if (current.kind === 'stream') return snapshotBeatsStream(incoming, current) ? Decision.Wins : Decision.Loses;
  return (incoming.readAt ?? 0) > (current.readAt ?? 0) ? Decision.Wins : Decision.Loses;
}

/**
 * What a consumer keeps per item key: the best version of each kind, both of the key's newest
 * generation (see the rule above). Never both undefined.
 */
export interface Slots {
  /** The stream event with the highest sequence number. */
  readonly stream: Version | undefined;
  /** The snapshot with the latest readAt. */
  readonly snapshot: Version | undefined;
  /** The largest heal cutoff of any snapshot of the key in this generation; null when none was a heal. */
  readonly healCutoff: number | null;
}

/** The outcome of folding a version into a key's slots. */
export interface Resolution {
  /**
   * Wins: the key's winning version changed (to the incoming one, or to the kept snapshot when
   * the incoming heal raised the cutoff); Duplicate: the incoming version is already kept;
   * Loses: the state stays (the slots may still change: store `next`).
   */
  readonly decision: Decision;
  /** The slots to store; undefined when nothing changes. */
  readonly next: Slots | undefined;
}

const laterCutoff = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));

/** The slots of a key that has only `version`. */
export function slotsOf(version: Version): Slots {
  return version.kind === 'stream' ? { stream: version, snapshot: undefined, healCutoff: null } : { stream: undefined, snapshot: version, healCutoff: version.healCutoff };
}

/** The generation of a key's slots. */
export function slotsGeneration(slots: Slots): string | null {
  return (slots.stream ?? slots.snapshot)?.generation ?? null;
}

/** The key's winning version: the stream event, unless it is older than the key's heal cutoff (rule 3). */
export function winnerOf(slots: Slots): Version {
  const { stream, snapshot, healCutoff } = slots;
  if (stream === undefined) return snapshot as Version;
  if (snapshot === undefined) return stream;
  return healCutoff !== null && stream.changedAt !== null && stream.changedAt < healCutoff ? snapshot : stream;
}

/** Rule 4's order of snapshots: later readAt, then the larger id (a total order). */
function laterSnapshot(a: Version, b: Version): boolean {
  const ra = a.readAt ?? 0;
  const rb = b.readAt ?? 0;
  return ra !== rb ? ra > rb : a.id > b.id;
}

/**
 * Folds `incoming` into a key's slots (`current` absent: the key is new). Each slot keeps a
 * maximum, so folding the same versions in any order ends with the same slots and state.
 */
export function resolve(incoming: Version, current: Slots | undefined): Resolution {
  if (current === undefined) return { decision: Decision.Wins, next: slotsOf(incoming) };
  const generations = compareGenerations(incoming.generation, slotsGeneration(current));
  if (generations < 0) return { decision: Decision.Loses, next: undefined };
  if (generations > 0) return { decision: Decision.Wins, next: slotsOf(incoming) };
  if (incoming.id === current.stream?.id || incoming.id === current.snapshot?.id) return { decision: Decision.Duplicate, next: undefined };
  let next: Slots;
  if (incoming.kind === 'stream') {
    if (current.stream !== undefined) {
      const a = incoming.sequenceNumber ?? 0n;
      const b = current.stream.sequenceNumber ?? 0n;
      if (a === b) return { decision: Decision.Duplicate, next: undefined };
      if (a < b) return { decision: Decision.Loses, next: undefined };
    }
    next = { ...current, stream: incoming };
  } else {
    const later = current.snapshot === undefined || laterSnapshot(incoming, current.snapshot);
    const healCutoff = laterCutoff(current.healCutoff, incoming.healCutoff);
    if (!later && healCutoff === current.healCutoff) return { decision: Decision.Loses, next: undefined };
    next = { stream: current.stream, snapshot: later ? incoming : current.snapshot, healCutoff };
  }
  return { decision: winnerOf(next) === winnerOf(current) ? Decision.Loses : Decision.Wins, next };
}
