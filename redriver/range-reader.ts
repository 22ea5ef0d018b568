/**
 * Re-reads the range a mapping gave up on from the table's stream: a shard iterator
 * AT_SEQUENCE_NUMBER the first record, then GetRecords up to and including the last one.
 * DynamoDB Streams errors are translated here, so the redriver only sees "lost" (the range
 * can no longer be read: TrimmedDataAccessException after the 24-hour retention, or the
 * stream or shard is gone) and everything else (retry later).
 *
 * TrimmedDataAccessException: "You request a shard iterator with a sequence number older
 * than the trim point (24 hours)", or the records are trimmed between GetShardIterator
 * and GetRecords (DynamoDB Streams API reference, GetShardIterator / GetRecords errors).
 */
import { GetRecordsCommand, GetShardIteratorCommand, type DynamoDBStreamsClient, type _Record as SdkStreamRecord } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDbStreamRecord } from '../src/change-event';
import { DmsEventBusError } from '../src/errors';
import type { BatchPointer } from './batch-info';

/** Why a range cannot be read any more. */
export const LossReason = {
  /** Older than the stream's retention: TrimmedDataAccessException. */
  Trimmed: 'trimmed',
  /** The stream or the shard does not exist any more (ResourceNotFoundException). */
  StreamGone: 'stream-gone',
} as const;
export type LossReason = (typeof LossReason)[keyof typeof LossReason];

/** The range can never be read again: its changes are lost and the table must be healed. */
export class RangeLostError extends DmsEventBusError {
  override readonly name: string = 'RangeLostError';
  constructor(
    message: string,
    readonly reason: LossReason,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The range could not be read completely this time (throttling, network, endless empty pages). */
export class RangeReadError extends DmsEventBusError {
  override readonly name: string = 'RangeReadError';
}

/** Port: the records of a range, in stream order, as the forwarder converts them. */
export interface StreamRangeReader {
  readRange(pointer: BatchPointer): Promise<DynamoDbStreamRecord[]>;
}

export interface RangeReaderOptions {
  /** GetRecords pages without progress before giving up on this attempt (an open shard may answer empty pages). */
  readonly maxEmptyPages?: number;
  readonly pageLimit?: number;
}

const nameOf = (error: unknown): string => (error as { name?: string } | null)?.name ?? '';

function lostOrRethrow(error: unknown, pointer: BatchPointer): never {
  const name = nameOf(error);
  const range = `${pointer.shardId} ${pointer.startSequenceNumber}..${pointer.endSequenceNumber} of ${pointer.streamArn}`;
  if (name === 'TrimmedDataAccessException') throw new RangeLostError(`range ${range} was trimmed from the stream`, LossReason.Trimmed, { cause: error });
  if (name === 'ResourceNotFoundException') throw new RangeLostError(`stream or shard of range ${range} no longer exists`, LossReason.StreamGone, { cause: error });
  throw error;
}

/**
 * A stream record from the Streams API in the shape the forwarder converts (Lambda's
 * event): eventSourceARN added, creation time in whole epoch seconds (Lambda's precision),
 * the TTL service identity in Lambda's lower-case form. Binary values stay Uint8Array (the
 * codec takes both forms).
 */
export function toForwarderRecord(record: SdkStreamRecord, streamArn: string): DynamoDbStreamRecord {
  const stream = record.dynamodb ?? {};
  const created = stream.ApproximateCreationDateTime;
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventSource: 'aws:dynamodb',
    eventSourceARN: streamArn,
    ...(record.awsRegion ? { awsRegion: record.awsRegion } : {}),
    ...(record.userIdentity ? { userIdentity: { type: record.userIdentity.Type, principalId: record.userIdentity.PrincipalId } } : {}),
    dynamodb: {
      ...(created instanceof Date ? { ApproximateCreationDateTime: Math.floor(created.getTime() / 1000) } : {}),
      ...(stream.Keys ? { Keys: stream.Keys as never } : {}),
      ...(stream.NewImage ? { NewImage: stream.NewImage as never } : {}),
      ...(stream.OldImage ? { OldImage: stream.OldImage as never } : {}),
      ...(stream.SequenceNumber ? { SequenceNumber: stream.SequenceNumber } : {}),
      ...(stream.SizeBytes !== undefined ? { SizeBytes: stream.SizeBytes } : {}),
      ...(stream.StreamViewType ? { StreamViewType: stream.StreamViewType } : {}),
    },
  };
}

export function createStreamRangeReader(client: DynamoDBStreamsClient, options: RangeReaderOptions = {}): StreamRangeReader {
  const maxEmptyPages = options.maxEmptyPages ?? 20;
  const limit = options.pageLimit ?? 1000;
  return {
    async readRange(pointer) {
      const end = BigInt(pointer.endSequenceNumber);
      let iterator: string | undefined;
      try {
        ({ ShardIterator: iterator } = await client.send(
          new GetShardIteratorCommand({
            StreamArn: pointer.streamArn,
            ShardId: pointer.shardId,
            ShardIteratorType: 'AT_SEQUENCE_NUMBER',
            SequenceNumber: pointer.startSequenceNumber,
          }),
        ));
      } catch (error) {
        lostOrRethrow(error, pointer);
      }
      const records: DynamoDbStreamRecord[] = [];
      let emptyPages = 0;
      while (iterator) {
        let page;
        try {
          page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit }));
        } catch (error) {
          lostOrRethrow(error, pointer);
        }
        const found = page.Records ?? [];
        for (const record of found) {
          const sequence = record.dynamodb?.SequenceNumber;
          if (sequence === undefined || BigInt(sequence) > end) return records;
          records.push(toForwarderRecord(record, pointer.streamArn));
          if (BigInt(sequence) === end) return records;
        }
        emptyPages = found.length === 0 ? emptyPages + 1 : 0;
        if (emptyPages >= maxEmptyPages) {
          throw new RangeReadError(`range ${pointer.startSequenceNumber}..${pointer.endSequenceNumber} of ${pointer.shardId}: ${maxEmptyPages} empty pages before its last record`);
        }
        iterator = page.NextShardIterator;
      }
      // The shard is closed and read to its end: the range ended before endSequenceNumber
      // (nothing after it exists), so every record of it that exists was read.
      return records;
    },
  };
}
