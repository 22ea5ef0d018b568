/**
 * A DynamoDB Streams client that models the stream's 24-hour retention, which moto does not
 * enforce: "In DynamoDB Streams, there is a 24 hour limit on data retention. Stream records
 * whose age exceeds this limit are subject to removal (trimming) from the stream. You might
 * receive a TrimmedDataAccessException if you request a shard iterator with a sequence number
 * older than the trim point" (DynamoDB Streams API reference, TrimmedDataAccessException).
 *
 * Until `jump()` the records it reads are the "old" ones: they are given a creation time
 * `ageMs` in the past. `jump()` lets that time pass: from then on a shard iterator at or after
 * a sequence number of an old record fails with TrimmedDataAccessException, and records read
 * later keep their real (fresh) creation time.
 */
import { GetRecordsCommand, GetShardIteratorCommand, type DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { createDynamoDbStreamsClient } from '../../src/aws/clients';

export interface TrimmingStreams {
  readonly client: DynamoDBStreamsClient;
  /** The retention passes: every record read so far is trimmed. */
  jump(): void;
  /** Iterator requests refused as trimmed. */
  readonly refused: () => number;
}

export function trimmingStreams(ageMs = 25 * 3600_000): TrimmingStreams {
  const client = createDynamoDbStreamsClient();
  const send = client.send.bind(client) as (command: unknown, options?: unknown) => Promise<unknown>;
  let oldThrough: bigint | undefined; // undefined: before the jump, every record read is old
  let newestOld = -1n;
  let refused = 0;
  (client as unknown as { send: typeof send }).send = async (command, options) => {
    // Only AT_SEQUENCE_NUMBER (the redriver's request) is refused: the local poller, Lambda's stand-in, keeps its iterator.
    if (command instanceof GetShardIteratorCommand && command.input.ShardIteratorType === 'AT_SEQUENCE_NUMBER' && oldThrough !== undefined && command.input.SequenceNumber !== undefined && BigInt(command.input.SequenceNumber) <= oldThrough) {
      refused += 1;
      throw Object.assign(new Error('The data you are trying to access has been trimmed.'), { name: 'TrimmedDataAccessException', $fault: 'client' });
    }
    const output = await send(command, options);
    if (command instanceof GetRecordsCommand) {
      for (const record of (output as { Records?: { dynamodb?: { SequenceNumber?: string; ApproximateCreationDateTime?: Date } }[] }).Records ?? []) {
        const stream = record.dynamodb;
        if (!stream?.SequenceNumber || !(stream.ApproximateCreationDateTime instanceof Date)) continue;
        const sequence = BigInt(stream.SequenceNumber);
        if (oldThrough === undefined || sequence <= oldThrough) {
          stream.ApproximateCreationDateTime = new Date(stream.ApproximateCreationDateTime.getTime() - ageMs);
          if (sequence > newestOld) newestOld = sequence;
        }
      }
    }
    return output;
  };
  return {
    client,
    jump: () => {
      oldThrough = newestOld;
    },
    refused: () => refused,
  };
}
