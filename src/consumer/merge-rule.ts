/**
 * The merge rule: which of two versions of one item wins. Pure functions over plain data, so
 * the in-memory Materializer and a consumer that keeps versions in a database (see
 * examples/consumer) decide exactly alike. The rule, per table and item key:
 *
 * 1. Stream generation first (the label after `/stream/` in source.streamArn, compared as
 *    text; null is the oldest): a newer stream's version wins over any older stream's.
 * 2. Same stream, stream event vs stream event: the higher sequence number wins (as big
 *    integers); equal is the same record (a duplicate).
 * 3. Same stream, snapshot vs stream event: the stream event wins, except against a `heal`
 *    snapshot when the stream event's approximateCreationTime is earlier than the snapshot's
 *    runStartedAt minus {@link HEAL_MARGIN_MS}.
 * 4. Snapshot vs snapshot (same stream): the later readAt wins, and keeps the larger heal
 *    cutoff of the two: a snapshot read after a heal contains everything the heal does, so it
 *    beats the same old stream events (without this, a late old change would lose to the heal
 *    but win against a later forced snapshot, and arrival order would decide the state).
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

/** Rule 3: does the snapshot beat the stream event? Only a heal, against a change older than its cutoff. */
function snapshotBeatsStream(snapshot: Version, stream: Version): boolean {
  return snapshot.healCutoff !== null && stream.changedAt !== null && stream.changedAt < snapshot.healCutoff;
}

/** Decides whether `incoming` replaces `current` (absent: it always does). */
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

/** What to store after comparing: the decision and the version to keep (undefined when nothing changes). */
export interface Resolution {
  readonly decision: Decision;
  readonly next: Version | undefined;
}

const laterCutoff = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.max(a, b));

/**
 * decide(), plus rule 4's carried heal cutoff: when two snapshots of the same stream meet,
 * the one kept gets the larger heal cutoff of the two (so the current version may change
 * even when the incoming snapshot loses).
 */
export function resolve(incoming: Version, current: Version | undefined): Resolution {
  const decision = decide(incoming, current);
  const snapshots = current !== undefined && incoming.kind === 'snapshot' && current.kind === 'snapshot' && incoming.generation === current.generation;
  if (decision === Decision.Wins) {
    return { decision, next: snapshots ? { ...incoming, healCutoff: laterCutoff(incoming.healCutoff, current.healCutoff) } : incoming };
  }
  if (snapshots && decision === Decision.Loses) {
    const cutoff = laterCutoff(incoming.healCutoff, current.healCutoff);
    if (cutoff !== current.healCutoff) return { decision, next: { ...current, healCutoff: cutoff } };
  }
  return { decision, next: undefined };
}
