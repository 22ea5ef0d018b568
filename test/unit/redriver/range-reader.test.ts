/**
 * The range reader against a scripted DynamoDB Streams client: AT_SEQUENCE_NUMBER the
 * first, pages up to and including the last, and the Streams errors that mean "lost"
 * (TrimmedDataAccessException after the 24-hour retention, ResourceNotFoundException).
 */
import { DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand, type _Record } from '@aws-sdk/client-dynamodb-streams';
import { mockClient } from 'aws-sdk-client-mock';
import { parseOnFailureMessage } from '../../../redriver/batch-info';
import { createStreamRangeReader, LossReason, RangeLostError, RangeReadError } from '../../../redriver/range-reader';
import { streamArnOf } from '../../fixtures/forwarder/stream-records';
import { onFailureBody } from './fakes';

const pointer = parseOnFailureMessage(onFailureBody({ startSequenceNumber: '200', endSequenceNumber: '400', batchSize: 3 }));
const sdkRecord = (sequence: string): _Record => ({
  eventID: `e-${sequence}`,
  eventName: 'MODIFY',
  awsRegion: 'eu-west-1',
  dynamodb: { ApproximateCreationDateTime: new Date('2026-12-01T09:00:00.750Z'), Keys: { id: { B: new Uint8Array([1, 2]) } }, SequenceNumber: sequence, StreamViewType: 'NEW_AND_OLD_IMAGES' },
  userIdentity: { Type: 'Service', PrincipalId: 'dynamodb.amazonaws.com' },
});
const awsError = (name: string) => Object.assign(new Error(name), { name });

describe('createStreamRangeReader', () => {
  const streams = mockClient(DynamoDBStreamsClient);
  beforeEach(() => streams.reset());

  it('reads from AT_SEQUENCE_NUMBER the first record up to and including the last, over several pages', async () => {
    // Prepare
    streams.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-0' });
    streams.on(GetRecordsCommand, { ShardIterator: 'it-0' }).resolves({ Records: [sdkRecord('200')], NextShardIterator: 'it-1' });
    streams.on(GetRecordsCommand, { ShardIterator: 'it-1' }).resolves({ Records: [], NextShardIterator: 'it-2' });
    streams.on(GetRecordsCommand, { ShardIterator: 'it-2' }).resolves({ Records: [sdkRecord('300'), sdkRecord('400'), sdkRecord('500')], NextShardIterator: 'it-3' });
    // Act
    const records = await createStreamRangeReader(streams as unknown as DynamoDBStreamsClient).readRange(pointer);
    // Assess
    expect(streams.commandCalls(GetShardIteratorCommand)[0]!.args[0].input).toEqual({
      StreamArn: streamArnOf('orders'), ShardId: pointer.shardId, ShardIteratorType: 'AT_SEQUENCE_NUMBER', SequenceNumber: '200',
    });
    expect(records.map((record) => record.dynamodb?.SequenceNumber)).toEqual(['200', '300', '400']);
    expect(records[0]).toMatchObject({
      eventID: 'e-200', eventSourceARN: streamArnOf('orders'), userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
      dynamodb: { ApproximateCreationDateTime: Date.parse('2026-12-01T09:00:00Z') / 1000 },
    });
    expect(streams.commandCalls(GetRecordsCommand)).toHaveLength(3);
  });

  it('ends at the end of a closed shard', async () => {
    // Prepare
    streams.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-0' });
    streams.on(GetRecordsCommand).resolves({ Records: [sdkRecord('200')] });
    // Act & Assess
    expect(await createStreamRangeReader(streams as unknown as DynamoDBStreamsClient).readRange(pointer)).toHaveLength(1);
  });

  it.each([
    ['GetShardIterator', 'TrimmedDataAccessException', LossReason.Trimmed],
    ['GetShardIterator', 'ResourceNotFoundException', LossReason.StreamGone],
    ['GetRecords', 'TrimmedDataAccessException', LossReason.Trimmed],
  ])('%s failing with %s is a loss (%s)', async (operation, name, reason) => {
    // Prepare
    if (operation === 'GetShardIterator') streams.on(GetShardIteratorCommand).rejects(awsError(name));
    else {
      streams.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-0' });
      streams.on(GetRecordsCommand).rejects(awsError(name));
    }
    // Act
    const act = createStreamRangeReader(streams as unknown as DynamoDBStreamsClient).readRange(pointer);
    // Assess
    await expect(act).rejects.toBeInstanceOf(RangeLostError);
    await expect(act).rejects.toMatchObject({ reason });
  });

  it('passes other errors on', async () => {
    // Prepare
    streams.on(GetShardIteratorCommand).rejects(awsError('LimitExceededException'));
    // Act & Assess
    await expect(createStreamRangeReader(streams as unknown as DynamoDBStreamsClient).readRange(pointer)).rejects.toMatchObject({ name: 'LimitExceededException' });
  });

  it('gives up on endless empty pages for this attempt', async () => {
    // Prepare
    streams.on(GetShardIteratorCommand).resolves({ ShardIterator: 'it-0' });
    streams.on(GetRecordsCommand).resolves({ Records: [], NextShardIterator: 'it-0' });
    // Act & Assess
    await expect(createStreamRangeReader(streams as unknown as DynamoDBStreamsClient, { maxEmptyPages: 3 }).readRange(pointer)).rejects.toBeInstanceOf(RangeReadError);
    expect(streams.commandCalls(GetRecordsCommand)).toHaveLength(3);
  });
});
