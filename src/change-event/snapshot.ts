/**
 * Snapshot events: rows the backfill reads with Scan because they were written before the
 * table's stream existed. Same envelope, partition key and size rules as stream changes,
 * so consumers handle them the same way; `operation` is `snapshot`, `old` is null.
 */
import { createHash } from 'node:crypto';
import { MalformedInputError } from '../errors';
import type { AttributeMap, AttributeValue } from './attribute-value';
import { encodeChangeEvent, Operation, type ChangeFields, type EncodedChangeEvent, type EncodeOptions, type SnapshotInfo } from './change-event';
import { writeCanonicalAttributeMap } from './json-writer';
import { applyOrigin, compileOriginOptions, type CompiledOriginOptions } from './origin';

const DEFAULT_ORIGIN = compileOriginOptions();

export interface SnapshotInput {
  tableName: string;
  tableArn: string;
  region: string;
  /** The table's key attribute names (KeySchema AttributeName values: partition key, then sort key). */
  keyAttributeNames: readonly string[];
  /** The item as Scan returned it. */
  item: AttributeMap;
  /** When the backfill read the row (or started the scan segment that read it). */
  readAt: Date;
  /** The table's stream ARN at the time, if any. */
  streamArn?: string | null;
  /** Override the derived id (default: see snapshotEventId). */
  id?: string;
  /** Why the backfill ran and when its run started (written as the event's `snapshot`). */
  snapshot?: SnapshotInfo;
}

/** Picks the key attributes out of an item; throws when the item lacks one. */
export function keysOfItem(item: AttributeMap, keyAttributeNames: readonly string[]): AttributeMap {
  if (keyAttributeNames.length === 0) throw new MalformedInputError('a table needs at least one key attribute');
  const keys: AttributeMap = {};
  for (const name of keyAttributeNames) {
    const value = item[name];
    if (value === undefined) throw new MalformedInputError(`item has no value for key attribute "${name}"`);
    keys[name] = value as AttributeValue;
  }
  return keys;
}

/**
 * Deterministic id of a snapshot event: `snapshot-` + SHA-256 hex of table, canonical
 * key and readAt. A re-run of the same scan segment at the same readAt de-duplicates.
 */
export function snapshotEventId(tableName: string, keys: AttributeMap, readAt: Date): string {
  const digest = createHash('sha256')
    .update(`${tableName}|${writeCanonicalAttributeMap(keys, '$.keys')}|${readAt.toISOString()}`, 'utf8')
    .digest('hex');
  return `snapshot-${digest}`;
}

/**
 * Encodes a backfilled row as a change event (operation `snapshot`, old null, new = item), with
 * `origin` read from the item's DMS header columns (removed from `new` unless `origin` keeps them).
 */
export function encodeSnapshotEvent(input: SnapshotInput, options: EncodeOptions = {}, origin: CompiledOriginOptions = DEFAULT_ORIGIN): EncodedChangeEvent {
  if (Number.isNaN(input.readAt.getTime())) throw new MalformedInputError('readAt is not a valid time');
  const keys = keysOfItem(input.item, input.keyAttributeNames);
  const readAt = input.readAt.toISOString();
  const fields: ChangeFields = {
    id: input.id ?? snapshotEventId(input.tableName, keys, input.readAt),
    operation: Operation.Snapshot,
    tableName: input.tableName,
    tableArn: input.tableArn,
    streamArn: input.streamArn ?? null,
    region: input.region,
    keys,
    oldImage: null,
    newImage: input.item,
    sequenceNumber: null,
    approximateCreationTime: readAt,
    readAt,
    ttlDeletion: false,
    origin: undefined,
    omitFromImages: undefined,
    ...(input.snapshot === undefined ? {} : { snapshot: input.snapshot }),
  };
  applyOrigin(fields, origin);
  return encodeChangeEvent(fields, options);
}
