/**
 * Publishes records to Kinesis with PutRecords: as few requests as the limits allow,
 * retries of failed entries and failed requests with exponential backoff and full jitter,
 * bounded by attempts and a deadline, and per-partition-key order kept throughout
 * (see plan.ts for how).
 *
 * Result semantics: `written` is the length of the longest prefix of the input that is
 * known to be on the stream. The caller reports records[written] as the first unwritten
 * one. Records after it may be on the stream too; a retry from records[written] sends them
 * again (at-least-once; consumers de-duplicate by event id). Order per key still holds on
 * the stream: a duplicate only ever repeats a record after its predecessors.
 */
import { DEFAULT_LIMITS, planWave, recordBytes, writtenPrefix, type PutRecordsLimits } from './plan';
import { PublishRequestError, type EntryResult, type PublishRecord, type PutRecordsPort } from './types';

/** Why publishing stopped. */
export const PublishOutcome = {
  /** Every record is on the stream. */
  Complete: 'complete',
  /** A record failed `maxAttempts` times. */
  AttemptsExhausted: 'attempts-exhausted',
  /** The deadline arrived (or would, before the next backoff ended). */
  Deadline: 'deadline',
  /** A request failed with an error retrying cannot fix. */
  Fatal: 'fatal',
  /** A record exceeds the maximum record size; nothing from it on is sent. */
  RecordTooLarge: 'record-too-large',
} as const;
export type PublishOutcome = (typeof PublishOutcome)[keyof typeof PublishOutcome];

export interface PublishResult {
  readonly outcome: PublishOutcome;
  /** Leading input records known to be on the stream. */
  readonly written: number;
  readonly total: number;
  /** PutRecords requests sent. */
  readonly requests: number;
  /** Entries sent again after a failure. */
  readonly retries: number;
  /** Error codes seen, with counts (per-entry codes and whole-request codes). */
  readonly errors: Readonly<Record<string, number>>;
  /** The error that ended publishing early, if any. */
  readonly lastError?: { readonly code: string; readonly message: string };
}

export interface PublisherOptions {
  readonly port: PutRecordsPort;
  readonly limits?: Partial<PutRecordsLimits>;
  /** Sends per record before giving up (first send included). Default 6. */
  readonly maxAttempts?: number;
  /** Backoff base and cap: delay = random() * min(cap, base * 2^failedRounds). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Requests of one wave in flight at once (they never share a partition key). Default 4. */
  readonly maxConcurrentRequests?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

export interface PublishCallOptions {
  /** Epoch ms after which no request starts and in-flight ones are aborted. */
  readonly deadline?: number;
}

export interface Publisher {
  publish(records: readonly PublishRecord[], options?: PublishCallOptions): Promise<PublishResult>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface RequestOutcome {
  readonly indices: readonly number[];
  readonly results?: readonly EntryResult[];
  readonly error?: PublishRequestError;
}

export function createPublisher(options: PublisherOptions): Publisher {
  const limits: PutRecordsLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const maxAttempts = options.maxAttempts ?? 6;
  const baseDelayMs = options.baseDelayMs ?? 50;
  const maxDelayMs = options.maxDelayMs ?? 2_000;
  const concurrency = Math.max(1, options.maxConcurrentRequests ?? 4);
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`);

  async function send(indices: readonly number[], records: readonly PublishRecord[], deadline?: number): Promise<RequestOutcome> {
    const entries = indices.map((index) => records[index] as PublishRecord);
    const signal = deadline === undefined ? undefined : AbortSignal.timeout(Math.max(1, deadline - now()));
    try {
      const results = await options.port.putRecords(entries, signal);
      if (results.length !== entries.length) {
        return { indices, error: new PublishRequestError(`PutRecords answered ${results.length} results for ${entries.length} entries`, 'ResultCountMismatch', true) };
      }
      return { indices, results };
    } catch (error) {
      const failure = error instanceof PublishRequestError
        ? error
        : new PublishRequestError(`PutRecords failed: ${error instanceof Error ? error.message : String(error)}`, error instanceof Error ? error.name : 'Unknown', true, { cause: error });
      return { indices, error: failure };
    }
  }

  return {
    async publish(records, call = {}) {
      const total = records.length;
      const sizes = records.map(recordBytes);
      const tooLarge = sizes.findIndex((size) => size > limits.maxRecordBytes);
      const limit = tooLarge === -1 ? total : tooLarge;
      const written: boolean[] = new Array<boolean>(total).fill(false);
      const attempts: number[] = new Array<number>(total).fill(0);
      const errors: Record<string, number> = {};
      let pending: number[] = Array.from({ length: limit }, (_, index) => index);
      let requests = 0;
      let retries = 0;
      let failedRounds = 0;
      let lastError: { code: string; message: string } | undefined;

      const finish = (outcome: PublishOutcome): PublishResult => ({
        outcome, written: writtenPrefix(written), total, requests, retries, errors, ...(lastError ? { lastError } : {}),
      });

      while (pending.length > 0) {
        if (call.deadline !== undefined && now() >= call.deadline) return finish(PublishOutcome.Deadline);
        const wave = planWave(records, sizes, pending, limits);
        const outcomes: RequestOutcome[] = [];
        for (let start = 0; start < wave.length; start += concurrency) {
          if (start > 0 && call.deadline !== undefined && now() >= call.deadline) break; // the rest stays pending
          const chunk = wave.slice(start, start + concurrency);
          for (const indices of chunk) {
            for (const index of indices) if ((attempts[index] = (attempts[index] ?? 0) + 1) > 1) retries++;
          }
          requests += chunk.length;
          outcomes.push(...(await Promise.all(chunk.map((indices) => send(indices, records, call.deadline)))));
        }

        let failed = false;
        let fatal: PublishRequestError | undefined;
        for (const outcome of outcomes) {
          if (outcome.error) {
            failed = true;
            errors[outcome.error.code] = (errors[outcome.error.code] ?? 0) + 1;
            lastError = { code: outcome.error.code, message: outcome.error.message };
            if (!outcome.error.retryable) fatal = outcome.error;
            continue;
          }
          outcome.indices.forEach((index, position) => {
            const result = outcome.results?.[position] as EntryResult;
            if (result.ok) {
              written[index] = true;
            } else {
              failed = true;
              errors[result.errorCode] = (errors[result.errorCode] ?? 0) + 1;
              lastError = { code: result.errorCode, message: result.errorMessage ?? result.errorCode };
            }
          });
        }
        pending = pending.filter((index) => !written[index]);
        if (!failed) continue;
        if (fatal) return finish(PublishOutcome.Fatal);
        if (pending.some((index) => (attempts[index] ?? 0) >= maxAttempts)) return finish(PublishOutcome.AttemptsExhausted);
        const delay = random() * Math.min(maxDelayMs, baseDelayMs * 2 ** failedRounds);
        failedRounds++;
        if (call.deadline !== undefined && now() + delay >= call.deadline) return finish(PublishOutcome.Deadline);
        await sleep(delay);
      }
      if (limit < total) {
        lastError = { code: 'RecordTooLarge', message: `record ${limit} needs ${sizes[limit]} bytes; the maximum record size is ${limits.maxRecordBytes}` };
        return finish(PublishOutcome.RecordTooLarge);
      }
      return finish(PublishOutcome.Complete);
    },
  };
}
