/**
 * The local stand-in for Lambda's DynamoDB Streams poller. Every cycle it re-reads the
 * enabled mappings from the (local) Lambda API, runs one worker per mapping, and each
 * worker reads its stream's shards (parents first) and feeds a ShardConsumer that
 * applies Lambda's batch semantics while invoking the function in-process.
 *
 * Development tooling only: never bundled into a Lambda function.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { localContext } from './lambda-context';
import type { Logger } from '../../src/observability/logger';
import { IteratorExpiredError, StreamGoneError, type FailureDestination, type MappingSource, type StreamReader } from './aws';
import { toLambdaRecord, type LambdaDynamoDbRecord } from './lambda-event';
import { mappingChanged, tableNameOfStreamArn, type StreamMapping } from './mapping-config';
import { buildOnFailureMessage } from './on-failure';
import { ShardConsumer, type StepResult } from './shard-consumer';
import { initialIteratorType, readyShards, type ShardInfo } from './shards';

/** A function as the poller calls it: Lambda's (event, context) signature. */
export type LocalFunction = (event: unknown, context: Context) => Promise<unknown>;

/** Counters for displays and tests. */
export interface PollerStats {
  invocations: number;
  recordsDelivered: number;
  recordsProcessed: number;
  failedInvocations: number;
  recordsDiscarded: number;
  mappings: number;
}

export interface PollerOptions {
  readonly mappings: MappingSource;
  readonly streams: StreamReader;
  readonly destination: FailureDestination;
  /** In-process functions by function name. Mappings to other functions are skipped with a warning. */
  readonly functions: Readonly<Record<string, LocalFunction>>;
  readonly region: string;
  readonly logger?: Logger;
  /** Pause between polls of an idle shard; Lambda polls each shard 4 times a second. */
  readonly pollIntervalMs?: number;
  /** How often the mapping list is re-read. */
  readonly mappingRefreshMs?: number;
  /** Records read per GetRecords call (DynamoDB Streams allows up to 1000). */
  readonly readLimit?: number;
  /** Delay before retrying a failed batch, by attempt number (1-based). */
  readonly retryDelayMs?: (attempt: number) => number;
  readonly now?: () => number;
  /** Receives Lambda's LastProcessingResult for a mapping after each invocation. */
  readonly reportResult?: (uuid: string, result: 'OK' | 'PROBLEM: Function call failed') => void;
  /** Called after every batch outcome (for live displays). */
  readonly onStep?: (mapping: StreamMapping, shardId: string, result: StepResult) => void;
}

export interface Poller {
  start(): void;
  /** Stops every worker and waits for in-flight invocations to finish. */
  stop(): Promise<void>;
  /** Re-reads the mapping list now (also done periodically once started). */
  refresh(): Promise<void>;
  stats(): Readonly<PollerStats>;
  /** Mapping UUIDs currently being polled. */
  activeMappings(): string[];
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
  });

interface ShardState {
  readonly shard: ShardInfo;
  readonly consumer: ShardConsumer;
  iterator: string | undefined;
  /** Sequence number of the last record read into the consumer (for a fresh iterator). */
  lastRead: string | undefined;
  /** The shard is closed and every record in it was read. */
  drained: boolean;
  notBefore: number;
  /** Where the shard was first opened; reused if the iterator expires before any record was read. */
  initialType: 'TRIM_HORIZON' | 'LATEST';
  /** Event ids of the records read last, to drop the ones moto hands out again (see readFresh). */
  readonly recentIds: RecentIds;
}

/** Creates a poller; call start() to begin and stop() to end. */
export function createPoller(options: PollerOptions): Poller {
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const refreshMs = options.mappingRefreshMs ?? 1_000;
  const readLimit = options.readLimit ?? 1_000;
  const retryDelayMs = options.retryDelayMs ?? ((attempt: number) => Math.min(100 * 2 ** (attempt - 1), 5_000));
  const now = options.now ?? Date.now;
  const stats: PollerStats = { invocations: 0, recordsDelivered: 0, recordsProcessed: 0, failedInvocations: 0, recordsDiscarded: 0, mappings: 0 };
  const workers = new Map<string, { mapping: StreamMapping; controller: AbortController; done: Promise<void> }>();
  const warnedFunctions = new Set<string>();
  /**
   * Checkpoints by mapping UUID, kept when a worker restarts (mapping updated, disabled and
   * enabled): like Lambda, an updated mapping resumes where it was, not at its StartingPosition.
   */
  const checkpoints = new Map<string, { shards: Map<string, string>; finished: Set<string> }>();
  let refreshLoop: Promise<void> | undefined;
  const lifecycle = new AbortController();

  async function runWorker(mapping: StreamMapping, signal: AbortSignal): Promise<void> {
    const fn = options.functions[mapping.functionName]!;
    const log = options.logger?.child({ mapping: mapping.uuid, table: tableNameOfStreamArn(mapping.streamArn) });
    const shards = new Map<string, ShardState>();
    const saved = checkpoints.get(mapping.uuid) ?? { shards: new Map<string, string>(), finished: new Set<string>() };
    checkpoints.set(mapping.uuid, saved);
    const finished = saved.finished;
    const seen = new Set<string>();
    let firstListing = true;
    let lastListing = 0;

    const newState = (shard: ShardInfo, initialType: 'TRIM_HORIZON' | 'LATEST'): ShardState => {
      const state: ShardState = {
        shard,
        initialType,
        iterator: undefined,
        lastRead: undefined,
        drained: false,
        recentIds: recentIds(),
        notBefore: 0,
        consumer: new ShardConsumer(mapping, {
          invoke: async (event) => {
            stats.invocations += 1;
            stats.recordsDelivered += (event.Records ?? []).length;
            return fn(event, localContext(mapping.functionName, mapping.functionArn));
          },
          discard: async (discarded) => {
            stats.recordsDiscarded += discarded.records.length;
            log?.warn('records discarded', { condition: discarded.condition, count: discarded.records.length, shardId: shard.shardId });
            if (!mapping.onFailureDestination) return;
            const message = buildOnFailureMessage({ discarded, functionArn: mapping.functionArn, streamArn: mapping.streamArn, shardId: shard.shardId, now: now() });
            await options.destination.send(mapping.onFailureDestination, message);
          },
          now,
        }),
      };
      return state;
    };

    const startIterator = async (state: ShardState) => {
      const type = state.initialType;
      state.iterator = await options.streams.getIterator(
        mapping.streamArn,
        state.shard.shardId,
        state.lastRead ? { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: state.lastRead } : { type },
      );
    };

    while (!signal.aborted) {
      let busy = false;
      try {
        if (now() - lastListing >= refreshMs || shards.size === 0) {
          lastListing = now();
          const listed = await options.streams.describeShards(mapping.streamArn);
          for (const shard of readyShards(listed, finished)) {
            if (shards.has(shard.shardId)) continue;
            const state = newState(shard, initialIteratorType(shard, mapping.startingPosition, { seenBefore: seen, firstListing }));
            state.lastRead = saved.shards.get(shard.shardId);
            await startIterator(state);
            shards.set(shard.shardId, state);
          }
          for (const shard of listed) seen.add(shard.shardId);
          firstListing = false;
        }
        for (const state of shards.values()) {
          if (signal.aborted) break;
          if (state.notBefore > now()) continue;
          const consumer = state.consumer;
          if (state.iterator && consumer.pending < mapping.batchSize * 2) {
            let page;
            try {
              page = await options.streams.getRecords(state.iterator, readLimit);
            } catch (error) {
              if (!(error instanceof IteratorExpiredError)) throw error;
              await startIterator(state);
              continue;
            }
            // A shard never yields a record twice on AWS. moto does: two concurrent writes can get
            // the same sequence number, and its next iterator then starts at the second one again.
            // Such a record is the same record (same eventID): delivering it again would be a
            // duplicate Lambda never causes. Two records sharing a sequence number are both new.
            const fresh = page.records.filter((record) => state.recentIds.addIfNew(record.eventID));
            if (fresh.length < page.records.length) {
              log?.warn('emulator returned records already read; skipped', { count: page.records.length - fresh.length, shardId: state.shard.shardId });
            }
            const records: LambdaDynamoDbRecord[] = fresh.map((record) => toLambdaRecord(record, mapping.streamArn, options.region));
            consumer.enqueue(records);
            if (records.length > 0) {
              state.lastRead = records[records.length - 1]!.dynamodb.SequenceNumber;
              busy = true;
            }
            state.iterator = page.nextIterator;
            if (!page.nextIterator) state.drained = true;
          }
          const result = await consumer.step();
          if (consumer.checkpoint) saved.shards.set(state.shard.shardId, consumer.checkpoint);
          options.onStep?.(mapping, state.shard.shardId, result);
          if (result.kind === 'processed') options.reportResult?.(mapping.uuid, 'OK');
          if (result.kind === 'partial' || result.kind === 'failed') options.reportResult?.(mapping.uuid, 'PROBLEM: Function call failed');
          switch (result.kind) {
            case 'processed':
              stats.recordsProcessed += result.count;
              busy = true;
              break;
            case 'partial':
              stats.recordsProcessed += result.processed;
              stats.failedInvocations += 1;
              state.notBefore = now() + retryDelayMs(Math.max(1, result.attempt));
              break;
            case 'failed':
              stats.failedInvocations += 1;
              log?.warn('batch failed', { reason: result.reason, attempt: result.attempt, bisected: result.bisected, shardId: state.shard.shardId });
              state.notBefore = now() + (result.bisected ? 0 : retryDelayMs(Math.max(1, result.attempt)));
              busy = result.bisected;
              break;
            case 'discarded':
              busy = true;
              break;
            default:
              break;
          }
          if (state.drained && consumer.pending === 0) {
            finished.add(state.shard.shardId);
            shards.delete(state.shard.shardId);
            lastListing = 0; // a closed parent may have children ready now
          }
        }
      } catch (error) {
        if (error instanceof StreamGoneError) {
          log?.info('stream gone; waiting for the mapping to be removed');
          await sleep(refreshMs * 5, signal);
          continue;
        }
        log?.error('poller worker error', { error });
        await sleep(1_000, signal);
        continue;
      }
      if (!busy) await sleep(pollIntervalMs, signal);
    }
  }

  let refreshing: Promise<void> = Promise.resolve();
  /** Serialised, so a slow listing taken before a change can never undo a newer one. */
  function refresh(): Promise<void> {
    const run = refreshing.then(refreshNow, refreshNow);
    refreshing = run.catch(() => undefined);
    return run;
  }

  async function refreshNow(): Promise<void> {
    const listed = await options.mappings.listStreamMappings();
    const wanted = new Map<string, StreamMapping>();
    for (const mapping of listed) {
      if (!options.functions[mapping.functionName]) {
        if (!warnedFunctions.has(mapping.functionName)) {
          warnedFunctions.add(mapping.functionName);
          options.logger?.warn('mapping to a function that is not run locally; skipped', { function: mapping.functionName, mapping: mapping.uuid });
        }
        continue;
      }
      wanted.set(mapping.uuid, mapping);
    }
    const stops: Promise<void>[] = [];
    for (const [uuid, worker] of workers) {
      const next = wanted.get(uuid);
      if (!next || mappingChanged(worker.mapping, next)) {
        worker.controller.abort();
        stops.push(worker.done);
        workers.delete(uuid);
      }
    }
    await Promise.all(stops);
    if (lifecycle.signal.aborted) return;
    for (const [uuid, mapping] of wanted) {
      if (workers.has(uuid)) continue;
      const controller = new AbortController();
      const done = runWorker(mapping, controller.signal).catch((error: unknown) => {
        options.logger?.error('poller worker stopped', { mapping: uuid, error });
      });
      workers.set(uuid, { mapping, controller, done });
      options.logger?.info('polling mapping', { mapping: uuid, stream: mapping.streamArn, function: mapping.functionName });
    }
    stats.mappings = workers.size;
  }

  return {
    start() {
      if (refreshLoop) return;
      refreshLoop = (async () => {
        while (!lifecycle.signal.aborted) {
          try {
            await refresh();
          } catch (error) {
            options.logger?.warn('could not list event source mappings', { error });
          }
          await sleep(refreshMs, lifecycle.signal);
        }
      })();
    },
    async stop() {
      lifecycle.abort();
      await refreshLoop;
      for (const worker of workers.values()) worker.controller.abort();
      await Promise.all([...workers.values()].map((worker) => worker.done));
      workers.clear();
      stats.mappings = 0;
    },
    refresh,
    stats: () => ({ ...stats }),
    activeMappings: () => [...workers.keys()],
  };
}

/** A bounded memory of the last event ids seen, oldest forgotten first. */
interface RecentIds {
  /** True (and remembered) when the id was not among the recent ones; records without an id are always new. */
  addIfNew(id: string | undefined): boolean;
}

export function recentIds(capacity = 10_000): RecentIds {
  const ids = new Set<string>();
  return {
    addIfNew(id) {
      if (id === undefined) return true;
      if (ids.has(id)) return false;
      ids.add(id);
      if (ids.size > capacity) ids.delete(ids.values().next().value as string);
      return true;
    },
  };
}
