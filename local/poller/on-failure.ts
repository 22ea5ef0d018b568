/**
 * The message Lambda sends to a stream mapping's on-failure destination when records are
 * discarded: invocation metadata plus DDBStreamBatchInfo that points at the records (the
 * records themselves are not included; a consumer re-reads them from the stream).
 */
import { randomUUID } from 'node:crypto';
import { recordCreatedAtMs } from './lambda-event';
import type { DiscardedBatch } from './shard-consumer';

export interface OnFailureMessage {
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: string;
    readonly approximateInvokeCount: number;
  };
  readonly responseContext: {
    readonly statusCode: number;
    readonly executedVersion: string;
    readonly functionError: string;
  };
  readonly version: '1.0';
  readonly timestamp: string;
  readonly DDBStreamBatchInfo: {
    readonly shardId: string;
    readonly startSequenceNumber: string;
    readonly endSequenceNumber: string;
    readonly approximateArrivalOfFirstRecord: string;
    readonly approximateArrivalOfLastRecord: string;
    readonly batchSize: number;
    readonly streamArn: string;
  };
}

const isoSeconds = (ms: number | undefined): string =>
  ms === undefined ? '' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Builds Lambda's on-failure message for a discarded batch of one shard. */
export function buildOnFailureMessage(input: {
  readonly discarded: DiscardedBatch;
  readonly functionArn: string;
  readonly streamArn: string;
  readonly shardId: string;
  readonly now: number;
  readonly requestId?: string;
}): OnFailureMessage {
  const { records } = input.discarded;
  const first = records[0];
  const last = records[records.length - 1];
  if (!first || !last) throw new TypeError('an on-failure message needs at least one record');
  return {
    requestContext: {
      requestId: input.requestId ?? randomUUID(),
      functionArn: input.functionArn,
      condition: input.discarded.condition,
      approximateInvokeCount: input.discarded.invokeCount,
    },
    responseContext: {
      statusCode: 200,
      executedVersion: '$LATEST',
      functionError: input.discarded.invokeCount > 0 ? 'Unhandled' : '',
    },
    version: '1.0',
    timestamp: new Date(input.now).toISOString(),
    DDBStreamBatchInfo: {
      shardId: input.shardId,
      startSequenceNumber: first.dynamodb.SequenceNumber,
      endSequenceNumber: last.dynamodb.SequenceNumber,
      approximateArrivalOfFirstRecord: isoSeconds(recordCreatedAtMs(first)),
      approximateArrivalOfLastRecord: isoSeconds(recordCreatedAtMs(last)),
      batchSize: records.length,
      streamArn: input.streamArn,
    },
  };
}
