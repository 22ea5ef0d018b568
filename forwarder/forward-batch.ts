/**
 * One DynamoDB Streams batch to Kinesis: convert each record to a change event (in order,
 * up to the first one that cannot be converted), publish them, and name the first record
 * not known to be on Kinesis so Lambda retries from there. Never reports success for a
 * record that is not written.
 */
import type { DynamoDBBatchResponse } from 'aws-lambda';
import { changeFieldsFromStreamRecord, encodeChangeEvent, type DynamoDbStreamRecord, type EncodedChangeEvent } from '../src/change-event';
import { describeError, MalformedInputError } from '../src/errors';
import type { Logger } from '../src/observability/logger';
import type { Metrics } from '../src/observability/metrics';
import type { Publisher } from '../src/publisher';

/** Metric names the forwarder emits (EMF, namespace from POWERTOOLS_METRICS_NAMESPACE). */
export const ForwarderMetric = {
  RecordsIn: 'RecordsIn',
  EventsOut: 'EventsOut',
  PublishRetries: 'PublishRetries',
  PutRecordsRequests: 'PutRecordsRequests',
  DegradedEvents: 'DegradedEvents',
  UnconvertibleRecords: 'UnconvertibleRecords',
  FailedRecords: 'FailedRecords',
} as const;

export interface ForwardDeps {
  readonly publisher: Publisher;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly maxRecordBytes: number;
}

export interface ForwardOptions {
  /** Epoch ms by which publishing must stop so the response still reaches Lambda. */
  readonly deadline?: number;
}

/** The batch as Lambda delivers it; checked, since it is input. */
export interface StreamBatch {
  readonly Records: readonly DynamoDbStreamRecord[];
}

function sequenceNumberOf(record: DynamoDbStreamRecord | undefined): string | undefined {
  const sequenceNumber = record?.dynamodb?.SequenceNumber;
  return typeof sequenceNumber === 'string' && sequenceNumber !== '' ? sequenceNumber : undefined;
}

/** Converts, publishes and maps the outcome to Lambda's partial batch response. */
export async function forwardBatch(batch: StreamBatch, deps: ForwardDeps, options: ForwardOptions = {}): Promise<DynamoDBBatchResponse> {
  if (batch === null || typeof batch !== 'object' || !Array.isArray(batch.Records)) {
    throw new MalformedInputError('event is not a DynamoDB Streams batch: it has no Records array');
  }
  const records = batch.Records;
  const { logger, metrics } = deps;
  metrics.add(ForwarderMetric.RecordsIn, records.length);

  // Convert in order; stop at the first record that cannot be converted. Records after it
  // are not published: Lambda retries from it, and publishing them now would only repeat them.
  const events: EncodedChangeEvent[] = [];
  let unconvertible: number | undefined;
  for (let index = 0; index < records.length; index++) {
    const record = records[index] as DynamoDbStreamRecord;
    try {
      events.push(encodeChangeEvent(changeFieldsFromStreamRecord(record), { maxRecordBytes: deps.maxRecordBytes }));
    } catch (error) {
      unconvertible = index;
      metrics.add(ForwarderMetric.UnconvertibleRecords);
      logger.error('stream record cannot be converted to a change event; reporting it as the first failed record', {
        eventID: record?.eventID,
        sequenceNumber: sequenceNumberOf(record),
        eventSourceARN: record?.eventSourceARN,
        error: describeError(error),
      });
      break;
    }
  }

  const degraded = events.filter((event) => event.truncated.length > 0);
  for (const event of degraded) {
    logger.warn('change event exceeded the maximum record size and was degraded', { id: event.id, truncated: event.truncated, bytes: event.bytes });
  }
  metrics.add(ForwarderMetric.DegradedEvents, degraded.length);

  const result = await deps.publisher.publish(events, { deadline: options.deadline });
  metrics.add(ForwarderMetric.EventsOut, result.written);
  metrics.add(ForwarderMetric.PublishRetries, result.retries);
  metrics.add(ForwarderMetric.PutRecordsRequests, result.requests);

  const firstUnwritten = result.written < events.length ? result.written : unconvertible;
  if (firstUnwritten === undefined) {
    metrics.add(ForwarderMetric.FailedRecords, 0);
    logger.debug('batch forwarded', { records: records.length, requests: result.requests, retries: result.retries });
    return { batchItemFailures: [] };
  }

  const failed = records[firstUnwritten];
  const itemIdentifier = sequenceNumberOf(failed);
  metrics.add(ForwarderMetric.FailedRecords, records.length - firstUnwritten);
  if (itemIdentifier === undefined) {
    // Without a sequence number Lambda cannot checkpoint before it; failing the whole
    // invocation makes Lambda retry (and bisect) the batch instead of skipping anything.
    throw new MalformedInputError(`stream record ${firstUnwritten} of the batch has no dynamodb.SequenceNumber, so it cannot be reported as failed`);
  }
  if (firstUnwritten !== unconvertible) {
    logger.warn('not every change event reached Kinesis; Lambda will retry from the first unwritten record', {
      outcome: result.outcome,
      written: result.written,
      total: records.length,
      firstUnwritten: { eventID: failed?.eventID, sequenceNumber: itemIdentifier },
      errors: result.errors,
      lastError: result.lastError,
    });
  }
  return { batchItemFailures: [{ itemIdentifier }] };
}
