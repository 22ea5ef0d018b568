/**
 * Lambda's stream-poller semantics for one shard, without any AWS call: batches in
 * sequence order, checkpoint at the first reported failure, bisect on function error,
 * retry limit, maximum record age, and the on-failure hand-off. The AWS reads and the
 * function invocation are injected, so these rules are unit-tested on their own.
 */
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { recordCreatedAtMs, toLambdaEvent, type LambdaDynamoDbRecord } from './lambda-event';
import type { StreamMapping } from './mapping-config';

/** Why records left the shard without being processed (Lambda's on-failure `condition`). */
export const DiscardCondition = {
  RetryAttemptsExhausted: 'RetryAttemptsExhausted',
  RecordAgeExceeded: 'RecordAgeExceeded',
} as const;
export type DiscardCondition = (typeof DiscardCondition)[keyof typeof DiscardCondition];

/** How Lambda reads one invocation's result. */
export type InvokeOutcome =
  | { readonly kind: 'ok' }
  /** Records before `failedIndex` succeeded; the checkpoint moves to just before it. */
  | { readonly kind: 'partial'; readonly failedIndex: number }
  /** The function threw, or reported an unusable identifier: the whole batch failed. */
  | { readonly kind: 'error'; readonly reason: string };

function compareSequenceNumbers(a: string, b: string): number {
  const [x, y] = [BigInt(a), BigInt(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Interprets a function's response the way Lambda does for DynamoDB streams:
 * - without ReportBatchItemFailures the response is ignored (success unless it threw);
 * - an empty or missing `batchItemFailures` list is success;
 * - an empty, non-string or unknown `itemIdentifier` fails the whole batch;
 * - otherwise the checkpoint goes to the record with the lowest reported sequence number.
 */
export function interpretResponse(
  response: unknown,
  batch: readonly LambdaDynamoDbRecord[],
  reportBatchItemFailures: boolean,
): InvokeOutcome {
  if (!reportBatchItemFailures || response === null || typeof response !== 'object') return { kind: 'ok' };
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'ok' };
  if (!Array.isArray(failures)) return { kind: 'error', reason: 'batchItemFailures is not a list' };
  if (failures.length === 0) return { kind: 'ok' };
  let lowest: string | undefined;
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '' || !/^\d+$/.test(id)) {
      return { kind: 'error', reason: `invalid itemIdentifier ${JSON.stringify(id ?? null)}` };
    }
    if (lowest === undefined || compareSequenceNumbers(id, lowest) < 0) lowest = id;
  }
  const failedIndex = batch.findIndex((record) => record.dynamodb.SequenceNumber === lowest);
  if (failedIndex < 0) return { kind: 'error', reason: `itemIdentifier ${lowest} is not in the batch` };
  return { kind: 'partial', failedIndex };
}

/** Everything the consumer needs from the world; the poller passes real adapters, tests fakes. */
export interface ShardConsumerDeps {
  /** Invokes the function with one batch; a throw is a function error. */
  invoke(event: DynamoDBStreamEvent): Promise<unknown>;
  /** Hands records that leave unprocessed to the on-failure destination (or drops them if none). */
  discard(discarded: DiscardedBatch): Promise<void>;
  now(): number;
}

export interface DiscardedBatch {
  readonly records: readonly LambdaDynamoDbRecord[];
  readonly condition: DiscardCondition;
  /** Invocations made with these records (0 when they expired before any). */
  readonly invokeCount: number;
  readonly lastError?: string;
}

export type ShardConsumerSettings = Pick<
  StreamMapping,
  | 'batchSize'
  | 'maximumBatchingWindowMs'
  | 'maximumRetryAttempts'
  | 'maximumRecordAgeSeconds'
  | 'bisectBatchOnFunctionError'
  | 'reportBatchItemFailures'
>;

/** What one step did, for the poller's pacing and statistics. */
export type StepResult =
  | { readonly kind: 'idle' }
  | { readonly kind: 'waiting' }
  | { readonly kind: 'processed'; readonly count: number }
  | { readonly kind: 'partial'; readonly processed: number; readonly attempt: number }
  | { readonly kind: 'failed'; readonly reason: string; readonly attempt: number; readonly bisected: boolean }
  | { readonly kind: 'discarded'; readonly count: number; readonly condition: DiscardCondition };

/**
 * The in-memory state of one shard between the stream reader and the function: the
 * records read but not yet checkpointed, the current retry window and its attempt count.
 */
export class ShardConsumer {
  private readonly queue: LambdaDynamoDbRecord[] = [];
  private firstQueuedAt: number | undefined;
  /**
   * Sizes of the batches still to retry, head first. A failed batch is retried as is, or,
   * with BisectBatchOnFunctionError, replaced by its two halves; empty when not retrying.
   */
  private readonly retrySizes: number[] = [];
  /** Failed invocations of the (unsplittable) batch at the head of the queue. */
  private attempts = 0;
  /** Invocations that included the head record since it last moved. */
  private invokeCount = 0;
  private lastError: string | undefined;
  /** Sequence number of the last record that left the shard (processed or discarded). */
  checkpoint: string | undefined;

  constructor(
    private readonly settings: ShardConsumerSettings,
    private readonly deps: ShardConsumerDeps,
  ) {}

  /** Appends records read from the shard; they must follow the queued ones in sequence order. */
  enqueue(records: readonly LambdaDynamoDbRecord[]): void {
    if (records.length === 0) return;
    if (this.queue.length === 0) this.firstQueuedAt = this.deps.now();
    this.queue.push(...records);
  }

  /** Records read but not yet checkpointed. */
  get pending(): number {
    return this.queue.length;
  }

  /** True while the head of the queue is being retried. */
  get retrying(): boolean {
    return this.retrySizes.length > 0;
  }

  /** Delivers at most one batch, applying Lambda's rules to the outcome. */
  async step(): Promise<StepResult> {
    if (this.queue.length === 0) return { kind: 'idle' };
    const expired = this.takeExpired();
    if (expired.length > 0) {
      await this.deps.discard({ records: expired, condition: DiscardCondition.RecordAgeExceeded, invokeCount: this.invokeCount, lastError: this.lastError });
      this.resetRetry();
      return { kind: 'discarded', count: expired.length, condition: DiscardCondition.RecordAgeExceeded };
    }
    if (this.queue.length === 0) return { kind: 'idle' };
    if (!this.batchReady()) return { kind: 'waiting' };

    const size = Math.min(this.retrySizes[0] ?? this.settings.batchSize, this.settings.batchSize, this.queue.length);
    const batch = this.queue.slice(0, size);
    this.invokeCount += 1;
    let outcome: InvokeOutcome;
    try {
      const response = await this.deps.invoke(toLambdaEvent(batch));
      outcome = interpretResponse(response, batch, this.settings.reportBatchItemFailures);
    } catch (error) {
      outcome = { kind: 'error', reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    }

    if (outcome.kind === 'ok') {
      this.succeeded(size);
      return { kind: 'processed', count: size };
    }
    if (outcome.kind === 'partial') {
      // Checkpoint just before the first reported record; the retry starts there.
      if (outcome.failedIndex > 0) {
        this.succeeded(outcome.failedIndex);
        this.invokeCount = 1; // this invocation already included the failed record
      }
      this.lastError = 'the function reported a batch item failure';
      return this.failed(size - outcome.failedIndex, this.lastError, outcome.failedIndex);
    }
    this.lastError = outcome.reason;
    return this.failed(size, outcome.reason, 0);
  }

  /** The first `count` records were processed: the head moves, its retry history ends. */
  private succeeded(count: number): void {
    this.remove(count);
    this.attempts = 0;
    this.invokeCount = 0;
    this.consumeRetrySizes(count);
  }

  private consumeRetrySizes(count: number): void {
    let left = count;
    while (left > 0 && this.retrySizes.length > 0) {
      const head = this.retrySizes[0]!;
      if (head <= left) {
        this.retrySizes.shift();
        left -= head;
      } else {
        this.retrySizes[0] = head - left;
        left = 0;
      }
    }
  }

  private async failed(failedSize: number, reason: string, processed: number): Promise<StepResult> {
    if (this.retrySizes.length === 0) this.retrySizes.push(failedSize);
    else this.retrySizes[0] = failedSize;
    if (this.settings.bisectBatchOnFunctionError && failedSize > 1) {
      // Splitting does not use up a retry: only a batch that cannot be split further counts.
      const first = Math.ceil(failedSize / 2);
      this.retrySizes.splice(0, 1, first, failedSize - first);
      return processed > 0
        ? { kind: 'partial', processed, attempt: this.attempts }
        : { kind: 'failed', reason, attempt: this.attempts, bisected: true };
    }
    this.attempts += 1;
    const limit = this.settings.maximumRetryAttempts;
    if (limit >= 0 && this.attempts > limit) {
      const records = this.queue.slice(0, failedSize);
      await this.deps.discard({ records, condition: DiscardCondition.RetryAttemptsExhausted, invokeCount: this.invokeCount, lastError: reason });
      this.remove(failedSize);
      this.retrySizes.shift();
      this.attempts = 0;
      this.invokeCount = 0;
      return { kind: 'discarded', count: records.length, condition: DiscardCondition.RetryAttemptsExhausted };
    }
    return processed > 0
      ? { kind: 'partial', processed, attempt: this.attempts }
      : { kind: 'failed', reason, attempt: this.attempts, bisected: false };
  }

  private batchReady(): boolean {
    if (this.retrying) return true;
    if (this.queue.length >= this.settings.batchSize || this.settings.maximumBatchingWindowMs <= 0) return true;
    return this.deps.now() - (this.firstQueuedAt ?? 0) >= this.settings.maximumBatchingWindowMs;
  }

  private takeExpired(): LambdaDynamoDbRecord[] {
    const maxAge = this.settings.maximumRecordAgeSeconds;
    if (maxAge < 0) return [];
    const oldestAllowed = this.deps.now() - maxAge * 1000;
    let count = 0;
    while (count < this.queue.length) {
      const created = recordCreatedAtMs(this.queue[count]!);
      if (created === undefined || created >= oldestAllowed) break;
      count += 1;
    }
    const expired = this.queue.slice(0, count);
    this.remove(count);
    return expired;
  }

  private remove(count: number): void {
    if (count <= 0) return;
    const removed = this.queue.splice(0, count);
    this.checkpoint = removed[removed.length - 1]!.dynamodb.SequenceNumber;
    this.firstQueuedAt = this.queue.length > 0 ? this.deps.now() : undefined;
  }

  private resetRetry(): void {
    this.retrySizes.length = 0;
    this.attempts = 0;
    this.invokeCount = 0;
    this.lastError = undefined;
  }
}
