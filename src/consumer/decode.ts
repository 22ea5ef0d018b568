/**
 * Decoding: the bytes of a Kinesis record (from a Lambda Kinesis event, or from GetRecords)
 * into a typed change event. The envelope is checked field by field, so a record that is not
 * a change event (or of another schema version) fails here with a clear error instead of
 * corrupting state later.
 */
import { Buffer } from 'node:buffer';
import { NotAChangeEventError, UnsupportedSchemaVersionError } from './errors';
import { ChangeOperation, SCHEMA_VERSION, SnapshotReason, type ChangeEvent } from './types';

/** A record of a Lambda Kinesis event (`event.Records[i]`); only the fields the kit reads. */
export interface LambdaKinesisRecord {
  kinesis: { data: string; sequenceNumber: string; partitionKey: string };
  eventID?: string;
}

/** A Lambda Kinesis event; only the fields the kit reads. */
export interface LambdaKinesisEvent {
  Records: LambdaKinesisRecord[];
}

/** A record as the SDK's GetRecords returns it (`@aws-sdk/client-kinesis`, `Records[i]`). */
export interface GetRecordsRecord {
  Data?: Uint8Array;
  SequenceNumber?: string;
  PartitionKey?: string;
}

/** A decoded record: the change event and where it was on the Kinesis stream. */
export interface ChangeRecord {
  event: ChangeEvent;
  /** The Kinesis record's sequence number (not the DynamoDB stream's `event.sequenceNumber`). */
  kinesisSequenceNumber: string;
  partitionKey: string;
}

const OPERATIONS: readonly string[] = Object.values(ChangeOperation);
const REASONS: readonly string[] = Object.values(SnapshotReason);
const DIGITS = /^[0-9]+$/;

type Check = (value: Record<string, unknown>) => string | undefined;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isTime = (value: unknown) => typeof value === 'string' && !Number.isNaN(Date.parse(value));
const nullable = (test: (value: unknown) => boolean) => (value: unknown) => value === null || test(value);
const field = (name: string, test: (value: unknown) => boolean, expected: string): Check => (event) =>
  test(event[name]) ? undefined : `"${name}" must be ${expected}`;
const optional = (name: string, test: (value: unknown) => boolean, expected: string): Check => (event) =>
  event[name] === undefined || test(event[name]) ? undefined : `"${name}" must be ${expected} when present`;

const isSource = (value: unknown) =>
  isObject(value) && value.eventSource === 'aws:dynamodb' && typeof value.region === 'string' && typeof value.tableArn === 'string' && nullable((v) => typeof v === 'string')(value.streamArn);
const isOrigin = (value: unknown) =>
  isObject(value) && ['commitTime', 'changeSequence', 'transactionId', 'streamPosition'].every((name) => nullable((v) => typeof v === 'string')(value[name]));
const isSnapshotInfo = (value: unknown) => isObject(value) && REASONS.includes(value.reason as string) && isTime(value.runStartedAt);
const isError = (value: unknown) => isObject(value) && typeof value.reason === 'string' && typeof value.message === 'string';

/** The envelope's rules, each returning what is wrong (or undefined). */
const CHECKS: readonly Check[] = [
  field('id', (v) => typeof v === 'string' && v.length > 0, 'a non-empty string'),
  field('operation', (v) => OPERATIONS.includes(v as string), `one of ${OPERATIONS.join(', ')}`),
  field('table', (v) => typeof v === 'string' && v.length > 0, 'a non-empty string'),
  field('sequenceNumber', nullable((v) => typeof v === 'string' && DIGITS.test(v)), 'decimal digits or null'),
  field('approximateCreationTime', nullable(isTime), 'an ISO 8601 time or null'),
  field('readAt', nullable(isTime), 'an ISO 8601 time or null'),
  field('ttlDeletion', (v) => typeof v === 'boolean', 'a boolean'),
  field('source', isSource, 'the source object (eventSource aws:dynamodb, region, tableArn, streamArn)'),
  field('truncated', (v) => Array.isArray(v) && v.every((name) => name === 'old' || name === 'new'), 'an array of "old"/"new"'),
  field('keys', nullable(isObject), 'an object (or null on an unconvertible marker)'),
  field('old', nullable(isObject), 'an object or null'),
  field('new', nullable(isObject), 'an object or null'),
  optional('origin', isOrigin, 'an object of commitTime, changeSequence, transactionId, streamPosition (strings or null)'),
  optional('redriven', (v) => v === true, 'true'),
  optional('snapshot', isSnapshotInfo, 'an object with reason (initial, forced, heal) and runStartedAt (ISO 8601)'),
  optional('error', isError, 'an object with reason and message'),
  (event) => (event.keys === null && event.operation !== ChangeOperation.Unconvertible ? '"keys" may be null only on an unconvertible marker' : undefined),
  (event) => (event.operation === ChangeOperation.Snapshot ? (event.readAt === null ? 'a snapshot needs "readAt"' : undefined) : undefined),
  (event) =>
    [ChangeOperation.Insert, ChangeOperation.Modify, ChangeOperation.Remove].includes(event.operation as never) && event.sequenceNumber === null
      ? 'a stream change needs "sequenceNumber"'
      : undefined,
];

/**
 * Checks a parsed JSON value and returns it typed. Throws UnsupportedSchemaVersionError for
 * another `schemaVersion`, NotAChangeEventError (naming the first wrong field) otherwise.
 */
export function parseChangeEvent(value: unknown, where = 'record'): ChangeEvent {
  if (!isObject(value)) throw new NotAChangeEventError(`${where} is not a change event: not a JSON object`);
  if (value.schemaVersion !== SCHEMA_VERSION) {
    throw typeof value.schemaVersion === 'number'
      ? new UnsupportedSchemaVersionError(`${where} has schemaVersion ${value.schemaVersion}; this consumer kit reads version ${SCHEMA_VERSION}`)
      : new NotAChangeEventError(`${where} is not a change event: no numeric "schemaVersion"`);
  }
  for (const check of CHECKS) {
    const problem = check(value);
    if (problem) throw new NotAChangeEventError(`${where} is not a change event: ${problem}`);
  }
  return value as unknown as ChangeEvent;
}

/** Decodes UTF-8 JSON bytes (a Kinesis record's data) into a change event. */
export function decodeChangeEvent(data: Uint8Array | string, where = 'record'): ChangeEvent {
  const text = typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new NotAChangeEventError(`${where} is not a change event: its data is not JSON`, { cause: error });
  }
  return parseChangeEvent(value, where);
}

/** Decodes one record of a Lambda Kinesis event (its data is base64). */
export function decodeLambdaRecord(record: LambdaKinesisRecord): ChangeRecord {
  const where = `Kinesis record ${record.kinesis.sequenceNumber}`;
  return {
    event: decodeChangeEvent(Buffer.from(record.kinesis.data, 'base64'), where),
    kinesisSequenceNumber: record.kinesis.sequenceNumber,
    partitionKey: record.kinesis.partitionKey,
  };
}

/** Decodes every record of a Lambda Kinesis event, in order; throws at the first that is not a change event. */
export function decodeKinesisEvent(event: LambdaKinesisEvent): ChangeRecord[] {
  return event.Records.map(decodeLambdaRecord);
}

/** Decodes records from GetRecords, in order; throws at the first that is not a change event. */
export function decodeGetRecords(records: readonly GetRecordsRecord[]): ChangeRecord[] {
  return records.map((record) => {
    const where = `Kinesis record ${record.SequenceNumber ?? '(no sequence number)'}`;
    return {
      event: decodeChangeEvent(record.Data ?? new Uint8Array(), where),
      kinesisSequenceNumber: record.SequenceNumber ?? '',
      partitionKey: record.PartitionKey ?? '',
    };
  });
}
