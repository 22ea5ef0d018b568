/**
 * The heartbeat path end to end on the local pipeline (what `npm start -- --heartbeat 1` runs):
 * a heartbeat table created the way DMS creates tables is converged like the others, its
 * row updated on a schedule with the DMS header columns, its changes reach Kinesis, feed the
 * forwarder's heartbeat metrics, and the run's lag view shows the heartbeat's lag. Every
 * scenario write carries the header columns too, so every data event has `origin`.
 */
import { createAutoScalingClient, createDynamoDbClient } from '../../src/aws/clients';
import { HEARTBEAT_TABLE } from '../../local/heartbeat';
import { inspectTable } from '../../local/inspect';
import { formatLagSummary, lagByTable, type LagEvent } from '../../local/lag';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime';
import { playSession, type SessionResult } from '../../local/session';
import { emfTotals } from '../support/sam-local';
import { parseValidEvent } from '../fixtures/forwarder/validate-event';
import { useLocalAws } from '../support/local-aws';

jest.setTimeout(240_000);
const localAws = useLocalAws();

describe('local pipeline with a heartbeat table', () => {
  let runtime: LocalRuntime;
  let session: SessionResult;
  const logs: string[] = [];

  beforeAll(async () => {
    runtime = await startLocalRuntime({ aws: localAws(), log: (line) => logs.push(line), sweepIntervalMs: 5_000, env: { HEARTBEAT_TABLE_PATTERNS: HEARTBEAT_TABLE } });
    session = await playSession(runtime, { tables: 1, rows: 40, changes: 40, preStreamShare: 0.25, concurrency: 2, heartbeatIntervalMs: 200, drainTimeoutMs: 120_000 });
  }, 240_000);
  afterAll(async () => {
    await runtime?.stop();
  });

  it('converges the heartbeat table like any other table', async () => {
    // Prepare
    const clients = { dynamodb: createDynamoDbClient(), lambda: runtime.lambda, autoscaling: createAutoScalingClient() };
    // Act
    const inspection = await inspectTable(clients, HEARTBEAT_TABLE, runtime.stack.forwarderFunctionArn);
    // Assess
    expect(inspection).toMatchObject({ streamEnabled: true, streamViewType: 'NEW_AND_OLD_IMAGES', mappingsOnLatestStream: 1, mappingsOnAnyStream: 1 });
    expect(session.scenario.heartbeat?.beatsOnStream).toBeGreaterThanOrEqual(3);
  });

  it('puts the heartbeats on Kinesis with origin, and the data changes too, images without the header columns', () => {
    // Prepare
    const heartbeats = session.events.filter((event) => event.table === HEARTBEAT_TABLE && event.operation !== 'snapshot');
    const data = session.events.filter((event) => session.scenario.dataTables.includes(event.table));
    // Assess
    expect(heartbeats.length).toBeGreaterThanOrEqual(3);
    for (const event of [...heartbeats, ...data]) {
      const valid = parseValidEvent(JSON.stringify({ ...event, arrivedAt: undefined }));
      expect(valid.origin?.commitTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      expect(valid.origin?.changeSequence).toMatch(/^\d{35}$/);
      for (const image of [valid.old, valid.new]) if (image) expect(Object.keys(image).filter((name) => name.startsWith('dms_'))).toEqual([]);
    }
    expect(session.verdict.totals.missing).toBe(0);
  });

  it('feeds the forwarder heartbeat metrics and shows the heartbeat lag in the run summary', () => {
    // Prepare
    const totals = emfTotals(logs.join('\n'));
    const lag = lagByTable(session.events as unknown as LagEvent[]).find((row) => row.table === HEARTBEAT_TABLE);
    // Act
    const summary = formatLagSummary({ events: session.events as unknown as LagEvent[], heartbeat: session.scenario.heartbeat, now: Date.now() });
    // Assess
    expect(totals.HeartbeatsReceived).toBeGreaterThanOrEqual(3);
    expect(totals.HeartbeatLagMs).toBeGreaterThanOrEqual(0);
    expect(lag?.withCommitTime).toBeGreaterThanOrEqual(3);
    expect(lag?.sourceLagLastMs).toBeLessThan(60_000);
    expect(summary).toContain(`heartbeat             ${HEARTBEAT_TABLE}:`);
    expect(summary).toMatch(new RegExp(`\\n  ${session.scenario.dataTables[0]}\\s+\\d+`));
  });
});
