/**
 * Is a parsed JSON value a change event (schema/change-event.v1.json)? The envelope fields a
 * replay and a consumer rely on are checked; images are not (they are data). Pure and
 * dependency-free, so the CLI needs no schema validator at run time.
 */
import { partitionKeyFor, type AttributeMap } from '../change-event';

/** The fields of an archived event a replay uses. */
export interface ArchivedChangeEvent {
  readonly schemaVersion: 1;
  readonly id: string;
  readonly operation: string;
  readonly table: string;
  readonly keys: Record<string, unknown> | null;
  readonly approximateCreationTime: string | null;
  readonly [field: string]: unknown;
}

/** The operations of version 1 (`unconvertible` marks a stream record that could not be converted). */
const OPERATIONS: ReadonlySet<string> = new Set(['insert', 'modify', 'remove', 'snapshot', 'unconvertible']);

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Why `value` is not a change event, or undefined when it is one. */
export function changeEventProblem(value: unknown): string | undefined {
  if (!isObject(value)) return 'not a JSON object';
  if (value.schemaVersion !== 1) return `schemaVersion is ${JSON.stringify(value.schemaVersion)}, expected 1`;
  if (typeof value.id !== 'string' || value.id === '') return 'id is missing';
  if (typeof value.operation !== 'string' || !OPERATIONS.has(value.operation)) return `operation ${JSON.stringify(value.operation)} is unknown`;
  if (typeof value.table !== 'string' || value.table === '') return 'table is missing';
  if (!isObject(value.source)) return 'source is missing';
  if (value.operation === 'unconvertible') return value.keys === null || isObject(value.keys) ? undefined : 'keys must be an object or null';
  if (!isObject(value.keys) || Object.keys(value.keys).length === 0) return 'keys is missing';
  if (!Object.values(value.keys).every((key) => typeof key === 'string')) return 'a key value is not a string (keys are S, N or B)';
  return undefined;
}

/**
 * The Kinesis partition key the forwarder and the backfill gave the event: computed with the
 * project's partition-key function from the event's table and keys. Key values are S, N or B,
 * all JSON strings in the event, and the canonical form writes each as a JSON string, so an S
 * stand-in for each value gives the same text. An unconvertible marker without keys is keyed
 * by its id (it has no item to keep in order with).
 */
export function partitionKeyOfEvent(event: ArchivedChangeEvent): string {
  if (event.keys === null) return partitionKeyFor(event.table, { id: { S: event.id } });
  const keys: AttributeMap = {};
  for (const [name, value] of Object.entries(event.keys)) keys[name] = { S: value as string };
  return partitionKeyFor(event.table, keys);
}
