/**
 * The `unconvertible` marker: what a stream record that cannot become a change event is
 * published as, so it never fails (and blocks) its batch and is still visible on the stream.
 * It carries what can be read of the record (table, keys, eventID, sequence number, time)
 * and why it could not be converted; `old` and `new` are always null and it never changes a
 * consumer's state (merge rule 6).
 *
 * Partition key: the item's own key when table and keys are readable (the marker then sits
 * among that item's events on one shard); `<table>|unconvertible` when only the table is
 * known; `unconvertible|<eventSourceARN>` (hashed past 256 characters) when no table can be
 * named, so markers of one unknown source still share a shard.
 */
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import { describeError } from '../errors';
import type { AttributeMap } from './attribute-value';
import { CHANGE_EVENT_SCHEMA_VERSION, DEFAULT_MAX_RECORD_BYTES, EventTooLargeError, Operation, type EncodedChangeEvent } from './change-event';
import { InvalidAttributeValueError, writeAttributeMap, writeCanonicalAttributeMap } from './json-writer';
import { MAX_PARTITION_KEY_LENGTH, partitionKeyFromCanonicalKeys } from './partition-key';
import { parseStreamArn, type DynamoDbStreamRecord } from './stream-record';

/** Why a record could not be converted (`error.reason` of the marker). */
export const UnconvertibleReason = {
  /** The record lacks or garbles a field every change event needs (eventID, eventName, ARN, keys...). */
  MalformedRecord: 'malformed-record',
  /** An attribute value is not valid DynamoDB JSON (e.g. a number that is not a number). */
  InvalidAttributeValue: 'invalid-attribute-value',
  /** Even without images the event exceeds the maximum Kinesis record size. */
  EventTooLarge: 'event-too-large',
} as const;
export type UnconvertibleReason = (typeof UnconvertibleReason)[keyof typeof UnconvertibleReason];

/** Longest `error.message` kept in a marker. */
const MAX_MESSAGE_LENGTH = 1_000;

/** The reason code for an error thrown while converting a record. */
export function unconvertibleReasonOf(error: unknown): UnconvertibleReason {
  if (error instanceof EventTooLargeError) return UnconvertibleReason.EventTooLarge;
  if (error instanceof InvalidAttributeValueError) return UnconvertibleReason.InvalidAttributeValue;
  return UnconvertibleReason.MalformedRecord;
}

const str = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

function readableSource(record: DynamoDbStreamRecord): { table: string | null; tableArn: string | null; streamArn: string | null; region: string } {
  const arn = str(record?.eventSourceARN);
  const region = str(record?.awsRegion) ?? '';
  if (arn === null) return { table: null, tableArn: null, streamArn: null, region };
  try {
    const source = parseStreamArn(arn);
    return { table: source.tableName, tableArn: source.tableArn, streamArn: source.streamArn, region: region || source.region };
  } catch {
    return { table: null, tableArn: null, streamArn: null, region };
  }
}

/** The keys as event JSON and in canonical form, or null when they cannot be read. */
function readableKeys(record: DynamoDbStreamRecord): { json: string; canonical: string } | null {
  const keys = record?.dynamodb?.Keys;
  if (keys === null || typeof keys !== 'object' || Array.isArray(keys)) return null;
  try {
    return { json: writeAttributeMap(keys as AttributeMap, '$.keys'), canonical: writeCanonicalAttributeMap(keys as AttributeMap, '$.keys') };
  } catch {
    return null;
  }
}

function approximateTime(record: DynamoDbStreamRecord): string | null {
  const value = record?.dynamodb?.ApproximateCreationDateTime;
  if (value === undefined || value === null) return null;
  const date = typeof value === 'number' ? new Date(value * 1000) : new Date(value as string | Date);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

function digest(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function markerPartitionKey(table: string | null, keys: { canonical: string } | null, eventSourceArn: string | null): string {
  if (table !== null && keys !== null) return partitionKeyFromCanonicalKeys(table, keys.canonical);
  const text = table !== null ? `${table}|unconvertible` : `unconvertible|${eventSourceArn ?? 'unknown'}`;
  return text.length <= MAX_PARTITION_KEY_LENGTH ? text : digest(text);
}

export interface UnconvertibleOptions {
  readonly maxRecordBytes?: number;
  /** The marker is republished by the redriver. */
  readonly redriven?: boolean;
}

/**
 * Encodes the marker for `record`, which failed with `error`. Never throws for any input:
 * when even the marker with keys would exceed the record size, the keys are left out.
 */
export function encodeUnconvertibleEvent(record: DynamoDbStreamRecord, error: unknown, options: UnconvertibleOptions = {}): EncodedChangeEvent {
  const maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  const source = readableSource(record);
  const sequenceNumber = str(record?.dynamodb?.SequenceNumber);
  const validSequence = sequenceNumber !== null && /^[0-9]+$/.test(sequenceNumber) ? sequenceNumber : null;
  const eventId = str(record?.eventID);
  // Deterministic, so a retried batch repeats the same id (consumers de-duplicate by id).
  const id = eventId ?? `unconvertible-${digest(`${source.streamArn ?? ''}|${sequenceNumber ?? ''}|${safeJson(record)}`)}`;
  const described = describeError(error);
  const message = described.message.length > MAX_MESSAGE_LENGTH ? `${described.message.slice(0, MAX_MESSAGE_LENGTH)}...` : described.message;
  let keys = readableKeys(record);
  const partitionKey = markerPartitionKey(source.table, keys, source.streamArn ?? str(record?.eventSourceARN));
  for (;;) {
    const text =
      `{"schemaVersion":${CHANGE_EVENT_SCHEMA_VERSION},"id":${JSON.stringify(id)},"operation":"${Operation.Unconvertible}",` +
      `"table":${JSON.stringify(source.table)},"sequenceNumber":${JSON.stringify(validSequence)},` +
      `"approximateCreationTime":${JSON.stringify(approximateTime(record))},"readAt":null,"ttlDeletion":false,` +
      `"source":{"eventSource":"aws:dynamodb","region":${JSON.stringify(source.region)},"tableArn":${JSON.stringify(source.tableArn)},"streamArn":${JSON.stringify(source.streamArn)}},` +
      `"truncated":[],"keys":${keys === null ? 'null' : keys.json},"old":null,"new":null` +
      `${options.redriven ? ',"redriven":true' : ''},"error":${JSON.stringify({ reason: unconvertibleReasonOf(error), message })}}`;
    const data = Buffer.from(text, 'utf8');
    const bytes = data.byteLength + Buffer.byteLength(partitionKey, 'utf8');
    if (bytes <= maxRecordBytes || keys === null) return { id, partitionKey, data, bytes, truncated: [] };
    keys = null;
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
