import { mockClient } from 'aws-sdk-client-mock';
import {
  DescribeTableCommand, DynamoDBClient, ResourceNotFoundException, UpdateTableCommand, ListTablesCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateEventSourceMappingCommand, DeleteEventSourceMappingCommand, LambdaClient, ListEventSourceMappingsCommand, ResourceConflictException,
  UpdateEventSourceMappingCommand, ResourceNotFoundException as LambdaNotFound,
} from '@aws-sdk/client-lambda';
import {
  ApplicationAutoScalingClient, DeregisterScalableTargetCommand, DescribeScalingPoliciesCommand, ValidationException as AasValidation,
} from '@aws-sdk/client-application-auto-scaling';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeStreamCommand, DynamoDBStreamsClient, ResourceNotFoundException as StreamNotFound } from '@aws-sdk/client-dynamodb-streams';
import { createDynamoDbStreamPort } from '../../../reconciler/adapters/streams';
import { translateAwsError, AwsCallError, ErrorKind } from '../../../reconciler/errors';
import { createDynamoDbTablePort } from '../../../reconciler/adapters/dynamodb';
import { createLambdaMappingPort } from '../../../reconciler/adapters/lambda';
import { createAutoScalingPort } from '../../../reconciler/adapters/autoscaling';
import { createEventBridgeAnnouncer } from '../../../reconciler/adapters/eventbridge';
import { FORWARDER_ARN, DLQ_ARN } from './helpers';

const sdkError = (name: string, message = name, status = 400) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
const STREAM = 'arn:aws:dynamodb:eu-west-1:123456789012:table/t/stream/2026-01-01T00:00:00.000';

describe('translateAwsError', () => {
  it.each([
    ['ThrottlingException', 400, ErrorKind.Retryable],
    ['TooManyRequestsException', 429, ErrorKind.Retryable],
    ['ResourceInUseException', 400, ErrorKind.Retryable],
    ['ConcurrentUpdateException', 400, ErrorKind.Retryable],
    ['InternalServerError', 500, ErrorKind.Retryable],
    ['SomethingNew', 503, ErrorKind.Retryable],
    ['LimitExceededException', 400, ErrorKind.RetryLater],
    ['ResourceNotFoundException', 400, ErrorKind.NotFound],
    ['ObjectNotFoundException', 400, ErrorKind.NotFound],
    ['ResourceConflictException', 409, ErrorKind.Conflict],
    ['ValidationException', 400, ErrorKind.Terminal],
    ['AccessDeniedException', 403, ErrorKind.Terminal],
  ])('%s (HTTP %i) is %s', (name, status, kind) => {
    // Act
    const error = translateAwsError('Op', sdkError(name, 'msg', status));
    // Assess
    expect(error).toBeInstanceOf(AwsCallError);
    expect(error).toMatchObject({ kind, code: name, operation: 'Op', name: 'AwsCallError' });
    expect(error.cause).toBeInstanceOf(Error);
  });
});

describe('DynamoDB adapter', () => {
  const ddb = mockClient(DynamoDBClient);
  beforeEach(() => ddb.reset());
  const port = () => createDynamoDbTablePort(new DynamoDBClient({ region: 'eu-west-1' }));

  it('returns null for a table that does not exist', async () => {
    // Prepare
    ddb.on(DescribeTableCommand).rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }));
    // Act / Assess
    await expect(port().describeTable('t')).resolves.toBeNull();
  });

  it('maps DescribeTable, treating a missing BillingModeSummary as PROVISIONED', async () => {
    // Prepare
    ddb.on(DescribeTableCommand).resolves({ Table: {
      TableName: 't', TableArn: 'arn:t', TableStatus: 'ACTIVE', StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' }, LatestStreamArn: STREAM,
      GlobalSecondaryIndexes: [{ IndexName: 'g', IndexStatus: 'CREATING' }],
    } });
    // Act
    const table = await port().describeTable('t');
    // Assess
    expect(table).toEqual({ name: 't', arn: 'arn:t', status: 'ACTIVE', billingMode: 'PROVISIONED', stream: { enabled: true, viewType: 'NEW_IMAGE', latestArn: STREAM }, indexes: [{ name: 'g', status: 'CREATING' }] });
  });

  it('turns "stream already enabled" ValidationException into a conflict (observe again)', async () => {
    // Prepare
    ddb.on(UpdateTableCommand).rejects(sdkError('ValidationException', 'Table already has an enabled stream: TableName: t'));
    // Act / Assess
    await expect(port().enableStream('t', 'NEW_AND_OLD_IMAGES')).rejects.toMatchObject({ kind: ErrorKind.Conflict });
  });

  it('takes the new stream from UpdateTable\'s own TableDescription, not from a later (eventually consistent) DescribeTable', async () => {
    // Prepare
    ddb.on(UpdateTableCommand).resolves({ TableDescription: { TableName: 't', LatestStreamArn: STREAM, LatestStreamLabel: '2026-01-01T00:00:00.000' } });
    // Act
    const enabled = await port().enableStream('t', 'NEW_AND_OLD_IMAGES');
    // Assess
    expect(enabled).toEqual({ streamArn: STREAM, streamLabel: '2026-01-01T00:00:00.000' });
    expect(ddb.commandCalls(DescribeTableCommand)).toHaveLength(0);
  });

  it('passes the page cursor of ListTables', async () => {
    // Prepare
    ddb.on(ListTablesCommand).resolves({ TableNames: ['a', 'b'], LastEvaluatedTableName: 'b' });
    // Act
    const page = await port().listTables('0');
    // Assess
    expect(page).toEqual({ items: ['a', 'b'], next: 'b' });
    expect(ddb.commandCalls(ListTablesCommand)[0]!.args[0].input).toEqual({ ExclusiveStartTableName: '0', Limit: 100 });
  });
});

describe('DynamoDB Streams adapter', () => {
  const streams = mockClient(DynamoDBStreamsClient);
  beforeEach(() => streams.reset());
  const port = () => createDynamoDbStreamPort(new DynamoDBStreamsClient({ region: 'eu-west-1' }));

  it.each(['ENABLING', 'ENABLED', 'DISABLING', 'DISABLED'] as const)('reports StreamStatus %s, reading one shard only', async (status) => {
    // Prepare
    streams.on(DescribeStreamCommand).resolves({ StreamDescription: { StreamArn: STREAM, StreamStatus: status } });
    // Act
    const observed = await port().describeStream(STREAM);
    // Assess
    expect(observed).toEqual({ status });
    expect(streams.commandCalls(DescribeStreamCommand)[0]!.args[0].input).toEqual({ StreamArn: STREAM, Limit: 1 });
  });

  it('reports a stream DynamoDB deleted (ResourceNotFoundException) as GONE', async () => {
    // Prepare
    streams.on(DescribeStreamCommand).rejects(new StreamNotFound({ message: 'Requested resource not found', $metadata: {} }));
    // Act / Assess
    await expect(port().describeStream(STREAM)).resolves.toEqual({ status: 'GONE' });
  });

  it('lets other failures through (the observer then keeps the mapping)', async () => {
    // Prepare
    streams.on(DescribeStreamCommand).rejects(sdkError('AccessDeniedException', 'denied', 403));
    // Act / Assess
    await expect(port().describeStream(STREAM)).rejects.toMatchObject({ kind: ErrorKind.Terminal, operation: 'DescribeStream' });
  });
});

describe('Lambda mapping adapter', () => {
  const lambda = mockClient(LambdaClient);
  beforeEach(() => lambda.reset());
  const port = () => createLambdaMappingPort(new LambdaClient({ region: 'eu-west-1' }), FORWARDER_ARN);

  it('creates the mapping with every setting', async () => {
    // Prepare
    lambda.on(CreateEventSourceMappingCommand).resolves({ UUID: 'u1', EventSourceArn: STREAM, State: 'Creating' });
    // Act
    await port().create({
      streamArn: STREAM, batchSize: 200, batchingWindowSeconds: 1, parallelizationFactor: 2, maxRetryAttempts: 5, maxRecordAgeSeconds: 3600,
      bisectOnError: true, functionResponseTypes: ['ReportBatchItemFailures'], onFailureDestination: DLQ_ARN, enabled: true,
    });
    // Assess
    expect(lambda.commandCalls(CreateEventSourceMappingCommand)[0]!.args[0].input).toEqual({
      FunctionName: FORWARDER_ARN, EventSourceArn: STREAM, StartingPosition: 'TRIM_HORIZON', BatchSize: 200, MaximumBatchingWindowInSeconds: 1,
      ParallelizationFactor: 2, MaximumRetryAttempts: 5, MaximumRecordAgeInSeconds: 3600, BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'], DestinationConfig: { OnFailure: { Destination: DLQ_ARN } }, Enabled: true,
    });
  });

  it('reports an existing mapping as a conflict', async () => {
    // Prepare
    lambda.on(CreateEventSourceMappingCommand).rejects(new ResourceConflictException({ message: 'The event source arn and function provided mapping already exists', $metadata: {} }));
    // Act / Assess
    await expect(port().create({ streamArn: STREAM, batchSize: 1, batchingWindowSeconds: 0, parallelizationFactor: 1, maxRetryAttempts: 1, maxRecordAgeSeconds: -1, bisectOnError: false, functionResponseTypes: [], onFailureDestination: undefined, enabled: true }))
      .rejects.toMatchObject({ kind: ErrorKind.Conflict, code: 'ResourceConflictException' });
  });

  it.each([
    ['Stream not found: ' + STREAM, ErrorKind.Retryable],
    ['BatchSize must be between 1 and 10000', ErrorKind.Terminal],
  ])('classifies InvalidParameterValueException "%s" as %s', async (message, kind) => {
    // Prepare
    lambda.on(CreateEventSourceMappingCommand).rejects(sdkError('InvalidParameterValueException', message));
    // Act / Assess
    await expect(port().create({ streamArn: STREAM, batchSize: 1, batchingWindowSeconds: 0, parallelizationFactor: 1, maxRetryAttempts: 1, maxRecordAgeSeconds: -1, bisectOnError: false, functionResponseTypes: [], onFailureDestination: undefined, enabled: true }))
      .rejects.toMatchObject({ kind });
  });

  it('updates only the changed fields and treats deleting a gone mapping as done', async () => {
    // Prepare
    lambda.on(UpdateEventSourceMappingCommand).resolves({});
    lambda.on(DeleteEventSourceMappingCommand).rejects(new LambdaNotFound({ message: 'gone', $metadata: {} }));
    // Act
    await port().update('u1', { batchSize: 100, enabled: true });
    await port().delete('u1');
    // Assess
    expect(lambda.commandCalls(UpdateEventSourceMappingCommand)[0]!.args[0].input).toEqual({ UUID: 'u1', FunctionName: FORWARDER_ARN, BatchSize: 100, Enabled: true });
  });

  it('maps listed mappings, including the on-failure destination', async () => {
    // Prepare
    lambda.on(ListEventSourceMappingsCommand).resolves({ NextMarker: 'm2', EventSourceMappings: [{
      UUID: 'u1', EventSourceArn: STREAM, State: 'Disabled', BatchSize: 10, FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: DLQ_ARN } },
    }] });
    // Act
    const page = await port().list({}, 'm1');
    // Assess
    expect(page).toEqual({ next: 'm2', items: [{ uuid: 'u1', streamArn: STREAM, state: 'Disabled', batchSize: 10, functionResponseTypes: ['ReportBatchItemFailures'], onFailureDestination: DLQ_ARN }] });
    expect(lambda.commandCalls(ListEventSourceMappingsCommand)[0]!.args[0].input).toMatchObject({ FunctionName: FORWARDER_ARN, Marker: 'm1' });
  });
});

describe('Application Auto Scaling adapter', () => {
  const aas = mockClient(ApplicationAutoScalingClient);
  beforeEach(() => aas.reset());
  const port = () => createAutoScalingPort(new ApplicationAutoScalingClient({ region: 'eu-west-1' }));

  it('keeps only policies of exactly the asked resource', async () => {
    // Prepare
    aas.on(DescribeScalingPoliciesCommand).resolves({ ScalingPolicies: [
      { PolicyName: 'p', ResourceId: 'table/t', ScalableDimension: 'dynamodb:table:ReadCapacityUnits', PolicyType: 'TargetTrackingScaling', ServiceNamespace: 'dynamodb', PolicyARN: 'a', CreationTime: new Date(), TargetTrackingScalingPolicyConfiguration: { TargetValue: 70, PredefinedMetricSpecification: { PredefinedMetricType: 'DynamoDBReadCapacityUtilization' } } },
      { PolicyName: 'p', ResourceId: 'table/t/index/g', ScalableDimension: 'dynamodb:index:ReadCapacityUnits', PolicyType: 'TargetTrackingScaling', ServiceNamespace: 'dynamodb', PolicyARN: 'b', CreationTime: new Date() },
    ] });
    // Act
    const page = await port().listPolicies({ resourceId: 'table/t' });
    // Assess
    expect(page.items).toEqual([{ policyName: 'p', resourceId: 'table/t', dimension: 'dynamodb:table:ReadCapacityUnits', policyType: 'TargetTrackingScaling', targetValue: 70, metricType: 'DynamoDBReadCapacityUtilization' }]);
  });

  it('treats deregistering a target that is gone as done, other validation errors as terminal', async () => {
    // Prepare
    aas.on(DeregisterScalableTargetCommand)
      .rejectsOnce(new AasValidation({ message: 'No scalable target found for service namespace: dynamodb, resource ID: table/t', $metadata: {} }))
      .rejectsOnce(new AasValidation({ message: 'Unsupported service namespace', $metadata: {} }));
    // Act / Assess
    await expect(port().deregisterTarget({ resourceId: 'table/t', dimension: 'dynamodb:table:ReadCapacityUnits' })).resolves.toBeUndefined();
    await expect(port().deregisterTarget({ resourceId: 'table/t', dimension: 'dynamodb:table:ReadCapacityUnits' })).rejects.toMatchObject({ kind: ErrorKind.Terminal });
  });
});

describe('EventBridge announcer', () => {
  const eb = mockClient(EventBridgeClient);
  beforeEach(() => eb.reset());

  it('puts events in batches of 10 on the configured bus with source dms-event-bus', async () => {
    // Prepare
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    const announcer = createEventBridgeAnnouncer(new EventBridgeClient({ region: 'eu-west-1' }), 'ops-bus');
    // Act
    await announcer.announce(Array.from({ length: 12 }, (_, i) => ({ detailType: 'Table Ready' as const, detail: { tableName: `t${i}` } })));
    // Assess
    const calls = eb.commandCalls(PutEventsCommand);
    expect(calls.map((c) => c.args[0].input.Entries!.length)).toEqual([10, 2]);
    expect(calls[0]!.args[0].input.Entries![0]).toEqual({ EventBusName: 'ops-bus', Source: 'dms-event-bus', DetailType: 'Table Ready', Detail: '{"tableName":"t0"}' });
  });

  it('fails (retryable) when EventBridge rejects an entry', async () => {
    // Prepare
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'x' }] });
    const announcer = createEventBridgeAnnouncer(new EventBridgeClient({ region: 'eu-west-1' }), 'default');
    // Act / Assess
    await expect(announcer.announce([{ detailType: 'Table Conflict', detail: {} }])).rejects.toMatchObject({ kind: ErrorKind.Retryable, code: 'InternalFailure' });
  });
});
