/**
 * A model of one DMS table and of what the system delivers about it, for the Materializer's
 * property test. `simulate` runs a script of table operations against an in-memory table and
 * records every change event the system would publish: stream events (only while a stream is
 * enabled), snapshots of backfill runs that read the table page by page while writes go on,
 * heal runs after stream events were lost, and re-created tables (a new stream generation
 * whose DMS reload is written before its stream exists). `deliveryOrder` then gives each
 * event a delivery time within the system's guarantees and sorts by it:
 *
 * - forwarded stream events reach Kinesis in stream order per item key (one partition key per
 *   item), each within 2 hours of its change; some are delivered twice (retries), later;
 * - redriven events (from the dead-letter queue) arrive up to 24 hours late, in any order: the
 *   redriver re-reads them from the DynamoDB stream, which keeps records for 24 hours;
 * - snapshots arrive up to an hour after their read, in any order against stream events;
 * - only changes older than a heal's run start minus 15 minutes are lost, and never removes
 *   (a Scan cannot show that an item is gone, so no heal can repair a lost remove);
 * - a re-created table's reload writes at least one item, so its new generation has an event.
 */
import type { ChangeEvent } from '../../../src/consumer';

export const TABLE = 'orders';
const REGION = 'eu-west-1';
const TABLE_ARN = `arn:aws:dynamodb:${REGION}:123456789012:table/${TABLE}`;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export type Command =
  | { kind: 'put'; key: number }
  | { kind: 'delete'; key: number }
  | { kind: 'tick'; ms: number }
  /** The running backfill reads its next page (one key). */
  | { kind: 'scan' }
  | { kind: 'forced-backfill' }
  /** Loses stream changes older than now - 15 min (those `seed` picks), then starts a heal run. */
  | { kind: 'heal'; seed: number }
  /** Deletes and re-creates the table; DMS reloads `reload` before the new stream is enabled. */
  | { kind: 'recreate'; reload: number[] }
  | { kind: 'unconvertible'; key: number };

export interface Published {
  readonly event: ChangeEvent;
  /** When the change happened or the row was read (epoch ms). */
  readonly at: number;
  readonly key: string;
  lost: boolean;
}

export interface History {
  readonly published: Published[];
  /** The table's items at the end, by key number. */
  readonly table: Map<number, Record<string, string>>;
}

interface Run {
  reason: 'initial' | 'forced' | 'heal';
  startedAt: number;
  pending: number[];
}

/** Deterministic pseudo-random choice from a seed (mulberry32 step). */
export function pick(seed: number, index: number, outOf: number): number {
  let t = (seed + index * 0x6d2b79f5) | 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) % outOf;
}

/** Runs the script; `keys` item keys exist (0..keys-1); `preload` is written before the first stream. */
export function simulate(commands: readonly Command[], keys: number, preload: readonly number[]): History {
  const table = new Map<number, Record<string, string>>();
  const published: Published[] = [];
  let now = Date.parse('2026-03-01T00:00:00.000Z');
  let streamArn: string | null = null;
  // Crosses from 20 to 21 digits within a few events: compared as text, the order would break.
  let sequence = 99_999_999_999_999_999_990n;
  let written = 0;
  let run: Run | undefined;
  let ids = 0;
  const keyText = (key: number) => `${TABLE}|{"id":${JSON.stringify(String(key))}}`;
  const base = (key: number) => ({ schemaVersion: 1 as const, table: TABLE, ttlDeletion: false, truncated: [], keys: { id: String(key) } });
  const source = () => ({ eventSource: 'aws:dynamodb' as const, region: REGION, tableArn: TABLE_ARN, streamArn });

  const write = (key: number, item: Record<string, string> | undefined) => {
    now += 1_000;
    const before = table.get(key);
    if (item) table.set(key, item);
    else table.delete(key);
    if (streamArn === null || (before === undefined && item === undefined)) return;
    sequence += BigInt(1 + (written % 3));
    const operation = item === undefined ? 'remove' : before === undefined ? 'insert' : 'modify';
    const event: ChangeEvent = {
      ...base(key),
      id: `evt-${(ids += 1)}`,
      operation,
      sequenceNumber: String(sequence),
      approximateCreationTime: new Date(now).toISOString(),
      readAt: null,
      source: source(),
      old: before ?? null,
      new: item ?? null,
    };
    published.push({ event, at: now, key: keyText(key), lost: false });
  };

  const scanPage = () => {
    const key = run?.pending.shift();
    if (run === undefined || key === undefined) return;
    now += 1_000;
    const item = table.get(key);
    if (item) {
      const snapshot = { reason: run.reason, runStartedAt: new Date(run.startedAt).toISOString() };
      const event: ChangeEvent = {
        ...base(key),
        id: `snapshot-${(ids += 1)}`,
        operation: 'snapshot',
        sequenceNumber: null,
        approximateCreationTime: new Date(now).toISOString(),
        readAt: new Date(now).toISOString(),
        source: source(),
        old: null,
        new: item,
        // Snapshots without `snapshot` are initial: leave it out on some to cover that form.
        ...(run.reason === 'initial' && key % 2 === 0 ? {} : { snapshot }),
      };
      published.push({ event, at: now, key: keyText(key), lost: false });
    }
    if (run.pending.length === 0) run = undefined;
  };
  const finishRun = () => {
    while (run) scanPage();
  };
  const startRun = (reason: Run['reason']) => {
    finishRun();
    now += 1_000;
    run = { reason, startedAt: now, pending: Array.from({ length: keys }, (_, key) => key) };
  };
  const enableStream = () => {
    now += 1_000;
    streamArn = `${TABLE_ARN}/stream/${new Date(now).toISOString().replace('Z', '')}`;
    startRun('initial'); // the reconciler backfills whatever was written before the stream existed
  };

  for (const key of preload) write(key, { id: String(key), v: String((written += 1)) });
  enableStream();
  for (const command of commands) {
    switch (command.kind) {
      case 'put':
        write(command.key, { id: String(command.key), v: String((written += 1)) });
        break;
      case 'delete':
        write(command.key, undefined);
        break;
      case 'tick':
        now += command.ms;
        break;
      case 'scan':
        scanPage();
        break;
      case 'forced-backfill':
        startRun('forced');
        break;
      case 'heal': {
        const cutoff = now - 15 * MINUTE;
        published.forEach((entry, index) => {
          const { event } = entry;
          if (event.source.streamArn !== streamArn || event.sequenceNumber === null || event.operation === 'remove' || entry.at >= cutoff) return;
          if (pick(command.seed, index, 2) === 0) entry.lost = true;
        });
        startRun('heal');
        break;
      }
      case 'recreate':
        finishRun();
        table.clear();
        streamArn = null;
        now += MINUTE;
        for (const key of command.reload) write(key, { id: String(key), v: String((written += 1)) });
        enableStream();
        break;
      case 'unconvertible': {
        const event: ChangeEvent = {
          ...base(command.key),
          id: `bad-${(ids += 1)}`,
          operation: 'unconvertible',
          sequenceNumber: String(sequence + 1n),
          approximateCreationTime: new Date(now).toISOString(),
          readAt: null,
          source: source(),
          keys: command.key % 2 === 0 ? null : { id: String(command.key) },
          old: null,
          new: null,
          error: { reason: 'InvalidAttributeValue', message: 'unreadable number' },
        };
        if (streamArn !== null) published.push({ event, at: now, key: keyText(command.key), lost: false });
        break;
      }
    }
  }
  finishRun();
  return { published, table };
}

/**
 * Orders what is delivered (lost events left out) by delivery times within the guarantees
 * above; `seed` draws the lags, duplicates and redrives.
 */
export function deliveryOrder(published: readonly Published[], seed: number): ChangeEvent[] {
  const deliveries: Array<{ at: number; tie: number; event: ChangeEvent }> = [];
  const lastOfKey = new Map<string, number>();
  published.forEach((entry, index) => {
    if (entry.lost) return;
    const { event } = entry;
    const lag = (outOf: number) => pick(seed, index * 7 + deliveries.length, outOf);
    const tie = lag(1_000_000);
    if (event.operation === 'snapshot') {
      deliveries.push({ at: entry.at + lag(HOUR), tie, event });
      return;
    }
    if (event.operation !== 'unconvertible' && lag(5) === 0) {
      deliveries.push({ at: entry.at + lag(24 * HOUR), tie, event: { ...event, redriven: true } });
      return;
    }
    // Per item key and stream, forwarded events keep stream order.
    const order = `${entry.key}|${event.source.streamArn}`;
    const at = Math.max(entry.at + lag(2 * HOUR), lastOfKey.get(order) ?? -Infinity);
    lastOfKey.set(order, at);
    deliveries.push({ at, tie: index, event });
    if (lag(4) === 0) deliveries.push({ at: at + lag(2 * HOUR), tie, event });
  });
  return deliveries.sort((a, b) => a.at - b.at || a.tie - b.tie).map((delivery) => delivery.event);
}
