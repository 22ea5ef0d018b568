/**
 * The change event, version 1: one JSON object per DynamoDB change, written as text
 * directly (see json-writer.ts) and degraded, never dropped, when it would not fit in a
 * Kinesis record. The JSON Schema is schema/change-event.v1.json.
 */
import { Buffer } from 'node:buffer';
import { MalformedInputError } from '../errors';
import type { AttributeMap } from './attribute-value';
import { hasSortedNames, quote, writeAttributeMap, writeCanonicalAttributeMap } from './json-writer';
import { partitionKeyFromCanonicalKeys } from './partition-key';

export const CHANGE_EVENT_SCHEMA_VERSION = 1;

/** What happened to the item. `snapshot` is a row read by the backfill, not a stream change. */
export const Operation = {
  Insert: 'insert',
  Modify: 'modify',
  Remove: 'remove',
  Snapshot: 'snapshot',
} as const;
export type Operation = (typeof Operation)[keyof typeof Operation];

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
  /** Images omitted because the event exceeded the maximum record size. */
  truncated: TruncatedField[];
  keys: Record<string, JsonValue>;
  old: Record<string, JsonValue> | null;
  new: Record<string, JsonValue> | null;
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
}

export interface EncodeOptions {
  /** Maximum Kinesis record size in bytes (data + partition key). */
  maxRecordBytes?: number;
}

const nullable = (text: string | null) => (text === null ? 'null' : quote(text));

// A batch comes from one table, so the source object repeats record after record: render it once.
let lastSource: { region: string; tableArn: string; streamArn: string | null; text: string } | undefined;
function sourceText(fields: ChangeFields): string {
  const cached = lastSource;
  if (cached && cached.region === fields.region && cached.tableArn === fields.tableArn && cached.streamArn === fields.streamArn) return cached.text;
  const text = `{"eventSource":"aws:dynamodb","region":${quote(fields.region)},"tableArn":${quote(fields.tableArn)},"streamArn":${nullable(fields.streamArn)}}`;
  lastSource = { region: fields.region, tableArn: fields.tableArn, streamArn: fields.streamArn, text };
  return text;
}

/**
 * Serialises one event. When data + partition key exceed `maxRecordBytes`, drops `old`,
 * then `new` (keys always stay) and lists what it dropped in `truncated`; throws
 * EventTooLargeError if even that does not fit.
 */
export function encodeChangeEvent(fields: ChangeFields, options: EncodeOptions = {}): EncodedChangeEvent {
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const head =
    `{"schemaVersion":${CHANGE_EVENT_SCHEMA_VERSION},"id":${quote(fields.id)},"operation":"${fields.operation}"` +
    `,"table":${quote(fields.tableName)},"sequenceNumber":${nullable(fields.sequenceNumber)}` +
    `,"approximateCreationTime":${nullable(fields.approximateCreationTime)},"readAt":${nullable(fields.readAt)}` +
    `,"ttlDeletion":${fields.ttlDeletion ? 'true' : 'false'},"source":${sourceText(fields)}`;
  const keys = writeAttributeMap(fields.keys, '$.keys');
  // The key text doubles as the canonical form when its names are sorted (always, for one key attribute).
  const partitionKey = partitionKeyFromCanonicalKeys(
    fields.tableName,
    hasSortedNames(fields.keys) ? keys : writeCanonicalAttributeMap(fields.keys, '$.keys'),
  );
  let oldText = fields.oldImage ? writeAttributeMap(fields.oldImage, '$.old') : 'null';
  let newText = fields.newImage ? writeAttributeMap(fields.newImage, '$.new') : 'null';
  const keyBytes = Buffer.byteLength(partitionKey, 'utf8');
  const truncated: TruncatedField[] = [];
  for (;;) {
    const text = `${head},"truncated":${truncated.length === 0 ? '[]' : JSON.stringify(truncated)},"keys":${keys},"old":${oldText},"new":${newText}}`;
    const data = Buffer.from(text, 'utf8');
    const bytes = data.length + keyBytes;
    if (bytes <= maxRecordBytes) return { id: fields.id, partitionKey, data, bytes, truncated };
    if (oldText !== 'null') {
      oldText = 'null';
      truncated.push(TruncatedField.Old);
    } else if (newText !== 'null') {
      newText = 'null';
      truncated.push(TruncatedField.New);
    } else {
      throw new EventTooLargeError(
        `change event ${fields.id} of table ${fields.tableName} needs ${bytes} bytes even without images; the maximum record size is ${maxRecordBytes}`,
      );
    }
  }
}
