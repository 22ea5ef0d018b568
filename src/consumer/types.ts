/**
 * The change event as a consumer receives it: version 1 of the envelope
 * (schema/change-event.v1.json) with its optional, version-compatible fields. Plain types,
 * no runtime code: the consumer kit needs nothing but these and the JSON text.
 */

/** The envelope version this kit reads. */
export const SCHEMA_VERSION = 1;

/** What happened to the item. */
export const ChangeOperation = {
  Insert: 'insert',
  Modify: 'modify',
  Remove: 'remove',
  /** A row the backfill read with a consistent Scan, not a stream change. */
  Snapshot: 'snapshot',
  /** A stream record that could not become a change event (see `error`); it never changes state. */
  Unconvertible: 'unconvertible',
} as const;
export type ChangeOperation = (typeof ChangeOperation)[keyof typeof ChangeOperation];

/** Why a backfill ran; snapshots without `snapshot` are `initial`. */
export const SnapshotReason = {
  /** Rows written before the table's stream existed. */
  Initial: 'initial',
  /** An operator asked for a new snapshot. */
  Forced: 'forced',
  /** Changes were lost (older than the stream's retention): the snapshot repairs the state. */
  Heal: 'heal',
} as const;
export type SnapshotReason = (typeof SnapshotReason)[keyof typeof SnapshotReason];

/** A DynamoDB value in the event: N as exact decimal text, B as base64, sets as arrays. */
export type JsonValue = string | boolean | null | JsonValue[] | { [name: string]: JsonValue };

/** An item (or its key attributes) in the event's JSON mapping. */
export type Item = Record<string, JsonValue>;

/** Where the change came from in the source database (DMS header columns); each part may be unknown. */
export interface ChangeOrigin {
  commitTime: string | null;
  changeSequence: string | null;
  transactionId: string | null;
  streamPosition: string | null;
}

/** On snapshot events: why the backfill ran and when its run started (before its first Scan page). */
export interface SnapshotInfo {
  reason: SnapshotReason;
  /** ISO 8601. */
  runStartedAt: string;
}

/** On unconvertible markers: why the stream record could not be converted. */
export interface UnconvertibleError {
  reason: string;
  message: string;
}

/** The DynamoDB table and stream the change was read from. */
export interface ChangeSource {
  eventSource: 'aws:dynamodb';
  region: string;
  tableArn: string;
  /** The table's stream; null for a snapshot of a table that had none. */
  streamArn: string | null;
}

/** One change event, version 1. */
export interface ChangeEvent {
  schemaVersion: 1;
  /** Stable id for de-duplication: the stream record's eventID, or `snapshot-<sha256>` for backfilled rows. */
  id: string;
  operation: ChangeOperation;
  table: string;
  /** DynamoDB stream sequence number (decimal digits); null for snapshots. */
  sequenceNumber: string | null;
  /** ISO 8601: the stream record's ApproximateCreationDateTime, or readAt for snapshots. */
  approximateCreationTime: string | null;
  /** ISO 8601 time the backfill read the row; null for stream changes. */
  readAt: string | null;
  /** True when DynamoDB's TTL process deleted the item. */
  ttlDeletion: boolean;
  source: ChangeSource;
  /** Images left out because the event exceeded the maximum record size (`old` first, then `new`). */
  truncated: Array<'old' | 'new'>;
  /** The item's key attributes; null only on an unconvertible marker whose key is unreadable. */
  keys: Item | null;
  old: Item | null;
  new: Item | null;
  /** Source position, when the DMS task writes its header columns. */
  origin?: ChangeOrigin;
  /** Present (true) on events republished by the dead-letter redriver: they arrive late. */
  redriven?: true;
  /** On snapshot events. */
  snapshot?: SnapshotInfo;
  /** On unconvertible markers. */
  error?: UnconvertibleError;
}
