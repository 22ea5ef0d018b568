/**
 * The lag per table for `dms-event-bus status`, read from the change stream's recent tail:
 * every shard from `now - window` (GetShardIterator AT_TIMESTAMP) until it is caught up
 * (MillisBehindLatest 0) or a page limit, each event's lag computed as a consumer would
 * (local/lag.ts). Why the tail and not CloudWatch: the forwarder's lag metrics have no table
 * dimension by default (it would cost a custom metric per table), while the events name their
 * table and carry the commit time; a one-minute window costs a few GetRecords calls per shard
 * and needs only kinesis:ListShards, GetShardIterator and GetRecords. Tables without events in
 * the window are absent (idle, or kept off the stream like heartbeats with HeartbeatPublish=false).
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_GetShardIterator.html
 * https://docs.aws.amazon.com/kinesis/latest/APIReference/API_GetRecords.html
 */
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient, type Shard } from '@aws-sdk/client-kinesis';
import { formatLagTable, lagByTable, type LagEvent, type TableLag } from '../../local/lag';
import { UsageError } from '../errors';

export interface StreamLagOptions {
  readonly client: KinesisClient;
  readonly streamName: string;
  /** How far back to read (default 60 s). */
  readonly windowMs?: number;
  /** GetRecords calls per shard at most (default 20; Kinesis allows 5 per second per shard). */
  readonly maxPagesPerShard?: number;
  readonly now?: () => number;
}

export interface StreamLag {
  readonly tables: TableLag[];
  readonly windowMs: number;
  /** True when a shard hit the page limit before catching up (the newest events may be missing). */
  readonly partial: boolean;
}

function parseEvent(data: Uint8Array, arrivedAt: number): LagEvent | undefined {
  try {
    const event = JSON.parse(Buffer.from(data).toString('utf8')) as Record<string, unknown>;
    if (event.schemaVersion !== 1 || typeof event.table !== 'string' || typeof event.operation !== 'string') return undefined;
    return { table: event.table, operation: event.operation, approximateCreationTime: event.approximateCreationTime as string | null, origin: event.origin as LagEvent['origin'], arrivedAt };
  } catch {
    return undefined;
  }
}

/** Every shard of the stream (ListShards pages: a NextToken request must not repeat the StreamName). */
async function listShards(client: KinesisClient, streamName: string): Promise<Shard[]> {
  const shards: Shard[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListShardsCommand(token ? { NextToken: token } : { StreamName: streamName }));
    shards.push(...(page.Shards ?? []));
    token = page.NextToken;
  } while (token);
  return shards;
}

/** Reads the window of every shard and returns the lag per table. */
export async function readStreamLag(options: StreamLagOptions): Promise<StreamLag> {
  const now = options.now ?? Date.now;
  const windowMs = options.windowMs ?? 60_000;
  const maxPages = options.maxPagesPerShard ?? 20;
  const since = new Date(now() - windowMs);
  const events: LagEvent[] = [];
  let partial = false;
  for (const shard of await listShards(options.client, options.streamName)) {
    // A shard closed before the window holds nothing newer; AT_TIMESTAMP on it returns an empty page.
    let { ShardIterator: iterator } = await options.client.send(
      new GetShardIteratorCommand({ StreamName: options.streamName, ShardId: shard.ShardId, ShardIteratorType: 'AT_TIMESTAMP', Timestamp: since }),
    );
    for (let pages = 0; iterator; pages++) {
      if (pages === maxPages) {
        partial = true;
        break;
      }
      const result = await options.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const record of result.Records ?? []) {
        const event = parseEvent(record.Data ?? new Uint8Array(), record.ApproximateArrivalTimestamp?.getTime() ?? now());
        if (event) events.push(event);
      }
      if ((result.MillisBehindLatest ?? 0) === 0) break;
      iterator = result.NextShardIterator;
    }
  }
  return { tables: lagByTable(events), windowMs, partial };
}

/** `status`'s lag section: undefined when no change stream is configured; tables limited to `only` when given. */
export async function statusLag(input: { client: KinesisClient; streamName: string | undefined; only: readonly string[]; windowSeconds?: string }): Promise<StreamLag | undefined> {
  if (input.streamName === undefined) return undefined;
  const seconds = input.windowSeconds === undefined ? 60 : Number(input.windowSeconds);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 86_400) throw new UsageError(`--lag-window must be a number of seconds in (0, 86400], got "${input.windowSeconds}"`);
  const lag = await readStreamLag({ client: input.client, streamName: input.streamName, windowMs: seconds * 1000 });
  return input.only.length === 0 ? lag : { ...lag, tables: lag.tables.filter((row) => input.only.includes(row.table)) };
}

/** The lag section as text. */
export function formatStatusLag(lag: StreamLag, now: number): string {
  const title = `\nLag per table, from the change stream's last ${Math.round(lag.windowMs / 1000)} s (source = DMS commit time -> Kinesis, stream = DynamoDB write -> Kinesis)${lag.partial ? '; partial: a shard had more than the page limit' : ''}`;
  return `${title}\n${formatLagTable(lag.tables, now)}`;
}
