import { KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { createKinesisPort, PublishRequestError, toPublishRequestError } from '../../../src/publisher';

describe('createKinesisPort', () => {
  const kinesis = mockClient(KinesisClient);
  afterEach(() => kinesis.reset());
  afterAll(() => kinesis.restore());

  it('sends one PutRecords with partition keys and data, and maps per-entry results in order', async () => {
    // Prepare
    kinesis.on(PutRecordsCommand).resolves({
      FailedRecordCount: 1,
      Records: [{ SequenceNumber: '1', ShardId: 's' }, { ErrorCode: 'InternalFailure', ErrorMessage: 'Internal service failure.' }],
    });
    const port = createKinesisPort({ client: new KinesisClient({ region: 'eu-west-1' }), streamName: 'changes' });
    // Act
    const results = await port.putRecords([
      { partitionKey: 'a', data: Buffer.from('1') },
      { partitionKey: 'b', data: Buffer.from('2') },
    ]);
    // Assess
    expect(results).toEqual([{ ok: true }, { ok: false, errorCode: 'InternalFailure', errorMessage: 'Internal service failure.' }]);
    const input = kinesis.commandCalls(PutRecordsCommand)[0]?.args[0].input;
    expect(input?.StreamName).toBe('changes');
    expect(input?.Records?.map((record) => record.PartitionKey)).toEqual(['a', 'b']);
  });

  it('translates a whole-request failure into a PublishRequestError', async () => {
    // Prepare
    kinesis.on(PutRecordsCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ProvisionedThroughputExceededException' }));
    const port = createKinesisPort({ client: new KinesisClient({ region: 'eu-west-1' }), streamArn: 'arn:aws:kinesis:eu-west-1:1:stream/changes' });
    // Act
    const failure = await port.putRecords([{ partitionKey: 'a', data: Buffer.from('1') }]).catch((error: unknown) => error);
    // Assess
    expect(failure).toBeInstanceOf(PublishRequestError);
    expect(failure).toMatchObject({ code: 'ProvisionedThroughputExceededException', retryable: true });
    expect(kinesis.commandCalls(PutRecordsCommand)[0]?.args[0].input.StreamARN).toBe('arn:aws:kinesis:eu-west-1:1:stream/changes');
  });

  it.each([
    ['ProvisionedThroughputExceededException', true],
    ['KMSThrottlingException', true],
    ['LimitExceededException', true],
    ['InternalFailure', true],
    ['TimeoutError', true],
    ['Error', true], // e.g. a protocol/deserialisation error from a flaky HTTP peer
    ['ResourceNotFoundException', false],
    ['AccessDeniedException', false],
    ['KMSAccessDeniedException', false],
    ['InvalidArgumentException', false],
  ])('classifies %s as retryable=%s', (name, retryable) => {
    // Act
    const error = toPublishRequestError(Object.assign(new Error('x'), { name }));
    // Assess
    expect(error.retryable).toBe(retryable);
    expect(error.code).toBe(name);
  });
});
