/**
 * SDK client construction in one place. Clients are routed by the SDK's standard
 * variables (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>), so product code has no
 * emulator branches. Handlers build clients lazily, once per container, and tests
 * pass their own.
 */
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Agent } from 'node:https';
import { Agent as HttpAgent } from 'node:http';

/** Options every client shares: keep-alive connections and SDK standard retries. */
function commonOptions(maxAttempts?: number) {
  return {
    maxAttempts,
    requestHandler: new NodeHttpHandler({
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 50 }),
      httpsAgent: new Agent({ keepAlive: true, maxSockets: 50 }),
      connectionTimeout: 5_000,
      requestTimeout: 30_000,
    }),
  };
}

/**
 * Kinesis over HTTP/1.1: PutRecords needs nothing from HTTP/2 (only SubscribeToShard
 * does), and HTTP/1.1 keep-alive is the more robust transport. The SDK's own retries are
 * off (maxAttempts 1) because the publisher retries itself: it must decide per entry and
 * keep per-key order, which a transparent SDK retry of a whole request cannot.
 */
export function createKinesisClient(): KinesisClient {
  return new KinesisClient(commonOptions(1));
}

export function createDynamoDbClient(): DynamoDBClient {
  return new DynamoDBClient(commonOptions());
}

export function createDynamoDbStreamsClient(): DynamoDBStreamsClient {
  return new DynamoDBStreamsClient(commonOptions());
}

export function createLambdaClient(): LambdaClient {
  return new LambdaClient(commonOptions());
}

export function createAutoScalingClient(): ApplicationAutoScalingClient {
  return new ApplicationAutoScalingClient(commonOptions());
}

export function createEventBridgeClient(): EventBridgeClient {
  return new EventBridgeClient(commonOptions());
}
