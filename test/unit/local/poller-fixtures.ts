/** Builders shared by the poller unit tests. */
import type { LambdaDynamoDbRecord } from '../../../local/poller/lambda-event';

export const STREAM_ARN = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000';

/** A Lambda record with sequence number `seq` written at `createdSeconds` (epoch seconds). */
export function record(seq: number, createdSeconds = 1_700_000_000): LambdaDynamoDbRecord {
  return {
    eventID: `id-${seq}`,
    eventName: 'INSERT',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    eventSourceARN: STREAM_ARN,
    dynamodb: {
      ApproximateCreationDateTime: createdSeconds,
      Keys: { id: { S: `k${seq}` } },
      NewImage: { id: { S: `k${seq}` } },
      SequenceNumber: String(1000 + seq),
      SizeBytes: 10,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

export const records = (count: number, createdSeconds?: number) =>
  Array.from({ length: count }, (_, index) => record(index + 1, createdSeconds));

export const seqOf = (r: LambdaDynamoDbRecord) => r.dynamodb.SequenceNumber;
