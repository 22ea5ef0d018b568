/**
 * Follows every shard of a Kinesis stream (parents before children, new shards picked up)
 * and hands each record to a callback with its arrival time. Used by the live display of
 * `npm start`, `dms-event-bus tail`, the end-to-end test and the benchmark.
 */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type KinesisClient,
  type Shard,
} from '@aws-sdk/client-kinesis';

export interface KinesisRecordInfo {
  readonly data: Uint8Array;
  readonly partitionKey: string;
  readonly sequenceNumber: string;
  readonly shardId: string;
  /** When Kinesis accepted the record (ms since epoch). */
  readonly arrivedAt: number;
}

export interface KinesisFollowOptions {
  readonly client: KinesisClient;
  readonly streamName: string;
  /** TRIM_HORIZON reads what the stream holds; LATEST only what arrives from now on. */
  readonly from: 'TRIM_HORIZON' | 'LATEST';
  readonly onRecord: (record: KinesisRecordInfo) => void;
  readonly onError?: (error: unknown) => void;
  /** Pause between polls of a shard that returned nothing (default 200 ms). */
  readonly idleMs?: number;
}

export interface KinesisFollower {
  /** Records received so far. */
  readonly received: () => number;
  stop(): Promise<void>;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });

async function listShards(client: KinesisClient, streamName: string): Promise<Shard[]> {
  const shards: Shard[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(nextToken ? new ListShardsCommand({ NextToken: nextToken }) : new ListShardsCommand({ StreamName: streamName }));
    shards.push(...(page.Shards ?? []));
    nextToken = page.NextToken;
  } while (nextToken);
  return shards;
}

/** Starts following the stream; throws if the stream cannot be listed (e.g. it does not exist). */
export async function followKinesis(options: KinesisFollowOptions): Promise<KinesisFollower> {
  const controller = new AbortController();
  const idleMs = options.idleMs ?? 200;
  let received = 0;
  const started = new Set<string>();
  const finished = new Set<string>();
  const loops: Promise<void>[] = [];
  const initial = await listShards(options.client, options.streamName);

  const readShard = async (shard: Shard, from: 'TRIM_HORIZON' | 'LATEST') => {
    let iterator = (await options.client.send(new GetShardIteratorCommand({ StreamName: options.streamName, ShardId: shard.ShardId!, ShardIteratorType: from }))).ShardIterator;
    while (iterator && !controller.signal.aborted) {
      let response;
      try {
        response = await options.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      } catch (error) {
        options.onError?.(error);
        await sleep(500, controller.signal);
        continue;
      }
      for (const record of response.Records ?? []) {
        received += 1;
        options.onRecord({
          data: record.Data ?? new Uint8Array(),
          partitionKey: record.PartitionKey ?? '',
          sequenceNumber: record.SequenceNumber ?? '',
          shardId: shard.ShardId!,
          arrivedAt: record.ApproximateArrivalTimestamp?.getTime() ?? Date.now(),
        });
      }
      iterator = response.NextShardIterator;
      if ((response.Records ?? []).length === 0) await sleep(idleMs, controller.signal);
    }
    if (!iterator) finished.add(shard.ShardId!);
  };

  const startReady = (shards: Shard[], from: 'TRIM_HORIZON' | 'LATEST') => {
    const known = new Set(shards.map((s) => s.ShardId));
    for (const shard of shards) {
      if (started.has(shard.ShardId!)) continue;
      const parent = shard.ParentShardId;
      if (parent && known.has(parent) && !finished.has(parent)) continue;
      started.add(shard.ShardId!);
      loops.push(readShard(shard, parent && started.has(parent) ? 'TRIM_HORIZON' : from).catch((error: unknown) => options.onError?.(error)));
    }
  };
  startReady(initial, options.from);
  // Re-list now and then: resharding adds shards (read from their start, after their parents).
  const relist = (async () => {
    while (!controller.signal.aborted) {
      await sleep(5_000, controller.signal);
      if (controller.signal.aborted) break;
      try {
        startReady(await listShards(options.client, options.streamName), 'TRIM_HORIZON');
      } catch (error) {
        options.onError?.(error);
      }
    }
  })();

  return {
    received: () => received,
    async stop() {
      controller.abort();
      await relist;
      await Promise.all(loops);
    },
  };
}
