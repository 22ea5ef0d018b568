/**
 * One DynamoDB Streams batch to Kinesis: convert each record to a change event (or, when it
 * cannot be converted, to an `unconvertible` marker), publish them in order, and name the
 * first record not known to be on Kinesis so Lambda retries from there. Never reports
 * success for a record that is not written; only Kinesis (or IAM) can fail a batch.
 */
import type { DynamoDBBatchResponse } from 'aws-lambda';
import {
  applyOrigin,
  changeFieldsFromStreamRecord,
  compileOriginOptions,
  encodeChangeEvent,
  encodeUnconvertibleEvent,
  Operation,
  unconvertibleReasonOf,
  type CompiledOriginOptions,
  type DynamoDbStreamRecord,
  type EncodedChangeEvent,
} from '../src/change-event';
import { describeError, MalformedInputError } from '../src/errors';
import type { Logger } from '../src/observability/logger';
import type { Metrics } from '../src/observability/metrics';
import type { Publisher } from '../src/publisher';
import { lagFigures, lagMetricValues, samplesByTable, type LagSample } from './lag';
import type { TableMetricsSink } from './table-metrics';

/** Metric names the forwarder emits (EMF, namespace from POWERTOOLS_METRICS_NAMESPACE). */
export const ForwarderMetric = {
  RecordsIn: 'RecordsIn',
  EventsOut: 'EventsOut',
  PublishRetries: 'PublishRetries',
  PutRecordsRequests: 'PutRecordsRequests',
  DegradedEvents: 'DegradedEvents',
  UnconvertibleRecords: 'UnconvertibleRecords',
  FailedRecords: 'FailedRecords',
  /** DMS header values in an unexpected form (passed through as text). */
  OriginHeaderUnexpected: 'OriginHeaderUnexpected',
  /** Heartbeat-table changes handled without being put on the change stream. */
  HeartbeatsSkipped: 'HeartbeatsSkipped',
} as const;

const DEFAULT_ORIGIN = compileOriginOptions();
const NO_HEARTBEAT_TABLES = () => false;

export interface ForwardDeps {
  readonly publisher: Publisher;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly maxRecordBytes: number;
  /** Where the DMS header columns are and whether they stay in the images (default: the documented names, removed). */
  readonly origin?: CompiledOriginOptions;
  /** Names the heartbeat tables; undefined = none configured. */
  readonly isHeartbeatTable?: (table: string) => boolean;
  /** Put heartbeat tables' events on the stream (default true). */
  readonly heartbeatPublish?: boolean;
  /** The clock read when the events are on Kinesis (lag metrics); default Date.now. */
  readonly now?: () => number;
  /** Per-table lag metrics, when enabled. */
  readonly tableMetrics?: TableMetricsSink;
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

/** ApproximateCreationDateTime in epoch ms: Lambda gives seconds; other sources went through toIso. */
function createdMsOf(record: DynamoDbStreamRecord, iso: string | null): number | undefined {
  const raw = record.dynamodb?.ApproximateCreationDateTime;
  if (typeof raw === 'number') return raw * 1000;
  return iso === null ? undefined : Date.parse(iso);
}

/** Emits the lag metrics of what reached Kinesis (and heartbeats handled), read at the clock now. */
function recordLag(samples: readonly LagSample[], deps: ForwardDeps): void {
  const heartbeatsConfigured = deps.isHeartbeatTable !== undefined;
  if (samples.length === 0 && !heartbeatsConfigured) return;
  const nowMs = (deps.now ?? Date.now)();
  for (const { name, value, unit } of lagMetricValues(lagFigures(samples, nowMs, heartbeatsConfigured))) deps.metrics.add(name, value, unit);
  if (deps.tableMetrics) {
    for (const [table, group] of samplesByTable(samples)) {
      // Heartbeat counts only on heartbeat tables: a zero per data table would be a custom metric of its own.
      deps.tableMetrics.write(table, lagMetricValues(lagFigures(group, nowMs, heartbeatsConfigured && group[0]?.heartbeat === true)));
    }
  }
}

/** Converts, publishes and maps the outcome to Lambda's partial batch response. */
export async function forwardBatch(batch: StreamBatch, deps: ForwardDeps, options: ForwardOptions = {}): Promise<DynamoDBBatchResponse> {
  if (batch === null || typeof batch !== 'object' || !Array.isArray(batch.Records)) {
    throw new MalformedInputError('event is not a DynamoDB Streams batch: it has no Records array');
  }
  const records = batch.Records;
  const { logger, metrics } = deps;
  metrics.add(ForwarderMetric.RecordsIn, records.length);

  // Convert in order. A record that cannot be converted becomes its `unconvertible` marker in
  // place, so it never fails the batch nor holds back the records after it.
  const origin = deps.origin ?? DEFAULT_ORIGIN;
  const isHeartbeatTable = deps.isHeartbeatTable ?? NO_HEARTBEAT_TABLES;
  const publishHeartbeats = deps.heartbeatPublish ?? true;
  const events: EncodedChangeEvent[] = [];
  /** For events[i]: the index of its record and what the lag metrics need. */
  const eventRecord: number[] = [];
  /** Lag samples of the events (undefined for markers: they have no table to measure). */
  const eventLag: (LagSample | undefined)[] = [];
  /** Heartbeat records handled without an event: their record index and lag sample. */
  const skipped: Array<{ index: number; sample: LagSample }> = [];
  let unexpectedHeaders = 0;
  let unconvertible = 0;
  for (let index = 0; index < records.length; index++) {
    const record = records[index] as DynamoDbStreamRecord;
    try {
      const fields = changeFieldsFromStreamRecord(record);
      const extraction = applyOrigin(fields, origin);
      unexpectedHeaders += extraction.unexpected;
      const heartbeat = isHeartbeatTable(fields.tableName);
      // A remove's origin is the last write's (DynamoDB's delete writes no attributes): no source lag from it.
      const commitMs = fields.operation === Operation.Remove ? undefined : extraction.commitTimeMs;
      const sample: LagSample = { table: fields.tableName, createdMs: createdMsOf(record, fields.approximateCreationTime), commitMs, heartbeat };
      if (heartbeat && !publishHeartbeats) {
        skipped.push({ index, sample });
        continue;
      }
      events.push(encodeChangeEvent(fields, { maxRecordBytes: deps.maxRecordBytes }));
      eventRecord.push(index);
      eventLag.push(sample);
    } catch (error) {
      unconvertible += 1;
      logger.error('stream record cannot be converted to a change event; publishing an unconvertible marker instead', {
        eventID: record?.eventID,
        sequenceNumber: sequenceNumberOf(record),
        eventSourceARN: record?.eventSourceARN,
        reason: unconvertibleReasonOf(error),
        error: describeError(error),
      });
      events.push(encodeUnconvertibleEvent(record, error, { maxRecordBytes: deps.maxRecordBytes }));
      eventRecord.push(index);
      eventLag.push(undefined);
    }
  }

  const degraded = events.filter((event) => event.truncated.length > 0);
  for (const event of degraded) {
    logger.warn('change event exceeded the maximum record size and was degraded', { id: event.id, truncated: event.truncated, bytes: event.bytes });
  }
  metrics.add(ForwarderMetric.DegradedEvents, degraded.length);
  if (unexpectedHeaders > 0) {
    metrics.add(ForwarderMetric.OriginHeaderUnexpected, unexpectedHeaders);
    logger.warn('DMS header attributes in an unexpected form were passed through as text', { count: unexpectedHeaders, eventSourceARN: records[0]?.eventSourceARN });
  }

  const result = await deps.publisher.publish(events, { deadline: options.deadline });
  metrics.add(ForwarderMetric.EventsOut, result.written);
  metrics.add(ForwarderMetric.PublishRetries, result.retries);
  metrics.add(ForwarderMetric.PutRecordsRequests, result.requests);

  metrics.add(ForwarderMetric.UnconvertibleRecords, unconvertible);
  const firstUnwritten = result.written < events.length ? eventRecord[result.written] : undefined;
  const handledSkipped = skipped.filter((entry) => firstUnwritten === undefined || entry.index < firstUnwritten);
  if (handledSkipped.length > 0) metrics.add(ForwarderMetric.HeartbeatsSkipped, handledSkipped.length);
  const written = eventLag.slice(0, result.written).filter((sample): sample is LagSample => sample !== undefined);
  recordLag([...written, ...handledSkipped.map((entry) => entry.sample)], deps);
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
  logger.warn('not every change event reached Kinesis; Lambda will retry from the first unwritten record', {
    outcome: result.outcome,
    written: result.written,
    total: records.length,
    firstUnwritten: { eventID: failed?.eventID, sequenceNumber: itemIdentifier },
    errors: result.errors,
    lastError: result.lastError,
  });
  return { batchItemFailures: [{ itemIdentifier }] };
}
