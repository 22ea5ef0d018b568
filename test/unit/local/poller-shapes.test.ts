import type { _Record as SdkStreamRecord } from '@aws-sdk/client-dynamodb-streams';
import { toLambdaRecord } from '../../../local/poller/lambda-event';
import { functionNameOf, tableNameOfStreamArn, toStreamMapping } from '../../../local/poller/mapping-config';
import { buildOnFailureMessage } from '../../../local/poller/on-failure';
import { initialIteratorType, readyShards } from '../../../local/poller/shards';
import { parseQueueArn } from '../../../local/poller/aws';
import { record, STREAM_ARN } from './poller-fixtures';

describe('toLambdaRecord', () => {
  it('builds the record Lambda delivers: version 1.1, ARN, epoch seconds, base64 binaries', () => {
    // Prepare
    const sdkRecord: SdkStreamRecord = {
      eventID: 'e1',
      eventName: 'MODIFY',
      eventVersion: '1.0',
      eventSource: 'aws:dynamodb',
      awsRegion: 'eu-west-1',
      dynamodb: {
        ApproximateCreationDateTime: new Date('2026-01-02T03:04:05.678Z'),
        Keys: { id: { S: 'a' } },
        OldImage: { id: { S: 'a' }, blob: { B: new Uint8Array([1, 2, 3]) }, n: { N: '1' } },
        NewImage: { id: { S: 'a' }, nested: { M: { bs: { BS: [new Uint8Array([255])] }, l: { L: [{ NULL: true }, { BOOL: false }] } } } },
        SequenceNumber: '42',
        SizeBytes: 77,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    };
    // Act
    const lambdaRecord = toLambdaRecord(sdkRecord, STREAM_ARN, 'us-east-1');
    // Assess
    expect(lambdaRecord).toEqual({
      eventID: 'e1',
      eventName: 'MODIFY',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'eu-west-1',
      eventSourceARN: STREAM_ARN,
      dynamodb: {
        ApproximateCreationDateTime: Math.floor(Date.parse('2026-01-02T03:04:05Z') / 1000),
        Keys: { id: { S: 'a' } },
        OldImage: { id: { S: 'a' }, blob: { B: 'AQID' }, n: { N: '1' } },
        NewImage: { id: { S: 'a' }, nested: { M: { bs: { BS: ['/w=='] }, l: { L: [{ NULL: true }, { BOOL: false }] } } } },
        SequenceNumber: '42',
        SizeBytes: 77,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
    expect(JSON.parse(JSON.stringify(lambdaRecord))).toEqual(lambdaRecord);
  });

  it('keeps the userIdentity of TTL deletions and rejects records without a sequence number', () => {
    // Prepare
    const ttl: SdkStreamRecord = {
      eventName: 'REMOVE',
      dynamodb: { Keys: { id: { S: 'x' } }, SequenceNumber: '7' },
      userIdentity: { Type: 'Service', PrincipalId: 'dynamodb.amazonaws.com' },
    };
    // Act / Assess
    expect(toLambdaRecord(ttl, STREAM_ARN, 'us-east-1').userIdentity).toEqual({ type: 'Service', principalId: 'dynamodb.amazonaws.com' });
    expect(() => toLambdaRecord({ dynamodb: {} }, STREAM_ARN, 'us-east-1')).toThrow(/SequenceNumber/);
  });
});

describe('toStreamMapping', () => {
  const base = {
    UUID: 'u-1',
    FunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:forwarder',
    EventSourceArn: STREAM_ARN,
    State: 'Enabled',
  };
  it('fills Lambda defaults', () => {
    // Act
    const mapping = toStreamMapping(base);
    // Assess
    expect(mapping).toEqual({
      uuid: 'u-1',
      functionArn: base.FunctionArn,
      functionName: 'forwarder',
      streamArn: STREAM_ARN,
      startingPosition: 'TRIM_HORIZON',
      batchSize: 100,
      maximumBatchingWindowMs: 0,
      maximumRetryAttempts: -1,
      maximumRecordAgeSeconds: -1,
      bisectBatchOnFunctionError: false,
      reportBatchItemFailures: false,
      onFailureDestination: undefined,
    });
  });
  it('reads the configured values', () => {
    // Act
    const mapping = toStreamMapping({
      ...base,
      StartingPosition: 'LATEST',
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 2,
      MaximumRetryAttempts: 5,
      MaximumRecordAgeInSeconds: 3600,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: 'arn:aws:sqs:us-east-1:123456789012:dlq' } },
    });
    // Assess
    expect(mapping).toMatchObject({
      startingPosition: 'LATEST', batchSize: 500, maximumBatchingWindowMs: 2000, maximumRetryAttempts: 5,
      maximumRecordAgeSeconds: 3600, bisectBatchOnFunctionError: true, reportBatchItemFailures: true,
      onFailureDestination: 'arn:aws:sqs:us-east-1:123456789012:dlq',
    });
  });
  it.each([
    ['disabled', { ...base, State: 'Disabled' }],
    ['being created', { ...base, State: 'Creating' }],
    ['a Kinesis source', { ...base, EventSourceArn: 'arn:aws:kinesis:us-east-1:123456789012:stream/s' }],
    ['an SQS source', { ...base, EventSourceArn: 'arn:aws:sqs:us-east-1:123456789012:q' }],
  ])('skips a mapping that is %s', (_name, config) => {
    expect(toStreamMapping(config)).toBeUndefined();
  });
  it('parses names out of ARNs', () => {
    expect(functionNameOf('arn:aws:lambda:us-east-1:1:function:fwd:live')).toBe('fwd');
    expect(functionNameOf('fwd')).toBe('fwd');
    expect(tableNameOfStreamArn(STREAM_ARN)).toBe('orders');
    expect(parseQueueArn('arn:aws:sqs:eu-west-1:123:dlq')).toEqual({ region: 'eu-west-1', accountId: '123', queueName: 'dlq' });
    expect(parseQueueArn('arn:aws:sns:eu-west-1:123:topic')).toBeUndefined();
  });
});

describe('buildOnFailureMessage', () => {
  it("has the shape of Lambda's DynamoDB on-failure record", () => {
    // Act
    const message = buildOnFailureMessage({
      discarded: { records: [record(1, 1_700_000_000), record(2, 1_700_000_005)], condition: 'RetryAttemptsExhausted', invokeCount: 3, lastError: 'x' },
      functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:forwarder',
      streamArn: STREAM_ARN,
      shardId: 'shardId-1',
      now: Date.parse('2026-01-01T00:00:00.000Z'),
      requestId: 'req-1',
    });
    // Assess
    expect(message).toEqual({
      requestContext: { requestId: 'req-1', functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:forwarder', condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: '2026-01-01T00:00:00.000Z',
      DDBStreamBatchInfo: {
        shardId: 'shardId-1',
        startSequenceNumber: '1001',
        endSequenceNumber: '1002',
        approximateArrivalOfFirstRecord: '2023-11-14T22:13:20Z',
        approximateArrivalOfLastRecord: '2023-11-14T22:13:25Z',
        batchSize: 2,
        streamArn: STREAM_ARN,
      },
    });
  });
});

describe('shard lineage', () => {
  const shards = [
    { shardId: 'a', endingSequenceNumber: '10' },
    { shardId: 'b', parentShardId: 'a' },
    { shardId: 'c', parentShardId: 'trimmed-long-ago' },
  ];
  it.each([
    [[], ['a', 'c']],
    [['a'], ['b', 'c']],
    [['a', 'c'], ['b']],
  ])('with %j finished, ready shards are %j', (finished, expected) => {
    expect(readyShards(shards, new Set(finished)).map((s) => s.shardId)).toEqual(expected);
  });
  it.each([
    ['child of a shard read here starts at its beginning', { shardId: 'b', parentShardId: 'a' }, 'LATEST', new Set(['a']), false, 'TRIM_HORIZON'],
    ['first listing follows LATEST', { shardId: 'a' }, 'LATEST', new Set<string>(), true, 'LATEST'],
    ['first listing follows TRIM_HORIZON', { shardId: 'a' }, 'TRIM_HORIZON', new Set<string>(), true, 'TRIM_HORIZON'],
    ['a shard appearing later is read from its start', { shardId: 'z' }, 'LATEST', new Set(['a']), false, 'TRIM_HORIZON'],
  ] as const)('%s', (_name, shard, position, seen, firstListing, expected) => {
    expect(initialIteratorType(shard, position, { seenBefore: seen, firstListing })).toBe(expected);
  });
});
