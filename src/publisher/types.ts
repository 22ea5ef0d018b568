/**
 * The publisher's vocabulary: records to put, the per-entry outcome of one PutRecords
 * request, and the small port the ordering core drives (the Kinesis adapter implements
 * it; tests give fakes).
 */
import { DmsEventBusError } from '../errors';

/** One Kinesis record: what the change-event encoder produces. */
export interface PublishRecord {
  readonly partitionKey: string;
  readonly data: Uint8Array;
}

/** Outcome of one entry of a PutRecords request, in request order. */
export type EntryResult = { readonly ok: true } | { readonly ok: false; readonly errorCode: string; readonly errorMessage?: string };

/** One PutRecords call. */
export interface PutRecordsPort {
  /**
   * Sends `entries` in one request and resolves with one result per entry, in order.
   * Rejects with a PublishRequestError when the whole request failed; `signal` aborts it
   * when the caller's deadline passes.
   */
  putRecords(entries: readonly PublishRecord[], signal?: AbortSignal): Promise<readonly EntryResult[]>;
}

/**
 * A whole PutRecords request failed. `retryable` is false for errors another attempt
 * cannot fix (missing stream, access denied, invalid request); throttling, 5xx, network
 * and protocol errors are retryable. Whether any entry was written is unknown.
 */
export class PublishRequestError extends DmsEventBusError {
  override readonly name: string = 'PublishRequestError';
  constructor(
    message: string,
    readonly code: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
