import { parseOnFailureMessage } from '../../../redriver/batch-info';
import { retryDelaySeconds } from '../../../redriver/backoff';
import { handleMessages } from '../../../redriver/handle-messages';
import { LossReason, RangeLostError, RangeReadError } from '../../../redriver/range-reader';
import { redriveMessage, RedriveOutcome, RedriverMetric } from '../../../redriver/redrive';
import { MalformedInputError } from '../../../src/errors';
import { streamArnOf, streamRecord } from '../../fixtures/forwarder/stream-records';
import { parseValidEvent } from '../../fixtures/forwarder/validate-event';
import { harness, onFailureBody, sqsRecord } from './fakes';

const failAlways = [{ kind: 'request-error' as const, code: 'InternalFailure' }, { kind: 'request-error' as const, code: 'InternalFailure' }];

describe('parseOnFailureMessage', () => {
  it('reads the documented DDBStreamBatchInfo', () => {
    // Act
    const pointer = parseOnFailureMessage(onFailureBody());
    // Assess
    expect(pointer).toEqual({
      streamArn: streamArnOf('orders'),
      tableName: 'orders',
      tableArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders',
      shardId: 'shardId-00000001573689847184-864758bb',
      startSequenceNumber: '100000000001',
      endSequenceNumber: '100000000003',
      batchSize: 3,
      approximateArrivalOfFirstRecord: '2026-12-01T09:13:19Z',
      approximateArrivalOfLastRecord: '2026-12-01T09:13:19Z',
      condition: 'RetryAttemptsExhausted',
    });
  });

  it.each([
    ['text that is not JSON', 'nope', /not JSON/],
    ['JSON without DDBStreamBatchInfo', '{"Records":[]}', /no DDBStreamBatchInfo/],
    ['a Kinesis batch info', JSON.stringify({ KinesisBatchInfo: {} }), /no DDBStreamBatchInfo/],
    ['a missing shard', onFailureBody({ shardId: undefined }), /shardId/],
    ['a non-numeric sequence number', onFailureBody({ startSequenceNumber: 'abc' }), /decimal digits/],
    ['a reversed range', onFailureBody({ startSequenceNumber: '9', endSequenceNumber: '1' }), /reversed/],
    ['a bad batch size', onFailureBody({ batchSize: 0 }), /batchSize/],
    ['a table ARN instead of a stream ARN', onFailureBody({ streamArn: 'arn:aws:dynamodb:eu-west-1:1:table/orders' }), /not a DynamoDB stream ARN/],
  ])('rejects %s', (_name, body, message) => {
    // Act & Assess
    expect(() => parseOnFailureMessage(body)).toThrow(MalformedInputError);
    expect(() => parseOnFailureMessage(body)).toThrow(message);
  });
});

describe('redriveMessage', () => {
  it('publishes every record of the range, converted as the forwarder does and marked redriven, poison included as a marker', async () => {
    // Prepare
    const records = [streamRecord(), streamRecord({ newImage: { id: { S: 'x' }, n: { N: 'bad' } } }), streamRecord({ eventName: 'REMOVE' })];
    const { deps, kinesis, reads, metrics } = harness({ read: async () => records });
    // Act
    const result = await redriveMessage(onFailureBody(), deps);
    // Assess
    expect(result).toMatchObject({ outcome: RedriveOutcome.Redriven, done: true, records: 3, published: 3, unconvertible: 1 });
    expect(reads[0]).toMatchObject({ shardId: 'shardId-00000001573689847184-864758bb', startSequenceNumber: '100000000001', endSequenceNumber: '100000000003' });
    const events = kinesis.stream.map((record) => parseValidEvent(record.data));
    expect(events.map((event) => [event.id, event.operation, event.redriven])).toEqual([
      [records[0]!.eventID, 'insert', true],
      [records[1]!.eventID, 'unconvertible', true],
      [records[2]!.eventID, 'remove', true],
    ]);
    expect(metrics.snapshot()).toMatchObject({ [RedriverMetric.MessagesRedriven]: 1, [RedriverMetric.RecordsRedriven]: 3, [RedriverMetric.UnconvertibleRecords]: 1 });
  });

  it('keeps the message while Kinesis fails', async () => {
    // Prepare
    const { deps, metrics } = harness({ read: async () => [streamRecord()], kinesis: failAlways });
    // Act
    const result = await redriveMessage(onFailureBody(), deps);
    // Assess
    expect(result).toMatchObject({ outcome: RedriveOutcome.Retry, done: false, published: 0, error: expect.stringContaining('InternalFailure') });
    expect(metrics.snapshot()[RedriverMetric.RecordsRedriven]).toBeUndefined();
  });

  it('keeps the message when the stream read fails for a reason that may pass', async () => {
    // Prepare
    const { deps, announced } = harness({ read: async () => { throw new RangeReadError('throttled'); } });
    // Act
    const result = await redriveMessage(onFailureBody(), deps);
    // Assess
    expect(result).toMatchObject({ outcome: RedriveOutcome.Retry, done: false });
    expect(announced).toEqual([]);
  });

  it.each([LossReason.Trimmed, LossReason.StreamGone])('announces Changes Lost for a range that is %s, counts it, and lets the message go', async (reason) => {
    // Prepare
    const { deps, announced, kinesis, metrics, logs } = harness({ read: async () => { throw new RangeLostError('gone', reason); } });
    // Act
    const result = await redriveMessage(onFailureBody(), deps);
    // Assess
    expect(result).toMatchObject({ outcome: RedriveOutcome.Lost, done: true, lossReason: reason });
    expect(announced).toEqual([{
      table: 'orders', tableArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders', streamArn: streamArnOf('orders'),
      shardId: 'shardId-00000001573689847184-864758bb', startSequenceNumber: '100000000001', endSequenceNumber: '100000000003', batchSize: 3,
      reason, approximateArrivalOfFirstRecord: '2026-12-01T09:13:19Z', approximateArrivalOfLastRecord: '2026-12-01T09:13:19Z', detectedAt: '2026-12-01T10:00:00.000Z',
    }]);
    expect(kinesis.calls).toHaveLength(0);
    expect(metrics.snapshot()).toMatchObject({ [RedriverMetric.ChangesLost]: 1, [RedriverMetric.LostRecords]: 3 });
    expect(logs.find((line) => line.level === 'ERROR')).toMatchObject({ table: 'orders', reason });
  });

  it('keeps a lost range\'s message until the loss is announced', async () => {
    // Prepare
    const { deps } = harness({ read: async () => { throw new RangeLostError('gone', LossReason.Trimmed); }, announceFails: true });
    // Act
    const result = await redriveMessage(onFailureBody(), deps);
    // Assess
    expect(result).toMatchObject({ outcome: RedriveOutcome.Retry, done: false, lossReason: LossReason.Trimmed });
  });

  it('publishes and announces nothing in a dry run', async () => {
    // Prepare
    const readable = harness({ read: async () => [streamRecord(), streamRecord()] });
    const lost = harness({ read: async () => { throw new RangeLostError('gone', LossReason.Trimmed); } });
    // Act
    const wouldRedrive = await redriveMessage(onFailureBody(), readable.deps, { dryRun: true });
    const wouldAnnounce = await redriveMessage(onFailureBody(), lost.deps, { dryRun: true });
    // Assess
    expect(wouldRedrive).toMatchObject({ outcome: RedriveOutcome.Redriven, records: 2, published: 0, done: false });
    expect(wouldAnnounce).toMatchObject({ outcome: RedriveOutcome.Lost, done: false });
    expect(readable.kinesis.calls).toHaveLength(0);
    expect(lost.announced).toEqual([]);
  });

  it('reports a malformed message and keeps it', async () => {
    // Prepare
    const { deps, reads, metrics } = harness();
    // Act
    const result = await redriveMessage('{"hello":1}', deps);
    // Assess
    expect(result).toMatchObject({ outcome: RedriveOutcome.Malformed, done: false, error: expect.stringContaining('DDBStreamBatchInfo') });
    expect(reads).toEqual([]);
    expect(metrics.snapshot()[RedriverMetric.MalformedMessages]).toBe(1);
  });
});

describe('handleMessages', () => {
  it('answers the partial batch response: only done messages are deleted, kept ones are delayed by their receive count', async () => {
    // Prepare: the range of message b cannot be published
    const delays: [string, number][] = [];
    const { deps } = harness({
      read: async (pointer) => (pointer.startSequenceNumber === '2' ? Promise.reject(new RangeReadError('throttled')) : [streamRecord()]),
    });
    const a = sqsRecord(onFailureBody({ startSequenceNumber: '1', endSequenceNumber: '1' }), 'a');
    const b = sqsRecord(onFailureBody({ startSequenceNumber: '2', endSequenceNumber: '2' }), 'b', 3);
    const c = sqsRecord('not json', 'c');
    // Act
    const response = await handleMessages([a, b, c], { ...deps, visibility: { delay: async (handle, seconds) => void delays.push([handle, seconds]) } });
    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'b' }, { itemIdentifier: 'c' }] });
    expect(delays).toEqual([['rh-b', 120], ['rh-c', 43_200]]);
  });

  it('keeps messages it had no time for, untouched', async () => {
    // Prepare
    const { deps, reads } = harness();
    const delays: number[] = [];
    // Act
    const response = await handleMessages([sqsRecord(onFailureBody(), 'late')], { ...deps, visibility: { delay: async (_h, s) => void delays.push(s) } }, { deadline: 0 });
    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'late' }]);
    expect(reads).toEqual([]);
    expect(delays).toEqual([]);
  });

  it.each([[1, 30], [2, 60], [5, 480], [6, 900], [1000, 900], [Number.NaN, 30]])('backs off %s receives -> %s s', (count, seconds) => {
    // Act & Assess
    expect(retryDelaySeconds(count)).toBe(seconds);
  });
});
