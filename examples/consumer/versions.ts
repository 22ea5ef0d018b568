/**
 * How the example stores a merge-rule Version in a DynamoDB attribute map: every field as a
 * string or number attribute (sequence numbers as decimal text, since they exceed a double).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Item, Version } from '../../src/consumer';

/** A row of the read model: one item key's winning version and its item (absent for a tombstone). */
export interface Row {
  readonly key: string;
  readonly table: string;
  readonly version: Version;
}

const text = (value: string | null): AttributeValue => (value === null ? { NULL: true } : { S: value });
const num = (value: number | null): AttributeValue => (value === null ? { NULL: true } : { N: String(value) });
const readText = (value: AttributeValue | undefined) => (value?.S === undefined ? null : value.S);
const readNum = (value: AttributeValue | undefined) => (value?.N === undefined ? null : Number(value.N));

/** The row as DynamoDB attributes; `expiresAt` (epoch seconds) makes DynamoDB TTL remove a tombstone. */
export function toAttributes(row: Row, expiresAt?: number): Record<string, AttributeValue> {
  const { version } = row;
  return {
    pk: { S: row.key },
    table: { S: row.table },
    versionId: { S: version.id },
    generation: text(version.generation),
    kind: { S: version.kind },
    sequenceNumber: text(version.sequenceNumber === null ? null : String(version.sequenceNumber)),
    changedAt: num(version.changedAt),
    readAt: num(version.readAt),
    healCutoff: num(version.healCutoff),
    incomplete: { BOOL: version.incomplete },
    // The item as the event's JSON (exact number text, base64 binaries); absent for a tombstone.
    ...(version.item === null ? {} : { item: { S: JSON.stringify(version.item) } }),
    ...(expiresAt === undefined ? {} : { expiresAt: { N: String(expiresAt) } }),
  };
}

/** Reads a row written by toAttributes. */
export function fromAttributes(attributes: Record<string, AttributeValue>): Row {
  const sequence = readText(attributes.sequenceNumber);
  const item = readText(attributes.item);
  return {
    key: attributes.pk?.S ?? '',
    table: attributes.table?.S ?? '',
    version: {
      id: attributes.versionId?.S ?? '',
      generation: readText(attributes.generation),
      kind: attributes.kind?.S === 'snapshot' ? 'snapshot' : 'stream',
      sequenceNumber: sequence === null ? null : BigInt(sequence),
      changedAt: readNum(attributes.changedAt),
      readAt: readNum(attributes.readAt),
      healCutoff: readNum(attributes.healCutoff),
      item: item === null ? null : (JSON.parse(item) as Item),
      incomplete: attributes.incomplete?.BOOL === true,
    },
  };
}
