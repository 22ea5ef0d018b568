/**
 * The PutRecordsPort over the AWS SDK's Kinesis client: one PutRecords call per
 * putRecords(), SDK errors translated into PublishRequestError at this boundary.
 */
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { PublishRequestError, type EntryResult, type PutRecordsPort } from './types';

/** Whole-request errors that no retry can fix: the stream is gone, access is denied, the request is invalid. */
const FATAL_ERRORS: ReadonlySet<string> = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'InvalidArgumentException',
  'ValidationException',
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSInvalidStateException',
  'KMSNotFoundException',
  'KMSOptInRequired',
  'UnrecognizedClientException',
  'InvalidSignatureException',
]);

/**
 * Translates anything the SDK throws. Everything not known to be permanent is retryable:
 * throttling (ProvisionedThroughputExceeded, KMSThrottling, LimitExceeded), 5xx, timeouts,
 * resets and the protocol/deserialisation errors a flaky HTTP peer produces. Retries are
 * bounded by attempts and the deadline, so an unknown error costs little.
 */
export function toPublishRequestError(error: unknown): PublishRequestError {
  if (error instanceof PublishRequestError) return error;
  const name = error instanceof Error ? error.name : 'Unknown';
  const message = error instanceof Error ? error.message : String(error);
  return new PublishRequestError(`PutRecords failed: ${name}: ${message}`, name, !FATAL_ERRORS.has(name), { cause: error });
}

export interface KinesisPortOptions {
  readonly client: KinesisClient;
  /** Stream name, or set streamArn instead (either identifies the stream). */
  readonly streamName?: string;
  readonly streamArn?: string;
}

export function createKinesisPort(options: KinesisPortOptions): PutRecordsPort {
  if (!options.streamName && !options.streamArn) throw new RangeError('createKinesisPort needs streamName or streamArn');
  const target = options.streamArn ? { StreamARN: options.streamArn } : { StreamName: options.streamName };
  return {
    async putRecords(entries, signal) {
      let response;
      try {
        response = await options.client.send(
          new PutRecordsCommand({ ...target, Records: entries.map((entry) => ({ PartitionKey: entry.partitionKey, Data: entry.data })) }),
          { abortSignal: signal },
        );
      } catch (error) {
        throw toPublishRequestError(error);
      }
      const records = response.Records ?? [];
      return records.map((record): EntryResult =>
        record.ErrorCode
          ? { ok: false, errorCode: record.ErrorCode, ...(record.ErrorMessage ? { errorMessage: record.ErrorMessage } : {}) }
          : { ok: true },
      );
    },
  };
}
