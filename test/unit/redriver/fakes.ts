/** Fakes and builders for the redriver's unit tests. */
import type { SQSRecord } from 'aws-lambda';
import type { DynamoDbStreamRecord } from '../../../src/change-event';
import { createLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import { createPublisher } from '../../../src/publisher';
import type { ChangesLostDetail, LossAnnouncer } from '../../../redriver/announcer';
import type { BatchPointer } from '../../../redriver/batch-info';
import type { StreamRangeReader } from '../../../redriver/range-reader';
import type { RedriveDeps } from '../../../redriver/redrive';
import { fakeKinesis, type Step } from '../../fixtures/forwarder/fake-kinesis';
import { streamArnOf } from '../../fixtures/forwarder/stream-records';

/** An on-failure message as Lambda sends it (the documented example's shape). */
export function onFailureBody(info: Partial<Record<string, unknown>> = {}): string {
  return JSON.stringify({
    requestContext: { requestId: '316aa6d0-8154-xmpl-9af7-85d5f4a6bc81', functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:forwarder', condition: 'RetryAttemptsExhausted', approximateInvokeCount: 11 },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: '2026-12-01T09:13:49.717Z',
    DDBStreamBatchInfo: {
      shardId: 'shardId-00000001573689847184-864758bb',
      startSequenceNumber: '100000000001',
      endSequenceNumber: '100000000003',
      approximateArrivalOfFirstRecord: '2026-12-01T09:13:19Z',
      approximateArrivalOfLastRecord: '2026-12-01T09:13:19Z',
      batchSize: 3,
      streamArn: streamArnOf('orders'),
      ...info,
    },
  });
}

export function sqsRecord(body: string, messageId = `m-${Math.random().toString(36).slice(2)}`, receiveCount = 1): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: { ApproximateReceiveCount: String(receiveCount), SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:forwarder-dlq',
    awsRegion: 'eu-west-1',
  };
}

export type ReaderScript = (pointer: BatchPointer) => Promise<DynamoDbStreamRecord[]>;

export function harness(options: { kinesis?: Step[]; read?: ReaderScript; announceFails?: boolean } = {}) {
  const kinesis = fakeKinesis(options.kinesis ?? []);
  const announced: ChangesLostDetail[] = [];
  const reads: BatchPointer[] = [];
  const logs: Record<string, unknown>[] = [];
  const metrics = createMetrics({ service: 'redriver', write: () => undefined });
  const reader: StreamRangeReader = {
    async readRange(pointer) {
      reads.push(pointer);
      return (options.read ?? (async () => []))(pointer);
    },
  };
  const announcer: LossAnnouncer = {
    async announce(detail) {
      if (options.announceFails) throw new Error('EventBridge unavailable');
      announced.push(detail);
    },
  };
  const deps: RedriveDeps = {
    reader,
    announcer,
    publisher: createPublisher({ port: kinesis, maxAttempts: 2, sleep: async () => undefined }),
    logger: createLogger({ service: 'redriver', level: 'DEBUG', write: (line) => logs.push(JSON.parse(line)) }),
    metrics,
    maxRecordBytes: 1_048_576,
    now: () => Date.parse('2026-12-01T10:00:00Z'),
  };
  return { deps, kinesis, announced, reads, logs, metrics };
}
