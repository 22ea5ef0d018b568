/**
 * The Kinesis partition key of an archived event, as the forwarder and the backfill gave it:
 * computed with the project's partition-key function from the event's table and keys.
 */
import { partitionKeyFor, type AttributeMap } from '../change-event';
import type { ChangeEvent } from '../consumer';

/**
 * Key values are S, N or B, all JSON strings in the event, and the canonical form writes each
 * as a JSON string, so an S stand-in for each value gives the same text. An unconvertible
 * marker without keys is keyed by its id (it has no item to keep in order with).
 */
export function partitionKeyOfEvent(event: Pick<ChangeEvent, 'id' | 'table' | 'keys'>): string {
  if (event.keys === null) return partitionKeyFor(event.table, { id: { S: event.id } });
  const keys: AttributeMap = {};
  for (const [name, value] of Object.entries(event.keys)) {
    if (typeof value !== 'string') throw new TypeError(`key attribute ${name} of an event of ${event.table} is not a string (keys are S, N or B)`);
    keys[name] = { S: value };
  }
  return partitionKeyFor(event.table, keys);
}
