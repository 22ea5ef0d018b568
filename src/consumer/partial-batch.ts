/**
 * Partial batch responses for a consumer Lambda on the change stream. Records are handled
 * one at a time in order; at the first that fails (it is not a change event, or the handler
 * throws) processing stops and the response names that record's sequence number. Lambda
 * then checkpoints before it and retries from it, so no record after a failure is lost and
 * none before it is handled again. The event source mapping must list
 * ReportBatchItemFailures in FunctionResponseTypes, or Lambda ignores the response.
 *
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html
 */
import { decodeLambdaRecord, type ChangeRecord, type LambdaKinesisEvent, type LambdaKinesisRecord } from './decode';

/** The response Lambda reads when ReportBatchItemFailures is on. */
export interface KinesisBatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

/** The first record that failed, and why. */
export interface BatchFailure {
  readonly record: LambdaKinesisRecord;
  readonly error: unknown;
  /** Records of the batch left unhandled after it (Lambda delivers them again). */
  readonly unhandled: number;
}

/** Options of processKinesisBatch. */
export interface ProcessBatchOptions {
  /** Told about the failure (log it; the response alone says only which record). */
  readonly onFailure?: (failure: BatchFailure) => void;
}

/**
 * Decodes and hands each record to `handle`, in order, and returns the partial batch
 * response: empty when every record was handled, else the first failed record only.
 */
export async function processKinesisBatch(
  event: LambdaKinesisEvent,
  handle: (record: ChangeRecord) => Promise<void> | void,
  options: ProcessBatchOptions = {},
): Promise<KinesisBatchResponse> {
  for (const [index, record] of event.Records.entries()) {
    try {
      await handle(decodeLambdaRecord(record));
    } catch (error) {
      options.onFailure?.({ record, error, unhandled: event.Records.length - index - 1 });
      return { batchItemFailures: [{ itemIdentifier: record.kinesis.sequenceNumber }] };
    }
  }
  return { batchItemFailures: [] };
}
