/**
 * What the redrive integration tests share: a Kinesis port that an outage switch makes
 * refuse every request (as a real Kinesis outage does: whole-request 5xx), a reader of
 * everything on the change stream, the table as a Scan sees it in event JSON, and a driver
 * that delivers the dead-letter queue to the redriver handler the way Lambda's SQS poller
 * does (receive, invoke, delete what the partial batch response does not name).
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { writeAttributeMap, type ChangeEventV1, type JsonValue } from '../../src/change-event';
import { createDynamoDbClient } from '../../src/aws/clients';
import { PublishRequestError, type PutRecordsPort } from '../../src/publisher';
import { parseValidEvent } from '../fixtures/forwarder/validate-event';
import { itemKeyOf } from './merge-rule';

export interface Outage {
  down: boolean;
  readonly refused: () => number;
}

/** `port` while `outage.down` is false; a refused request (ServiceUnavailable, retryable) while it is true. */
export function withOutage(port: PutRecordsPort): PutRecordsPort & { outage: Outage } {
  let refused = 0;
  const outage: Outage = { down: false, refused: () => refused };
  return {
    outage,
    async putRecords(entries, signal) {
      if (outage.down) {
        refused += 1;
        throw new PublishRequestError('PutRecords failed: ServiceUnavailable: Kinesis is refusing requests (test outage)', 'ServiceUnavailable', true);
      }
      return port.putRecords(entries, signal);
    },
  };
}

/** Every change event on the stream, per shard in order (all shards from TRIM_HORIZON to the tip). */
export async function readAllEvents(kinesis: KinesisClient, streamName: string): Promise<ChangeEventV1[]> {
  const events: ChangeEventV1[] = [];
  const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  for (const shard of Shards ?? []) {
    let { ShardIterator: iterator } = await kinesis.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
    while (iterator) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      for (const record of page.Records ?? []) events.push(parseValidEvent(record.Data as Uint8Array));
      if ((page.Records ?? []).length === 0 && (page.MillisBehindLatest ?? 0) === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return events;
}

/** The table's items (consistent Scan) in event JSON, by item key. */
export async function scanTable(tableName: string): Promise<Map<string, Record<string, JsonValue>>> {
  const items = new Map<string, Record<string, JsonValue>>();
  let start: Record<string, never> | undefined;
  do {
    const page = await createDynamoDbClient().send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }));
    for (const item of page.Items ?? []) {
      const json = JSON.parse(writeAttributeMap(item as never)) as Record<string, JsonValue>;
      items.set(itemKeyOf({ id: json.id as JsonValue }), json);
    }
    start = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (start);
  return items;
}

export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<{ visible: number; inFlight: number }> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
  return { visible: Number(Attributes?.ApproximateNumberOfMessages ?? 0), inFlight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) };
}

/**
 * One round of Lambda's SQS poller: receives up to `batchSize` messages, invokes `handler`
 * with the SQS event, deletes the messages the response does not report as failed.
 * Returns how many were received and how many failed.
 */
export async function deliverOnce(
  sqs: SQSClient,
  queue: { url: string; arn: string },
  handler: (event: SQSEvent) => Promise<SQSBatchResponse>,
  batchSize = 5,
): Promise<{ received: number; failed: number }> {
  const { Messages } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: batchSize, VisibilityTimeout: 30, WaitTimeSeconds: 0, MessageSystemAttributeNames: ['All'] }),
  );
  const messages = Messages ?? [];
  if (messages.length === 0) return { received: 0, failed: 0 };
  const event: SQSEvent = {
    Records: messages.map((message) => ({
      messageId: message.MessageId!,
      receiptHandle: message.ReceiptHandle!,
      body: message.Body ?? '',
      attributes: { ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1', SentTimestamp: '0', SenderId: 'local', ApproximateFirstReceiveTimestamp: '0' },
      messageAttributes: {},
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: 'us-east-1',
    })),
  };
  const response = await handler(event);
  const failed = new Set((response.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
  for (const message of messages) {
    if (!failed.has(message.MessageId!)) await sqs.send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: message.ReceiptHandle }));
  }
  return { received: messages.length, failed: failed.size };
}
