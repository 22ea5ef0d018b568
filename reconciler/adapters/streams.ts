/** DynamoDB Streams adapter: DescribeStream -> ObservedStream (the drain rule's evidence). */
import { DescribeStreamCommand, type DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { awsCall, AwsCallError, ErrorKind } from '../errors';
import type { ObservedStream } from '../model';
import type { StreamPort } from '../ports';

const STATUSES = new Set<ObservedStream['status']>(['ENABLING', 'ENABLED', 'DISABLING', 'DISABLED']);

export function createDynamoDbStreamPort(client: DynamoDBStreamsClient): StreamPort {
  return {
    async describeStream(streamArn) {
      try {
        // Only the status is needed: one shard (Limit 1) keeps the answer small for any stream.
        const out = await awsCall('DescribeStream', () => client.send(new DescribeStreamCommand({ StreamArn: streamArn, Limit: 1 })));
        const status = out.StreamDescription?.StreamStatus as ObservedStream['status'] | undefined;
        if (status && STATUSES.has(status)) return { status };
        // An unknown status proves nothing: report the stream as still open (it is kept).
        return { status: 'ENABLED' };
      } catch (error) {
        // DynamoDB deletes a disabled stream after its 24 hours: nothing is left to read.
        if (error instanceof AwsCallError && error.kind === ErrorKind.NotFound) return { status: 'GONE' };
        throw error;
      }
    },
  };
}
