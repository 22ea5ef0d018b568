import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { createHandler } from '../../../forwarder';
import { ForwarderMetric } from '../../../forwarder/forward-batch';
import type { DynamoDbStreamRecord } from '../../../src/change-event';
import { loadForwarderConfig, type ForwarderConfig } from '../../../src/config/forwarder';
import { ConfigurationError, MalformedInputError } from '../../../src/errors';
import { createLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import { createPublisher } from '../../../src/publisher';
import { fakeKinesis, type Step } from '../../fixtures/forwarder/fake-kinesis';
import { streamRecord } from '../../fixtures/forwarder/stream-records';
import { parseValidEvent } from '../../fixtures/forwarder/validate-event';

const baseConfig: ForwarderConfig = loadForwarderConfig({ KINESIS_STREAM_NAME: 'changes', PUBLISH_MAX_ATTEMPTS: '3' });

function context(remainingMs = 60_000): Context {
  return { awsRequestId: 'req-1', getRemainingTimeInMillis: () => remainingMs } as unknown as Context;
}

function harness(script: Step[] = [], config: Partial<ForwarderConfig> = {}) {
  const kinesis = fakeKinesis(script);
  const logs: Array<Record<string, unknown>> = [];
  const emf: Array<Record<string, unknown>> = [];
  const handler = createHandler({
    config: { ...baseConfig, ...config },
    logger: createLogger({ service: 'forwarder', level: 'DEBUG', write: (line) => logs.push(JSON.parse(line)) }),
    metrics: createMetrics({ service: 'forwarder', write: (line) => emf.push(JSON.parse(line)) }),
    publisher: createPublisher({ port: kinesis, maxAttempts: 3, sleep: async () => undefined }),
  });
  const invoke = (records: DynamoDbStreamRecord[], remainingMs?: number) =>
    handler({ Records: records } as unknown as DynamoDBStreamEvent, context(remainingMs));
  const events = () => kinesis.stream.map((record) => ({ partitionKey: record.partitionKey, event: parseValidEvent(record.data) }));
  return { kinesis, logs, emf, invoke, events };
}

const seq = (record: DynamoDbStreamRecord) => record.dynamodb?.SequenceNumber as string;

describe('forwarder handler', () => {
  it('puts one schema-valid change event per record, from several tables, in order, and reports no failure', async () => {
    // Prepare
    const { invoke, events, emf } = harness();
    const records = [
      streamRecord({ table: 'orders', eventName: 'INSERT', keys: { id: { N: '1' } } }),
      streamRecord({ table: 'customers', eventName: 'MODIFY', keys: { id: { S: 'c-1' } } }),
      streamRecord({ table: 'orders', eventName: 'REMOVE', keys: { id: { N: '1' } } }),
    ];
    // Act
    const response = await invoke(records);
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(events().map(({ event }) => [event.table, event.operation, event.id])).toEqual([
      ['orders', 'insert', records[0]?.eventID],
      ['customers', 'modify', records[1]?.eventID],
      ['orders', 'remove', records[2]?.eventID],
    ]);
    expect(events()[0]?.partitionKey).toBe('orders|{"id":"1"}');
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ [ForwarderMetric.RecordsIn]: 3, [ForwarderMetric.EventsOut]: 3, [ForwarderMetric.FailedRecords]: 0, [ForwarderMetric.PutRecordsRequests]: 2 });
  });

  it('answers an empty batch with no failures', async () => {
    // Act
    const response = await harness().invoke([]);
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
  });

  it('names the first unwritten record when Kinesis keeps failing', async () => {
    // Prepare: record 1 fails on every attempt (3)
    const { invoke, kinesis, logs, emf } = harness([
      { kind: 'entries', fail: [false, true, false] },
      { kind: 'entries', fail: [true] },
      { kind: 'entries', fail: [true] },
    ]);
    const records = [streamRecord(), streamRecord(), streamRecord()];
    // Act
    const response = await invoke(records);
    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: seq(records[1] as DynamoDbStreamRecord) }] });
    expect(kinesis.stream).toHaveLength(2); // records 0 and 2: 2 is repeated on Lambda's retry (at-least-once)
    expect(logs.find((line) => line.level === 'WARN')).toMatchObject({ outcome: 'attempts-exhausted', written: 1, awsRequestId: 'req-1' });
    expect(emf[0]).toMatchObject({ [ForwarderMetric.EventsOut]: 1, [ForwarderMetric.FailedRecords]: 2, [ForwarderMetric.PublishRetries]: 2 });
  });

  it('publishes a poison record as one unconvertible marker, in place, and fails nothing', async () => {
    // Prepare
    const { invoke, events, logs, emf } = harness();
    const bad = streamRecord({ keys: { id: { S: 'x' } }, newImage: { id: { S: 'x' }, amount: { N: 'not-a-number' } } });
    const records = [streamRecord(), streamRecord(), bad, streamRecord()];
    // Act
    const response = await invoke(records);
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(events().map(({ event }) => [event.id, event.operation])).toEqual([
      [records[0]?.eventID, 'insert'],
      [records[1]?.eventID, 'insert'],
      [bad.eventID, 'unconvertible'],
      [records[3]?.eventID, 'insert'],
    ]);
    expect(events()[2]).toMatchObject({
      partitionKey: 'orders|{"id":"x"}',
      event: { table: 'orders', keys: { id: 'x' }, sequenceNumber: seq(bad), old: null, new: null, error: { reason: 'invalid-attribute-value' } },
    });
    const error = logs.find((line) => line.level === 'ERROR');
    expect(error).toMatchObject({ eventID: bad.eventID, sequenceNumber: seq(bad), reason: 'invalid-attribute-value', error: { name: 'InvalidAttributeValueError' } });
    expect(String((error?.error as { message: string }).message)).toContain('$.new.amount');
    expect(emf[0]).toMatchObject({ [ForwarderMetric.UnconvertibleRecords]: 1, [ForwarderMetric.FailedRecords]: 0, [ForwarderMetric.EventsOut]: 4 });
  });

  it('reports an unwritten record ahead of a marker that follows it', async () => {
    // Prepare
    const { invoke } = harness([{ kind: 'entries', fail: [true] }, { kind: 'entries', fail: [true] }, { kind: 'entries', fail: [true] }]);
    const records = [streamRecord(), streamRecord({ eventName: 'MODIFY', newImage: { id: { BOOL: 'no' as never } } })];
    // Act
    const response = await invoke(records);
    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: seq(records[0] as DynamoDbStreamRecord) }]);
  });

  it('sends nothing and reports the first record when the remaining time is inside the safety margin', async () => {
    // Prepare
    const { invoke, kinesis } = harness();
    const records = [streamRecord(), streamRecord()];
    // Act
    const response = await invoke(records, baseConfig.safetyMarginMs - 1);
    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: seq(records[0] as DynamoDbStreamRecord) }] });
    expect(kinesis.calls).toHaveLength(0);
  });

  it('degrades an oversized event, flags it and counts it', async () => {
    // Prepare
    const { invoke, events, emf, logs } = harness([], { maxRecordBytes: 2_500 });
    const blob = { S: 'y'.repeat(1_500) };
    const record = streamRecord({ eventName: 'MODIFY', keys: { id: { S: 'k' } }, oldImage: { id: { S: 'k' }, blob }, newImage: { id: { S: 'k' }, blob } });
    // Act
    const response = await invoke([record]);
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(events()[0]?.event).toMatchObject({ truncated: ['old'], old: null, keys: { id: 'k' } });
    expect(emf[0]).toMatchObject({ [ForwarderMetric.DegradedEvents]: 1 });
    expect(logs.some((line) => line.message === 'change event exceeded the maximum record size and was degraded')).toBe(true);
  });

  it('fails the invocation on an event that is not a stream batch', async () => {
    // Prepare
    const { kinesis } = harness();
    const handler = createHandler({ config: baseConfig, publisher: createPublisher({ port: kinesis }), logger: createLogger({ service: 't', write: () => undefined }) });
    // Act
    const act = handler({ detail: {} } as unknown as DynamoDBStreamEvent, context());
    // Assess
    await expect(act).rejects.toThrow(MalformedInputError);
    expect(kinesis.calls).toHaveLength(0);
  });

  it('fails the invocation when the failed record has no sequence number to report', async () => {
    // Prepare: the second entry (the marker of the record without a sequence number) never gets written
    const { invoke } = harness([{ kind: 'entries', fail: [false, true] }, { kind: 'entries', fail: [true] }, { kind: 'entries', fail: [true] }]);
    const bad = streamRecord();
    delete (bad.dynamodb as { SequenceNumber?: string }).SequenceNumber;
    // Act
    const act = invoke([streamRecord(), bad]);
    // Assess
    await expect(act).rejects.toThrow('has no dynamodb.SequenceNumber');
  });

  it('fails with a ConfigurationError naming the variable when KINESIS_STREAM_NAME is missing', async () => {
    // Prepare
    const handler = createHandler({ env: {} });
    // Act
    const act = handler({ Records: [] } as unknown as DynamoDBStreamEvent, context());
    // Assess
    await expect(act).rejects.toThrow(ConfigurationError);
    await expect(act).rejects.toThrow('KINESIS_STREAM_NAME');
  });
});
