/**
 * The identity of an item in a consumer's state: the table plus the item's key attributes in
 * canonical form (attribute names sorted). It equals the Kinesis partition key the forwarder
 * and the backfill give the event (`<table>|<canonical key JSON>`) whenever that is at most
 * 256 characters; longer keys are hashed on Kinesis but kept whole here.
 */
import type { ChangeEvent, Item, JsonValue } from './types';

function canonical(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((name) => `${JSON.stringify(name)}:${canonical(value[name] as JsonValue)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** `<table>|<canonical key JSON>` for a table and an item's key attributes. */
export function itemKeyOf(table: string, keys: Item): string {
  return `${table}|${canonical(keys)}`;
}

/** The item key of an event; undefined for an unconvertible marker whose key is unreadable. */
export function itemKey(event: Pick<ChangeEvent, 'table' | 'keys'>): string | undefined {
  return event.keys === null ? undefined : itemKeyOf(event.table, event.keys);
}
