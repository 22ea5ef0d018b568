/**
 * The local Lambda front (event source mapping API + in-process invocations) and the
 * local poller, on moto: mappings read from the Lambda API, stream records delivered in
 * order in Lambda's event shape, batch item failures honoured, exhausted batches sent to
 * the SQS on-failure destination.
 */
import { CreateTableCommand, PutItemCommand, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateEventSourceMappingCommand,
  DeleteEventSourceMappingCommand,
  GetEventSourceMappingCommand,
  InvokeCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  ListFunctionsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { createDynamoDbClient, createDynamoDbStreamsClient, createKinesisClient, createLambdaClient } from '../../src/aws/clients';
import { createMotoBackedEsmApi, type EsmApi } from '../../local/esm-api';
import { startLambdaFront, type LambdaFront } from '../../local/lambda-front';
import { createMappingSource, createPoller, createSqsDestination, createStreamReader } from '../../local/poller';
import { LOCAL_ACCOUNT_ID, provisionLocalStack, type LocalStack } from '../../local/stack';
import { useLocalAws } from '../support/local-aws';

jest.setTimeout(120_000);
const localAws = useLocalAws();

async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('local Lambda front and poller on moto', () => {
  let stack: LocalStack;
  let front: LambdaFront;
  let esm: EsmApi;
  let lambda: LambdaClient;
  const calls: unknown[] = [];
  let forwarder: (event: unknown) => Promise<unknown> = async () => ({});

  beforeAll(async () => {
    const aws = localAws();
    stack = await provisionLocalStack(
      { dynamodb: createDynamoDbClient(), kinesis: createKinesisClient(), lambda: createLambdaClient(), sqs: new SQSClient({}) },
      { motoUrl: aws.motoUrl, region: aws.region, shardCount: 1 },
    );
    esm = createMotoBackedEsmApi({ motoUrl: aws.motoUrl, region: aws.region, accountId: LOCAL_ACCOUNT_ID });
    front = await startLambdaFront({
      upstreamUrl: aws.motoUrl,
      esm,
      functions: {
        [stack.forwarderFunctionName]: (event) => forwarder(event),
        [stack.reconcilerFunctionName]: async (event) => {
          calls.push(event);
          if ((event as { fail?: boolean }).fail) throw new TypeError('bad');
          return { ok: true };
        },
      },
      region: aws.region,
      accountId: LOCAL_ACCOUNT_ID,
      asyncAttempts: 1,
    });
    lambda = new LambdaClient({ endpoint: front.url });
  });
  afterAll(async () => front?.stop());

  async function tableWithStream(name: string): Promise<string> {
    const ddb = createDynamoDbClient();
    await ddb.send(new CreateTableCommand({
      TableName: name,
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      ProvisionedThroughput: { ReadCapacityUnits: 200, WriteCapacityUnits: 200 },
    }));
    const updated = await ddb.send(new UpdateTableCommand({ TableName: name, StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } }));
    return updated.TableDescription!.LatestStreamArn!;
  }

  it('serves the mapping API with Lambda defaults, conflicts and validation', async () => {
    // Prepare
    const streamArn = await tableWithStream('customers');
    const create = (params: Record<string, unknown>) =>
      lambda.send(new CreateEventSourceMappingCommand({ FunctionName: stack.forwarderFunctionName, EventSourceArn: streamArn, StartingPosition: 'LATEST', ...params }));
    // Act
    const created = await create({});
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID: created.UUID, BatchSize: 7, Enabled: false }));
    const got = await lambda.send(new GetEventSourceMappingCommand({ UUID: created.UUID }));
    const listed = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: stack.forwarderFunctionName, EventSourceArn: streamArn }));
    // Assess
    expect(created).toMatchObject({ State: 'Creating', BatchSize: 100, MaximumRetryAttempts: -1, MaximumRecordAgeInSeconds: -1, FunctionArn: stack.forwarderFunctionArn });
    await expect(create({ FunctionName: stack.forwarderFunctionArn })).rejects.toMatchObject({ name: 'ResourceConflictException', message: expect.stringContaining(created.UUID!) });
    await expect(create({ EventSourceArn: `${streamArn}x` })).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
    await expect(create({ FunctionName: 'nope' })).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(create({ MaximumRecordAgeInSeconds: 10 })).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
    expect(got).toMatchObject({ State: 'Disabled', BatchSize: 7, LastProcessingResult: 'No records processed' });
    expect(got.LastModified).toBeInstanceOf(Date);
    expect(listed.EventSourceMappings?.map((m) => m.UUID)).toEqual([created.UUID]);
    expect((await lambda.send(new DeleteEventSourceMappingCommand({ UUID: created.UUID }))).State).toBe('Deleting');
    await expect(lambda.send(new GetEventSourceMappingCommand({ UUID: created.UUID }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('delivers in order, honours batch item failures, sends exhausted batches to the DLQ', async () => {
    // Prepare: a function that reports the item "poison" as failed, every time; bisect isolates it
    const streamArn = await tableWithStream('orders');
    const mapping = await lambda.send(new CreateEventSourceMappingCommand({
      FunctionName: stack.forwarderFunctionArn,
      EventSourceArn: streamArn,
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 5,
      MaximumRetryAttempts: 1,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: stack.forwarderDlqArn } },
    }));
    const delivered: DynamoDBRecord[][] = [];
    forwarder = async (event: unknown) => {
      const records = (event as DynamoDBStreamEvent).Records;
      delivered.push(records);
      const poison = records.find((r) => r.dynamodb?.Keys?.id?.S === 'poison');
      return { batchItemFailures: poison ? [{ itemIdentifier: poison.dynamodb!.SequenceNumber! }] : [] };
    };
    const poller = createPoller({
      mappings: createMappingSource(lambda),
      streams: createStreamReader(createDynamoDbStreamsClient()),
      destination: createSqsDestination(new SQSClient({})),
      functions: { [stack.forwarderFunctionName]: (event) => forwarder(event) },
      region: localAws().region,
      pollIntervalMs: 50,
      mappingRefreshMs: 200,
      retryDelayMs: () => 10,
      reportResult: (uuid, result) => esm.recordResult(uuid, result),
    });
    const ids = ['a', 'b', 'c', 'poison', 'd', 'e', 'f', 'g'];
    for (const id of ids) await createDynamoDbClient().send(new PutItemCommand({ TableName: 'orders', Item: { id: { S: id } } }));

    // Act
    poller.start();
    await eventually(() => (poller.stats().recordsDiscarded === 1 && poller.stats().recordsProcessed === 7 ? true : undefined));
    const sqs = new SQSClient({});
    const message = await eventually(async () => (await sqs.send(new ReceiveMessageCommand({ QueueUrl: stack.forwarderDlqUrl, WaitTimeSeconds: 1 }))).Messages?.[0]);
    const lastResult = (await lambda.send(new GetEventSourceMappingCommand({ UUID: mapping.UUID }))).LastProcessingResult;
    await lambda.send(new DeleteEventSourceMappingCommand({ UUID: mapping.UUID }));
    await poller.refresh();
    const activeAfterDelete = poller.activeMappings();
    await poller.stop();

    // Assess: Lambda's record shape
    const first = delivered[0]![0]!;
    expect(first).toMatchObject({ eventVersion: '1.1', eventSource: 'aws:dynamodb', eventSourceARN: streamArn, eventName: 'INSERT', awsRegion: 'us-east-1' });
    expect(typeof first.dynamodb!.ApproximateCreationDateTime).toBe('number');
    // Assess: order, checkpoint at the failure, bisect down to the poison record
    expect(delivered.map((batch) => batch.map((r) => r.dynamodb!.Keys!.id!.S))).toEqual([
      ['a', 'b', 'c', 'poison', 'd'],
      ['poison'],
      ['poison'],
      ['d'],
      ['e', 'f', 'g'],
    ]);
    // Assess: the on-failure pointer for the poison record
    expect(JSON.parse(message.Body!)).toMatchObject({
      requestContext: { functionArn: stack.forwarderFunctionArn, condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
      version: '1.0',
      DDBStreamBatchInfo: { batchSize: 1, streamArn, startSequenceNumber: delivered[1]![0]!.dynamodb!.SequenceNumber, endSequenceNumber: delivered[1]![0]!.dynamodb!.SequenceNumber },
    });
    expect(lastResult).toBe('OK');
    expect(activeAfterDelete).toEqual([]);
  });

  it('runs Invoke of in-process functions and passes everything else to moto', async () => {
    // Act
    const sync = await lambda.send(new InvokeCommand({ FunctionName: stack.reconcilerFunctionArn, Payload: Buffer.from('{"a":1}') }));
    const failed = await lambda.send(new InvokeCommand({ FunctionName: stack.reconcilerFunctionName, Payload: Buffer.from('{"fail":true}') }));
    const async = await lambda.send(new InvokeCommand({ FunctionName: stack.reconcilerFunctionName, InvocationType: 'Event', Payload: Buffer.from('{"b":2}') }));
    await front.idle();
    const list = await lambda.send(new ListFunctionsCommand({}));
    // Assess
    expect(JSON.parse(Buffer.from(sync.Payload!).toString())).toEqual({ ok: true });
    expect(failed.FunctionError).toBe('Unhandled');
    expect(JSON.parse(Buffer.from(failed.Payload!).toString())).toEqual({ errorType: 'TypeError', errorMessage: 'bad' });
    expect(async.StatusCode).toBe(202);
    expect(calls).toEqual([{ a: 1 }, { fail: true }, { b: 2 }]);
    expect(list.Functions?.map((f) => f.FunctionName).sort()).toEqual([stack.forwarderFunctionName, stack.reconcilerFunctionName, stack.snapshotFunctionName].sort());
  });
});
