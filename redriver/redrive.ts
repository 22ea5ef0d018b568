/**
 * Redrives one dead-letter message: re-reads the range it names, converts it exactly as the
 * forwarder does (marked `redriven`), and publishes it; or, when the range can no longer be
 * read, announces the loss. The outcome says whether the message may be deleted: only when
 * every record of the range is on Kinesis, or the loss is announced.
 * Shared by the redriver function and `dms-event-bus redrive`.
 */
import { convertStreamRecords, type CompiledOriginOptions } from '../src/change-event';
import { describeError, MalformedInputError } from '../src/errors';
import type { Logger } from '../src/observability/logger';
import type { Metrics } from '../src/observability/metrics';
import { PublishOutcome, type Publisher } from '../src/publisher';
import { changesLostDetail, type LossAnnouncer } from './announcer';
import { parseOnFailureMessage, type BatchPointer } from './batch-info';
import { RangeLostError, type LossReason, type StreamRangeReader } from './range-reader';

/** Metric names the redriver emits (EMF, service `redriver`). */
export const RedriverMetric = {
  MessagesRedriven: 'MessagesRedriven',
  RecordsRedriven: 'RecordsRedriven',
  UnconvertibleRecords: 'UnconvertibleRecords',
  ChangesLost: 'ChangesLost',
  LostRecords: 'LostRecords',
  MessagesKept: 'MessagesKept',
  MalformedMessages: 'MalformedMessages',
} as const;

export const RedriveOutcome = {
  /** Every record of the range is on Kinesis (or, dry run: could be read and converted). */
  Redriven: 'redriven',
  /** The range cannot be read any more; the loss is announced (dry run: would be). */
  Lost: 'lost',
  /** Not done this time (Kinesis, the stream read or the announcement failed): keep the message. */
  Retry: 'retry',
  /** Not an on-failure message: keep it for an operator. */
  Malformed: 'malformed',
} as const;
export type RedriveOutcome = (typeof RedriveOutcome)[keyof typeof RedriveOutcome];

export interface RedriveResult {
  readonly outcome: RedriveOutcome;
  readonly pointer?: BatchPointer;
  /** Records read from the stream. */
  readonly records: number;
  /** Events put on Kinesis (0 in a dry run). */
  readonly published: number;
  readonly unconvertible: number;
  readonly lossReason?: LossReason;
  /** What went wrong, for Retry and Malformed. */
  readonly error?: string;
  /** The message may be deleted. */
  readonly done: boolean;
}

export interface RedriveDeps {
  readonly reader: StreamRangeReader;
  readonly publisher: Publisher;
  readonly announcer: LossAnnouncer;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly maxRecordBytes: number;
  /** The forwarder's origin settings (default: the documented DMS header names). */
  readonly origin?: CompiledOriginOptions;
  readonly now?: () => number;
}

export interface RedriveOptions {
  /** Read and convert, publish and announce nothing. */
  readonly dryRun?: boolean;
  /** Epoch ms by which publishing must stop. */
  readonly deadline?: number;
}

const result = (fields: Omit<RedriveResult, 'records' | 'published' | 'unconvertible' | 'done'> & Partial<RedriveResult>): RedriveResult => ({
  records: 0, published: 0, unconvertible: 0, done: false, ...fields,
});

async function announceLoss(pointer: BatchPointer, loss: RangeLostError, deps: RedriveDeps, options: RedriveOptions): Promise<RedriveResult> {
  const range = { table: pointer.tableName, streamArn: pointer.streamArn, shardId: pointer.shardId, start: pointer.startSequenceNumber, end: pointer.endSequenceNumber, batchSize: pointer.batchSize };
  if (options.dryRun) return result({ outcome: RedriveOutcome.Lost, pointer, lossReason: loss.reason });
  try {
    await deps.announcer.announce(changesLostDetail(pointer, loss.reason, new Date((deps.now ?? Date.now)())));
  } catch (error) {
    deps.logger.warn('changes are lost but the announcement failed; the message is kept and the announcement retried', { ...range, error: describeError(error) });
    return result({ outcome: RedriveOutcome.Retry, pointer, lossReason: loss.reason, error: `announcing the loss failed: ${describeError(error).message}` });
  }
  deps.metrics.add(RedriverMetric.ChangesLost);
  deps.metrics.add(RedriverMetric.LostRecords, pointer.batchSize);
  deps.logger.error('changes lost: the range can no longer be read from the stream; announced Changes Lost, the table will be healed by a backfill', {
    ...range, reason: loss.reason, error: describeError(loss),
  });
  return result({ outcome: RedriveOutcome.Lost, pointer, lossReason: loss.reason, done: true });
}

/** Redrives the message with body `body`. Never throws for a bad message or an AWS failure. */
export async function redriveMessage(body: string, deps: RedriveDeps, options: RedriveOptions = {}): Promise<RedriveResult> {
  let pointer: BatchPointer;
  try {
    pointer = parseOnFailureMessage(body);
  } catch (error) {
    if (!(error instanceof MalformedInputError)) throw error;
    deps.metrics.add(RedriverMetric.MalformedMessages);
    deps.logger.error('dead-letter message is not a DynamoDB stream on-failure record; kept for an operator', { error: describeError(error), body: body.slice(0, 1_000) });
    return result({ outcome: RedriveOutcome.Malformed, error: error.message });
  }
  const log = deps.logger.child({ table: pointer.tableName, shardId: pointer.shardId, start: pointer.startSequenceNumber, end: pointer.endSequenceNumber });

  let records;
  try {
    records = await deps.reader.readRange(pointer);
  } catch (error) {
    if (error instanceof RangeLostError) return announceLoss(pointer, error, deps, options);
    log.warn('could not read the range this time; the message is kept', { error: describeError(error) });
    return result({ outcome: RedriveOutcome.Retry, pointer, error: `reading the stream failed: ${describeError(error).message}` });
  }

  const { events, unconvertible } = convertStreamRecords(records, { maxRecordBytes: deps.maxRecordBytes, redriven: true, ...(deps.origin ? { origin: deps.origin } : {}) });
  for (const bad of unconvertible) {
    log.error('redriven record cannot be converted; publishing an unconvertible marker instead', { eventID: bad.eventID, sequenceNumber: bad.sequenceNumber, reason: bad.reason, error: describeError(bad.error) });
  }
  if (records.length !== pointer.batchSize) log.warn('the range holds another number of records than the mapping reported', { read: records.length, batchSize: pointer.batchSize });
  if (options.dryRun) return result({ outcome: RedriveOutcome.Redriven, pointer, records: records.length, unconvertible: unconvertible.length });

  const published = await deps.publisher.publish(events, { deadline: options.deadline });
  if (published.outcome !== PublishOutcome.Complete) {
    log.warn('not every redriven event reached Kinesis; the message is kept and redriven again later', { outcome: published.outcome, written: published.written, total: events.length, lastError: published.lastError });
    return result({ outcome: RedriveOutcome.Retry, pointer, records: records.length, published: published.written, unconvertible: unconvertible.length, error: `Kinesis: ${published.outcome}${published.lastError ? ` (${published.lastError.code})` : ''}` });
  }
  deps.metrics.add(RedriverMetric.MessagesRedriven);
  deps.metrics.add(RedriverMetric.RecordsRedriven, events.length);
  deps.metrics.add(RedriverMetric.UnconvertibleRecords, unconvertible.length);
  log.info('range redriven', { records: records.length, unconvertible: unconvertible.length, condition: pointer.condition });
  return result({ outcome: RedriveOutcome.Redriven, pointer, records: records.length, published: events.length, unconvertible: unconvertible.length, done: true });
}
