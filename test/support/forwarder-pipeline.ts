/**
 * The data plane on the emulators for the redrive tests: the local stack (one-shard change
 * stream), the real forwarder handler publishing through a Kinesis port with an outage
 * switch, the local Lambda front for the mapping API, and the local poller delivering the
 * table streams to the forwarder (its streams client may be wrapped, e.g. to model trimming).
 */
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { CreateTableCommand, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateEventSourceMappingCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { createHandler as createForwarder } from '../../forwarder';
import { createDynamoDbClient, createDynamoDbStreamsClient, createKinesisClient, createLambdaClient } from '../../src/aws/clients';
import { loadForwarderConfig } from '../../src/config/forwarder';
import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { createKinesisPort, createPublisher } from '../../src/publisher';
import { createMotoBackedEsmApi } from '../../local/esm-api';
import { startLambdaFront } from '../../local/lambda-front';
import { createMappingSource, createPoller, createSqsDestination, createStreamReader, type Poller } from '../../local/poller';
import { LOCAL_ACCOUNT_ID, provisionLocalStack, type LocalStack } from '../../local/stack';
import type { LocalAws } from '../../local/emulators';
import { withOutage } from './redrive-harness';

export interface ForwarderPipeline {
  readonly stack: LocalStack;
  readonly poller: Poller;
  readonly sqs: SQSClient;
  readonly port: ReturnType<typeof withOutage>;
  /** Creates the table with a NEW_AND_OLD_IMAGES stream and a mapping (1 retry, then the dead-letter queue). */
  tableWithMapping(name: string): Promise<string>;
  stop(): Promise<void>;
}

const silent = () => createLogger({ service: 'test', write: () => undefined });

export async function startForwarderPipeline(aws: LocalAws, options: { streams?: DynamoDBStreamsClient; maxRecordBytes?: number } = {}): Promise<ForwarderPipeline> {
  const sqs = new SQSClient({});
  const stack = await provisionLocalStack({ dynamodb: createDynamoDbClient(), kinesis: createKinesisClient(), lambda: createLambdaClient(), sqs }, { motoUrl: aws.motoUrl, region: aws.region, shardCount: 1 });
  const port = withOutage(createKinesisPort({ client: createKinesisClient(), streamName: stack.streamName }));
  const maxRecordBytes = options.maxRecordBytes ?? 1_048_576;
  const forwarder = createForwarder({
    config: { ...loadForwarderConfig({ KINESIS_STREAM_NAME: stack.streamName, PUBLISH_MAX_ATTEMPTS: '2' }), maxRecordBytes },
    publisher: createPublisher({ port, maxAttempts: 2, baseDelayMs: 1, limits: { maxRecordBytes } }),
    logger: silent(),
    metrics: createMetrics({ service: 'test', write: () => undefined }),
  });
  const esm = createMotoBackedEsmApi({ motoUrl: aws.motoUrl, region: aws.region, accountId: LOCAL_ACCOUNT_ID });
  const functions = { [stack.forwarderFunctionName]: (event: unknown, context: Context) => forwarder(event as never, context) as Promise<unknown> };
  const front = await startLambdaFront({ upstreamUrl: aws.motoUrl, esm, functions, region: aws.region, accountId: LOCAL_ACCOUNT_ID });
  const lambda = new LambdaClient({ endpoint: front.url });
  const poller = createPoller({
    mappings: createMappingSource(lambda), streams: createStreamReader(options.streams ?? createDynamoDbStreamsClient()), destination: createSqsDestination(sqs),
    functions, region: aws.region, logger: silent(), pollIntervalMs: 50, mappingRefreshMs: 200, retryDelayMs: () => 10, reportResult: (uuid, result) => esm.recordResult(uuid, result),
  });
  poller.start();
  return {
    stack,
    poller,
    sqs,
    port,
    async tableWithMapping(name) {
      const ddb = createDynamoDbClient();
      await ddb.send(new CreateTableCommand({ TableName: name, KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }));
      const { TableDescription } = await ddb.send(new UpdateTableCommand({ TableName: name, StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } }));
      // A user-chosen finite retry count (the default retries until success): the ranges go to the dead-letter queue.
      await lambda.send(new CreateEventSourceMappingCommand({
        FunctionName: stack.forwarderFunctionArn, EventSourceArn: TableDescription!.LatestStreamArn!, StartingPosition: 'TRIM_HORIZON', BatchSize: 10,
        MaximumRetryAttempts: 1, BisectBatchOnFunctionError: false, FunctionResponseTypes: ['ReportBatchItemFailures'], DestinationConfig: { OnFailure: { Destination: stack.forwarderDlqArn } },
      }));
      await poller.refresh();
      return TableDescription!.LatestStreamArn!;
    },
    async stop() {
      await poller.stop();
      await front.stop();
    },
  };
}

export async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, what = 'condition', timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} not met in time`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
