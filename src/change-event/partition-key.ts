/**
 * Kinesis partition key of a change event: the table plus the item's key in canonical
 * form, so every change of one item hashes to the same shard (per-item order) and the
 * key is the same whoever computes it (forwarder, backfill).
 */
import { createHash } from 'node:crypto';
import type { AttributeMap } from './attribute-value';
import { writeCanonicalAttributeMap } from './json-writer';

/** Kinesis accepts partition keys of 1 to 256 Unicode characters. */
export const MAX_PARTITION_KEY_LENGTH = 256;

/**
 * `<table>|<canonical key JSON>`, e.g. `orders|{"id":"42","region":"eu"}` (attribute
 * names sorted, values in the event's JSON mapping). When that would exceed 256
 * characters it becomes the lowercase hex SHA-256 of the same text (64 characters):
 * still deterministic, and still one shard per item.
 *
 * The length is measured in UTF-16 code units, which is never less than the count of
 * Unicode characters Kinesis applies, so the limit holds for any text.
 */
export function partitionKeyFor(tableName: string, keys: AttributeMap): string {
  return partitionKeyFromCanonicalKeys(tableName, writeCanonicalAttributeMap(keys, '$.keys'));
}

/** partitionKeyFor when the canonical key text is already at hand (the encoder reuses it). */
export function partitionKeyFromCanonicalKeys(tableName: string, canonicalKeys: string): string {
  const text = `${tableName}|${canonicalKeys}`;
  if (text.length <= MAX_PARTITION_KEY_LENGTH) return text;
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
