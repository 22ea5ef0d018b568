/**
 * The whole local pipeline end to end: emulators, the real forwarder and reconciler
 * handlers, the local mapping poller, a DMS-like scenario of several tables and a few
 * thousand changes. Asserts: the tables converge; every change made after a table's stream
 * was on arrives on Kinesis (once per attempt, in per-item order); every item's final
 * state is on Kinesis (rows loaded before the stream come from the backfill); the DMS
 * control table is untouched.
 */
import { createAutoScalingClient, createDynamoDbClient } from '../../src/aws/clients';
import { inspectTable } from '../../local/inspect';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime';
import { playSession, type SessionResult } from '../../local/session';
import { useLocalAws } from '../support/local-aws';

jest.setTimeout(300_000);
const localAws = useLocalAws();

describe('local pipeline end to end', () => {
  let runtime: LocalRuntime;
  let session: SessionResult;
  const logs: string[] = [];

  beforeAll(async () => {
    runtime = await startLocalRuntime({ aws: localAws(), log: (line) => logs.push(line), sweepIntervalMs: 5_000, env: { BACKFILL_SEGMENTS: '2' } });
    // 4 tables x (300 load + 400 changes) = 2,800 writes, a quarter of each load before the stream exists.
    session = await playSession(runtime, { tables: 4, rows: 300, changes: 400, preStreamShare: 0.25, concurrency: 4, drainTimeoutMs: 180_000 });
  }, 300_000);
  afterAll(async () => {
    await runtime?.stop();
    if (process.env.E2E_LOG) require('node:fs').writeFileSync(process.env.E2E_LOG, logs.join('\n'));
  });

  it('wrote a few thousand changes, most of them after the streams were on', () => {
    expect(session.verdict.totals.writes).toBeGreaterThanOrEqual(2_800);
    expect(session.verdict.totals.writesAfterStream).toBeGreaterThan(1_500);
    expect(session.verdict.totals.writes - session.verdict.totals.writesAfterStream).toBeGreaterThan(0);
  });

  it('every change made after the stream was on arrived, in per-item order', () => {
    expect(session.verdict.problems).toEqual([]);
    for (const table of session.verdict.tables) {
      expect({ table: table.table, missing: table.missing, outOfOrder: table.outOfOrder }).toEqual({ table: table.table, missing: 0, outOfOrder: 0 });
    }
  });

  it('delivers each stream record once per attempt (re-deliveries keep the same id)', () => {
    // A stream event's id is its stream record's; a second copy may only come from a retry:
    // a PutRecords retry of the forwarder (EMF PublishRetries) or a batch Lambda re-delivered.
    const publishRetries = logs.reduce((sum, line) => sum + (Number(/"PublishRetries":(\d+)/.exec(line)?.[1] ?? 0)), 0);
    const redelivered = logs.filter((line) => /batch failed|not every change event reached Kinesis/.test(line)).length;
    if (session.verdict.totals.duplicates > 0) expect(publishRetries + redelivered).toBeGreaterThan(0);
    const ids = new Set(session.events.filter((e) => e.operation !== 'snapshot').map((e) => e.id));
    expect(ids.size).toBe(session.verdict.totals.streamEvents - session.verdict.totals.duplicates);
  });

  it("every item's final state is on Kinesis, rows loaded before the stream via snapshot events", () => {
    expect(session.verdict.totals.staleItems).toBe(0);
    expect(session.verdict.totals.snapshotEvents).toBeGreaterThan(0);
  });

  it('converged every data table: NEW_AND_OLD_IMAGES, exactly one mapping, autoscaling targets', async () => {
    const clients = { dynamodb: createDynamoDbClient(), lambda: runtime.lambda, autoscaling: createAutoScalingClient() };
    for (const table of session.scenario.dataTables) {
      const inspection = await inspectTable(clients, table, runtime.stack.forwarderFunctionArn);
      expect(inspection).toMatchObject({ table, streamEnabled: true, streamViewType: 'NEW_AND_OLD_IMAGES', mappingsOnLatestStream: 1, mappingsOnAnyStream: 1 });
      expect(inspection.scalingTargets).toBeGreaterThanOrEqual(2);
    }
  });

  it('left the awsdms_ control table alone', async () => {
    const clients = { dynamodb: createDynamoDbClient(), lambda: runtime.lambda, autoscaling: createAutoScalingClient() };
    const control = await inspectTable(clients, session.scenario.controlTable, runtime.stack.forwarderFunctionArn);
    expect(control).toMatchObject({ streamEnabled: false, mappingsOnAnyStream: 0, scalingTargets: 0, tags: {} });
    expect(session.events.some((e) => e.table === session.scenario.controlTable)).toBe(false);
  });

  it('a second sweep changes nothing (level-triggered, idempotent)', async () => {
    const response = (await runtime.sweepNow()) as { counts?: { changed: number; errors: number } };
    expect(response.counts).toMatchObject({ changed: 0, errors: 0 });
  });
});
