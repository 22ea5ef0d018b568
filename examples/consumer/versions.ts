/**
 * How the example stores an item key's merge-rule Slots in a DynamoDB attribute map: each
 * slot's Version as a map of string and number attributes (sequence numbers as decimal text,
 * since they exceed a double), the key's heal cutoff, and a revision that every write raises
 * (the condition of the next write).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Item, Slots, Version } from '../../src/consumer';

/** A row of the read model: one item key's slots (the best stream event and the best snapshot). */
export interface Row {
  readonly key: string;
  readonly table: string;
  readonly slots: Slots;
  /** Raised by every write; a write is conditional on the revision it read. */
  readonly revision: number;
}

const text = (value: string | null): AttributeValue => (value === null ? { NULL: true } : { S: value });
const num = (value: number | null): AttributeValue => (value === null ? { NULL: true } : { N: String(value) });
const readText = (value: AttributeValue | undefined) => (value?.S === undefined ? null : value.S);
const readNum = (value: AttributeValue | undefined) => (value?.N === undefined ? null : Number(value.N));

function versionAttributes(version: Version): AttributeValue {
  return {
    M: {
      id: { S: version.id },
      generation: text(version.generation),
      kind: { S: version.kind },
      sequenceNumber: text(version.sequenceNumber === null ? null : String(version.sequenceNumber)),
      changedAt: num(version.changedAt),
      readAt: num(version.readAt),
      healCutoff: num(version.healCutoff),
      incomplete: { BOOL: version.incomplete },
      // The item as the event's JSON (exact number text, base64 binaries); absent for a tombstone.
      ...(version.item === null ? {} : { item: { S: JSON.stringify(version.item) } }),
    },
  };
}

function readVersion(attribute: AttributeValue | undefined): Version | undefined {
  const fields = attribute?.M;
  if (fields === undefined) return undefined;
  const sequence = readText(fields.sequenceNumber);
  const item = readText(fields.item);
  return {
    id: fields.id?.S ?? '',
    generation: readText(fields.generation),
    kind: fields.kind?.S === 'snapshot' ? 'snapshot' : 'stream',
    sequenceNumber: sequence === null ? null : BigInt(sequence),
    changedAt: readNum(fields.changedAt),
    readAt: readNum(fields.readAt),
    healCutoff: readNum(fields.healCutoff),
    item: item === null ? null : (JSON.parse(item) as Item),
    incomplete: fields.incomplete?.BOOL === true,
  };
}

/** The row as DynamoDB attributes; `expiresAt` (epoch seconds) makes DynamoDB TTL remove a tombstone. */
export function toAttributes(row: Row, expiresAt?: number): Record<string, AttributeValue> {
  const { slots } = row;
  return {
    pk: { S: row.key },
    table: { S: row.table },
    revision: { N: String(row.revision) },
    ...(slots.stream === undefined ? {} : { stream: versionAttributes(slots.stream) }),
    ...(slots.snapshot === undefined ? {} : { snapshot: versionAttributes(slots.snapshot) }),
    healCutoff: num(slots.healCutoff),
    ...(expiresAt === undefined ? {} : { expiresAt: { N: String(expiresAt) } }),
  };
}

/** Reads a row written by toAttributes. */
export function fromAttributes(attributes: Record<string, AttributeValue>): Row {
  return {
    key: attributes.pk?.S ?? '',
    table: attributes.table?.S ?? '',
    slots: { stream: readVersion(attributes.stream), snapshot: readVersion(attributes.snapshot), healCutoff: readNum(attributes.healCutoff) },
    revision: readNum(attributes.revision) ?? 0,
  };
}
