/**
 * The poller's AWS adapters: the Lambda mapping list, the DynamoDB Streams reads and the
 * SQS on-failure destination. SDK errors are translated here, so the poller only sees
 * "stream gone" and "iterator expired".
 */
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type DynamoDBStreamsClient,
  type _Record as SdkStreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { ListEventSourceMappingsCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { GetQueueUrlCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { DmsEventBusError } from '../../src/errors';
import { toStreamMapping, type StreamMapping } from './mapping-config';
import type { OnFailureMessage } from './on-failure';
import type { ShardInfo } from './shards';

/** The stream no longer exists (its table was deleted, or the stream was disabled long ago). */
export class StreamGoneError extends DmsEventBusError {
  override readonly name = 'StreamGoneError';
}

/** The shard iterator expired or points at trimmed data; the reader asks for a new one. */
export class IteratorExpiredError extends DmsEventBusError {
  override readonly name = 'IteratorExpiredError';
}

export interface MappingSource {
  /** Every enabled DynamoDB-stream mapping, all pages. */
  listStreamMappings(): Promise<StreamMapping[]>;
}

export type IteratorPosition =
  | { readonly type: 'TRIM_HORIZON' | 'LATEST' }
  | { readonly type: 'AFTER_SEQUENCE_NUMBER'; readonly sequenceNumber: string };

export interface StreamReader {
  describeShards(streamArn: string): Promise<ShardInfo[]>;
  getIterator(streamArn: string, shardId: string, position: IteratorPosition): Promise<string | undefined>;
  getRecords(iterator: string, limit: number): Promise<{ records: SdkStreamRecord[]; nextIterator?: string }>;
}

export interface FailureDestination {
  send(destinationArn: string, message: OnFailureMessage): Promise<void>;
}

const nameOf = (error: unknown): string => (error as { name?: string } | null)?.name ?? '';

export function createMappingSource(lambda: LambdaClient): MappingSource {
  return {
    async listStreamMappings() {
      const mappings: StreamMapping[] = [];
      let marker: string | undefined;
      do {
        const page = await lambda.send(new ListEventSourceMappingsCommand({ Marker: marker, MaxItems: 100 }));
        for (const config of page.EventSourceMappings ?? []) {
          const mapping = toStreamMapping(config);
          if (mapping) mappings.push(mapping);
        }
        marker = page.NextMarker;
      } while (marker);
      return mappings;
    },
  };
}

export function createStreamReader(streams: DynamoDBStreamsClient): StreamReader {
  return {
    async describeShards(streamArn) {
      const shards: ShardInfo[] = [];
      let exclusiveStartShardId: string | undefined;
      try {
        do {
          const { StreamDescription } = await streams.send(
            new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: exclusiveStartShardId }),
          );
          const label = StreamDescription?.StreamLabel;
          if (StreamDescription?.StreamStatus === 'DISABLED' && (StreamDescription.Shards ?? []).length === 0) {
            throw new StreamGoneError(`stream ${streamArn} is disabled and has no shards`);
          }
          // moto describes a table's current stream whatever label is asked for; a mapping
          // on an older stream of a re-created table must not read the new one.
          if (label && !streamArn.endsWith(`/stream/${label}`)) throw new StreamGoneError(`stream ${streamArn} was replaced by ${label}`);
          for (const shard of StreamDescription?.Shards ?? []) {
            if (!shard.ShardId) continue;
            shards.push({
              shardId: shard.ShardId,
              parentShardId: shard.ParentShardId,
              endingSequenceNumber: shard.SequenceNumberRange?.EndingSequenceNumber,
            });
          }
          exclusiveStartShardId = StreamDescription?.LastEvaluatedShardId;
        } while (exclusiveStartShardId);
      } catch (error) {
        if (error instanceof StreamGoneError) throw error;
        if (nameOf(error) === 'ResourceNotFoundException') throw new StreamGoneError(`stream ${streamArn} not found`, { cause: error });
        throw error;
      }
      return shards;
    },
    async getIterator(streamArn, shardId, position) {
      try {
        const { ShardIterator } = await streams.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: shardId,
            ShardIteratorType: position.type,
            SequenceNumber: position.type === 'AFTER_SEQUENCE_NUMBER' ? position.sequenceNumber : undefined,
          }),
        );
        return ShardIterator;
      } catch (error) {
        if (nameOf(error) === 'ResourceNotFoundException') throw new StreamGoneError(`shard ${shardId} of ${streamArn} not found`, { cause: error });
        if (nameOf(error) === 'TrimmedDataAccessException') throw new IteratorExpiredError('sequence number trimmed', { cause: error });
        throw error;
      }
    },
    async getRecords(iterator, limit) {
      try {
        const response = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit }));
        return { records: response.Records ?? [], nextIterator: response.NextShardIterator };
      } catch (error) {
        const name = nameOf(error);
        if (name === 'ExpiredIteratorException' || name === 'TrimmedDataAccessException') {
          throw new IteratorExpiredError(`shard iterator unusable: ${name}`, { cause: error });
        }
        if (name === 'ResourceNotFoundException') throw new StreamGoneError('stream not found', { cause: error });
        throw error;
      }
    },
  };
}

/** Parses `arn:aws:sqs:REGION:ACCOUNT:NAME`. */
export function parseQueueArn(arn: string): { region: string; accountId: string; queueName: string } | undefined {
  const parts = arn.split(':');
  if (parts.length !== 6 || parts[2] !== 'sqs') return undefined;
  return { region: parts[3]!, accountId: parts[4]!, queueName: parts[5]! };
}

/** Sends on-failure messages to SQS queues named by ARN (the destination type the project uses). */
export function createSqsDestination(sqs: SQSClient): FailureDestination {
  const urls = new Map<string, string>();
  return {
    async send(destinationArn, message) {
      const queue = parseQueueArn(destinationArn);
      if (!queue) throw new DmsEventBusError(`on-failure destination ${destinationArn} is not an SQS queue ARN; the local poller supports SQS only`);
      let url = urls.get(destinationArn);
      if (!url) {
        const response = await sqs.send(new GetQueueUrlCommand({ QueueName: queue.queueName, QueueOwnerAWSAccountId: queue.accountId }));
        url = response.QueueUrl;
        if (!url) throw new DmsEventBusError(`on-failure queue ${destinationArn} has no URL`);
        urls.set(destinationArn, url);
      }
      await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify(message) }));
    },
  };
}
