/**
 * The change event, version 1: one JSON object per DynamoDB change, written as text
 * directly (see json-writer.ts) and degraded, never dropped, when it would not fit in a
 * Kinesis record. The JSON Schema is schema/change-event.v1.json.
 */
import { Buffer } from 'node:buffer';
import { ChangeOperation, SnapshotReason } from '../consumer/types';
import { MalformedInputError } from '../errors';
import type { AttributeMap } from './attribute-value';
import { hasSortedNames, InvalidAttributeValueError, JsonByteWriter, writeCanonicalAttributeMap } from './json-writer';
import type { Origin } from './origin';
import { partitionKeyFromCanonicalKeys } from './partition-key';

export const CHANGE_EVENT_SCHEMA_VERSION = 1;

/**
 * What happened to the item, and why a backfill ran: one vocabulary for producer and consumers,
 * defined in the consumer kit's types (the published contract).
 */
export const Operation = ChangeOperation;
export type Operation = ChangeOperation;
export { SnapshotReason };

/** On snapshot events: why the backfill ran and when its run started (before its first Scan page). */
export interface SnapshotInfo {
  reason: SnapshotReason;
  /** ISO 8601. */
  runStartedAt: string;
}

/** Images omitted from an oversized event, in the order they are dropped. */
export const TruncatedField = { Old: 'old', New: 'new' } as const;
export type TruncatedField = (typeof TruncatedField)[keyof typeof TruncatedField];

/** Kinesis' default maximum record size (data + partition key): 1 MiB. */
export const DEFAULT_MAX_RECORD_BYTES = 1_048_576;

/** JSON value of a DynamoDB attribute in the event (see json-writer.ts for the mapping). */
export type JsonValue = string | boolean | null | JsonValue[] | { [name: string]: JsonValue };

/** A change event as a consumer parses it. */
export interface ChangeEventV1 {
  schemaVersion: 1;
  /** Stable id for de-duplication: the stream record's eventID (or a derived id for snapshots). */
  id: string;
  operation: Operation;
  table: string;
  /** DynamoDB stream sequence number; null for snapshots. */
  sequenceNumber: string | null;
  /** ISO 8601; the stream record's ApproximateCreationDateTime, or readAt for snapshots. */
  approximateCreationTime: string | null;
  /** ISO 8601 time the backfill read the row; null for stream changes. */
  readAt: string | null;
  /** True when DynamoDB's TTL process deleted the item. */
  ttlDeletion: boolean;
  source: { eventSource: 'aws:dynamodb'; region: string; tableArn: string; streamArn: string | null };
  /** Where the change came from in the source database (DMS header columns); absent from events written before it existed. */
  origin?: { commitTime: string | null; changeSequence: string | null; transactionId: string | null; streamPosition: string | null };
  /** Images omitted because the event exceeded the maximum record size. */
  truncated: TruncatedField[];
  keys: Record<string, JsonValue>;
  old: Record<string, JsonValue> | null;
  new: Record<string, JsonValue> | null;
  /** Present (true) only on events the dead-letter redriver republished. */
  redriven?: true;
  /** Present on snapshot events of backfills that record it; absent means `initial`. */
  snapshot?: SnapshotInfo;
}

/** An event ready for Kinesis. */
export interface EncodedChangeEvent {
  readonly id: string;
  readonly partitionKey: string;
  /** UTF-8 JSON text of the event. */
  readonly data: Uint8Array;
  /** What counts against Kinesis' record limit: data plus UTF-8 partition key bytes. */
  readonly bytes: number;
  readonly truncated: readonly TruncatedField[];
}

/** Even the keys-only form of the event exceeds the maximum record size. */
export class EventTooLargeError extends MalformedInputError {
  override readonly name: string = 'EventTooLargeError';
}

/** Everything an event is made of, before serialisation. */
export interface ChangeFields {
  id: string;
  operation: Operation;
  tableName: string;
  tableArn: string;
  streamArn: string | null;
  region: string;
  keys: AttributeMap;
  oldImage: AttributeMap | null;
  newImage: AttributeMap | null;
  sequenceNumber: string | null;
  approximateCreationTime: string | null;
  readAt: string | null;
  ttlDeletion: boolean;
  /** The source position; the `origin` field is left out of the event when this is undefined. */
  origin?: Origin | undefined;
  /** Attributes left out of `old` and `new` (the DMS header columns, unless they are kept). */
  omitFromImages?: readonly string[] | undefined;
  /** Republished by the dead-letter redriver (written as `"redriven":true`, else omitted). */
  redriven?: boolean;
  /** Snapshot events: why the backfill ran and when the run started (omitted when absent). */
  snapshot?: SnapshotInfo;
}

export interface EncodeOptions {
  /** Maximum Kinesis record size in bytes (data + partition key). */
  maxRecordBytes?: number;
}

// One writer for every event: the encoder is synchronous, so reusing its buffer is safe and
// saves allocating and growing one per event.
const writer = new JsonByteWriter();

/** Kept for every event that needed no degradation, so they share one (frozen) array. */
const NOTHING_TRUNCATED: readonly TruncatedField[] = Object.freeze([]);

function writeNullable(w: JsonByteWriter, text: string | null): void {
  if (text === null) w.ascii('null');
  else w.string(text);
}

// A batch comes from one table, so the source object repeats record after record: encode it once.
let lastSource: { region: string; tableArn: string; streamArn: string | null; bytes: Uint8Array } | undefined;
function sourceBytes(fields: ChangeFields): Uint8Array {
  const cached = lastSource;
  if (cached && cached.region === fields.region && cached.tableArn === fields.tableArn && cached.streamArn === fields.streamArn) return cached.bytes;
  const text = `{"eventSource":"aws:dynamodb","region":${JSON.stringify(fields.region)},"tableArn":${JSON.stringify(fields.tableArn)},"streamArn":${
    fields.streamArn === null ? 'null' : JSON.stringify(fields.streamArn)
  }}`;
  // JSON.stringify leaves lone surrogates escaped, so this UTF-8 is lossless.
  lastSource = { region: fields.region, tableArn: fields.tableArn, streamArn: fields.streamArn, bytes: Buffer.from(text, 'utf8') };
  return lastSource.bytes;
}

function writeMap(w: JsonByteWriter, map: AttributeMap, path: string): void {
  try {
    w.attributeMap(map);
  } catch (error) {
    throw error instanceof InvalidAttributeValueError ? error.within(path) : error;
  }
}

function writeImage(w: JsonByteWriter, image: AttributeMap | null, omit: boolean, path: string, omitNames: readonly string[] | undefined): void {
  if (image === null || omit) w.ascii('null');
  else if (omitNames === undefined || omitNames.length === 0) writeMap(w, image, path);
  else {
    try {
      w.attributeMapWithout(image, omitNames);
    } catch (error) {
      throw error instanceof InvalidAttributeValueError ? error.within(path) : error;
    }
  }
}

function writeOrigin(w: JsonByteWriter, origin: Origin): void {
  w.ascii(',"origin":{"commitTime":');
  writeNullable(w, origin.commitTime);
  w.ascii(',"changeSequence":');
  writeNullable(w, origin.changeSequence);
  w.ascii(',"transactionId":');
  writeNullable(w, origin.transactionId);
  w.ascii(',"streamPosition":');
  writeNullable(w, origin.streamPosition);
  w.byte(0x7d); // '}'
}

/** Writes the whole event into `w` (field order as documented); returns where the `keys` JSON is. */
function writeEvent(w: JsonByteWriter, fields: ChangeFields, truncated: readonly TruncatedField[]): { keysStart: number; keysEnd: number } {
  w.reset();
  w.ascii(`{"schemaVersion":${CHANGE_EVENT_SCHEMA_VERSION},"id":`);
  w.string(fields.id);
  w.ascii(',"operation":"');
  w.ascii(fields.operation); // one of the Operation constants: ASCII, no escaping
  w.ascii('","table":');
  w.string(fields.tableName);
  w.ascii(',"sequenceNumber":');
  writeNullable(w, fields.sequenceNumber);
  w.ascii(',"approximateCreationTime":');
  writeNullable(w, fields.approximateCreationTime);
  w.ascii(',"readAt":');
  writeNullable(w, fields.readAt);
  w.ascii(fields.ttlDeletion ? ',"ttlDeletion":true,"source":' : ',"ttlDeletion":false,"source":');
  w.bytes(sourceBytes(fields));
  if (fields.origin !== undefined) writeOrigin(w, fields.origin);
  w.ascii(truncated.length === 0 ? ',"truncated":[],"keys":' : `,"truncated":${JSON.stringify(truncated)},"keys":`);
  const keysStart = w.pos;
  writeMap(w, fields.keys, '$.keys');
  const keysEnd = w.pos;
  w.ascii(',"old":');
  writeImage(w, fields.oldImage, truncated.includes(TruncatedField.Old), '$.old', fields.omitFromImages);
  w.ascii(',"new":');
  writeImage(w, fields.newImage, truncated.includes(TruncatedField.New), '$.new', fields.omitFromImages);
  if (fields.redriven === true) w.ascii(',"redriven":true');
  if (fields.snapshot !== undefined) {
    w.ascii(',"snapshot":{"reason":');
    w.string(fields.snapshot.reason);
    w.ascii(',"runStartedAt":');
    w.string(fields.snapshot.runStartedAt);
    w.byte(0x7d);
  }
  w.byte(0x7d); // '}'
  return { keysStart, keysEnd };
}

/**
 * Serialises one event. When data + partition key exceed `maxRecordBytes`, drops `old`,
 * then `new` (keys always stay) and lists what it dropped in `truncated`; throws
 * EventTooLargeError if even that does not fit.
 */
export function encodeChangeEvent(fields: ChangeFields, options: EncodeOptions = {}): EncodedChangeEvent {
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  let truncated = NOTHING_TRUNCATED;
  const { keysStart, keysEnd } = writeEvent(writer, fields, truncated);
  // The key JSON just written doubles as the canonical form when its names are sorted
  // (always, for one key attribute), so the key is encoded once for both uses.
  const canonicalKeys = hasSortedNames(fields.keys) ? writer.text(keysStart, keysEnd) : writeCanonicalAttributeMap(fields.keys, '$.keys');
  const partitionKey = partitionKeyFromCanonicalKeys(fields.tableName, canonicalKeys);
  const keyBytes = Buffer.byteLength(partitionKey, 'utf8');
  for (;;) {
    const bytes = writer.pos + keyBytes;
    if (bytes <= maxRecordBytes) return { id: fields.id, partitionKey, data: writer.copy(), bytes, truncated };
    // Rare: rewrite without the next image (old first, then new), listing what was left out.
    if (fields.oldImage !== null && !truncated.includes(TruncatedField.Old)) {
      truncated = [TruncatedField.Old];
    } else if (fields.newImage !== null && !truncated.includes(TruncatedField.New)) {
      truncated = [...truncated, TruncatedField.New];
    } else {
      throw new EventTooLargeError(
        `change event ${fields.id} of table ${fields.tableName} needs ${bytes} bytes even without images; the maximum record size is ${maxRecordBytes}`,
      );
    }
    writeEvent(writer, fields, truncated);
  }
}
