import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { createHandler } from '../../../forwarder';
import { ForwarderMetric } from '../../../forwarder/forward-batch';
import { lagFigures, LagMetric, type LagSample } from '../../../forwarder/lag';
import { createEmfTableMetrics } from '../../../forwarder/table-metrics';
import type { AttributeMap, DynamoDbStreamRecord } from '../../../src/change-event';
import { loadForwarderConfig, type ForwarderConfig } from '../../../src/config/forwarder';
import { createLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import { createPublisher } from '../../../src/publisher';
import { fakeKinesis, type Step } from '../../fixtures/forwarder/fake-kinesis';
import { streamRecord } from '../../fixtures/forwarder/stream-records';
import { parseValidEvent } from '../../fixtures/forwarder/validate-event';

/**
 * The fake clock: every lag below is measured against this instant. An hour ahead of the real
 * clock, because the handler also derives its publishing deadline from it.
 */
const NOW = Math.ceil(Date.now() / 1000) * 1000 + 3_600_000;
/** A time in the text form DMS writes (`YYYY-MM-DD HH:MM:SS.ffffff`, UTC). */
const dmsTime = (ms: number) => `${new Date(ms).toISOString().slice(0, 23).replace('T', ' ')}000`;
const seconds = (ms: number) => ms / 1000;
const commitHeader = (iso: string): AttributeMap => ({ dms_commit_timestamp: { S: iso } });

describe('lagFigures', () => {
  it('measures the oldest and newest record age and source lag at the given clock', () => {
    // Prepare
    const samples: LagSample[] = [
      { table: 'orders', createdMs: NOW - 9_000, commitMs: NOW - 12_500, heartbeat: false },
      { table: 'orders', createdMs: NOW - 1_000, commitMs: undefined, heartbeat: false },
      { table: 'orders', createdMs: NOW - 4_000, commitMs: NOW - 4_200, heartbeat: false },
    ];
    // Act
    const figures = lagFigures(samples, NOW, false);
    // Assess
    expect(figures).toEqual({ oldestRecordAgeMs: 9_000, newestRecordAgeMs: 1_000, sourceLagMaxMs: 12_500, sourceLagMinMs: 4_200 });
  });

  it('clamps a source clock ahead of Lambda at zero lag, and reports heartbeats only when configured', () => {
    // Prepare
    const samples: LagSample[] = [{ table: 'hb', createdMs: NOW - 500, commitMs: NOW + 2_000, heartbeat: true }];
    // Act / Assess
    expect(lagFigures(samples, NOW, true)).toEqual({ oldestRecordAgeMs: 500, newestRecordAgeMs: 500, sourceLagMaxMs: 0, sourceLagMinMs: 0, heartbeatsReceived: 1, heartbeatLagMs: 0 });
    expect(lagFigures([], NOW, true)).toEqual({ heartbeatsReceived: 0 });
    expect(lagFigures([], NOW, false)).toEqual({});
  });
});

function harness(config: Partial<ForwarderConfig> = {}, script: Step[] = []) {
  const kinesis = fakeKinesis(script);
  const emf: Array<Record<string, unknown>> = [];
  const tableLines: Array<Record<string, unknown>> = [];
  const handler = createHandler({
    config: { ...loadForwarderConfig({ KINESIS_STREAM_NAME: 'changes' }), ...config },
    logger: createLogger({ service: 'forwarder', write: () => undefined }),
    metrics: createMetrics({ service: 'forwarder', write: (line) => emf.push(JSON.parse(line)) }),
    publisher: createPublisher({ port: kinesis, maxAttempts: 2, sleep: async () => undefined }),
    tableMetrics: createEmfTableMetrics({ service: 'forwarder', write: (line) => tableLines.push(JSON.parse(line)), now: () => NOW }),
    now: () => NOW,
  });
  const invoke = (records: DynamoDbStreamRecord[]) =>
    handler({ Records: records } as unknown as DynamoDBStreamEvent, { awsRequestId: 'r', getRemainingTimeInMillis: () => 60_000 } as unknown as Context);
  const events = () => kinesis.stream.map((record) => parseValidEvent(record.data));
  return { invoke, emf, tableLines, events };
}

describe('forwarder lag metrics', () => {
  it('emits record age and source lag of the published events, without a table dimension by default', async () => {
    // Prepare
    const { invoke, emf, tableLines } = harness();
    const records = [
      streamRecord({ table: 'orders', approximateCreationDateTime: seconds(NOW - 8_000), newImage: { id: { S: 'a' }, ...commitHeader(dmsTime(NOW - 10_000)) } }),
      streamRecord({ table: 'orders', approximateCreationDateTime: seconds(NOW - 2_000), newImage: { id: { S: 'b' } } }),
    ];
    // Act
    await invoke(records);
    // Assess
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ [LagMetric.OldestRecordAgeMs]: 8_000, [LagMetric.NewestRecordAgeMs]: 2_000, [LagMetric.SourceLagMaxMs]: 10_000, [LagMetric.SourceLagMinMs]: 10_000 });
    const declared = (emf[0]?._aws as { CloudWatchMetrics: Array<{ Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> }).CloudWatchMetrics[0];
    expect(declared?.Dimensions).toEqual([['service']]);
    expect(declared?.Metrics).toContainEqual({ Name: LagMetric.SourceLagMaxMs, Unit: 'Milliseconds' });
    expect(emf[0]).not.toHaveProperty(LagMetric.HeartbeatsReceived);
    expect(tableLines).toEqual([]);
  });

  it('counts only what reached Kinesis: a record not written does not feed the lag', async () => {
    // Prepare: the second entry fails on both attempts
    const { invoke, emf } = harness({}, [{ kind: 'entries', fail: [false, true] }, { kind: 'entries', fail: [true] }]);
    const records = [
      streamRecord({ table: 'orders', approximateCreationDateTime: seconds(NOW - 3_000) }),
      streamRecord({ table: 'orders', approximateCreationDateTime: seconds(NOW - 60_000) }),
    ];
    // Act
    const response = await invoke(records);
    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[1]?.dynamodb?.SequenceNumber }]);
    expect(emf[0]).toMatchObject({ [LagMetric.OldestRecordAgeMs]: 3_000, [LagMetric.NewestRecordAgeMs]: 3_000 });
  });

  it('adds one line per table with a table dimension when per-table metrics are enabled', async () => {
    // Prepare
    const { invoke, tableLines } = harness({ lagMetricsPerTable: true });
    // Act
    await invoke([streamRecord({ table: 'orders', approximateCreationDateTime: seconds(NOW - 1_500) })]);
    // Assess
    expect(tableLines).toHaveLength(1);
    expect(tableLines[0]).toMatchObject({ table: 'orders', service: 'forwarder', [LagMetric.OldestRecordAgeMs]: 1_500 });
    expect((tableLines[0]?._aws as { CloudWatchMetrics: Array<{ Dimensions: string[][] }> }).CloudWatchMetrics[0]?.Dimensions).toEqual([['service', 'table']]);
  });

  it('counts header values in an unexpected form', async () => {
    // Prepare
    const { invoke, emf, events } = harness();
    // Act
    await invoke([streamRecord({ newImage: { id: { S: 'a' }, dms_commit_timestamp: { S: 'soon' }, dms_change_seq: { N: '12' } } })]);
    // Assess
    expect(emf[0]).toMatchObject({ [ForwarderMetric.OriginHeaderUnexpected]: 2 });
    expect(events()[0]?.origin).toMatchObject({ commitTime: 'soon', changeSequence: '12' });
  });
});

describe('forwarder heartbeats', () => {
  const heartbeat = (ageMs: number) =>
    streamRecord({ table: 'dms_heartbeat', eventName: 'MODIFY', keys: { id: { N: '1' } }, approximateCreationDateTime: seconds(NOW - 1_000), newImage: { id: { N: '1' }, ...commitHeader(dmsTime(NOW - ageMs)) } });

  it('publishes heartbeat events by default and reports their count and lag', async () => {
    // Prepare
    const { invoke, emf, events } = harness({ heartbeatTablePatterns: ['dms_heart*'] });
    // Act
    await invoke([heartbeat(4_000), heartbeat(2_500)]);
    // Assess
    expect(events()).toHaveLength(2);
    expect(emf[0]).toMatchObject({ [LagMetric.HeartbeatsReceived]: 2, [LagMetric.HeartbeatLagMs]: 2_500, [ForwarderMetric.EventsOut]: 2 });
  });

  it('keeps heartbeats off the change stream when asked to, still feeding the lag metrics', async () => {
    // Prepare
    const { invoke, emf, events } = harness({ heartbeatTablePatterns: ['dms_heartbeat'], heartbeatPublish: false });
    // Act
    const response = await invoke([heartbeat(3_000)]);
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(events()).toEqual([]);
    expect(emf[0]).toMatchObject({ [LagMetric.HeartbeatsReceived]: 1, [LagMetric.HeartbeatLagMs]: 3_000, [LagMetric.SourceLagMaxMs]: 3_000, [ForwarderMetric.HeartbeatsSkipped]: 1, [ForwarderMetric.FailedRecords]: 0 });
  });

  it('reports zero heartbeats for a batch of data tables, so the missing-heartbeat alarm counts it', async () => {
    // Prepare
    const { invoke, emf } = harness({ heartbeatTablePatterns: ['dms_heartbeat'] });
    // Act
    await invoke([streamRecord({ table: 'orders' })]);
    // Assess
    expect(emf[0]).toMatchObject({ [LagMetric.HeartbeatsReceived]: 0 });
    expect(emf[0]).not.toHaveProperty(LagMetric.HeartbeatLagMs);
  });

  it('retries from the first unwritten record when skipped heartbeats and events mix', async () => {
    // Prepare: one stream batch cannot mix tables, but the record-to-event mapping must hold anyway
    const { invoke, emf } = harness({ heartbeatTablePatterns: ['dms_heartbeat'], heartbeatPublish: false }, [{ kind: 'entries', fail: [false, true] }, { kind: 'entries', fail: [true] }]);
    const records = [heartbeat(1_000), streamRecord({ table: 'orders' }), heartbeat(1_000), streamRecord({ table: 'orders' }), heartbeat(1_000)];
    // Act
    const response = await invoke(records);
    // Assess: the second orders record (index 3) is the first one not on Kinesis
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[3]?.dynamodb?.SequenceNumber }]);
    expect(emf[0]).toMatchObject({ [ForwarderMetric.HeartbeatsSkipped]: 2, [LagMetric.HeartbeatsReceived]: 2, [ForwarderMetric.FailedRecords]: 2 });
  });
});
