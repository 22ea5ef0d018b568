/**
 * The data lake end to end on the local pipeline: a DMS-like scenario (loads before and after
 * the streams, changes, deletes, backfills) archived by the Firehose stand-in; the documented
 * latest-state query over the archive must give every table exactly its items in DynamoDB, and
 * `replay --json` must give back every archived event once.
 */
import { runCli } from '../../cli/main';
import { createDynamoDbClient, createKinesisClient } from '../../src/aws/clients';
import { createS3Client } from '../../src/archive/s3-client';
import { startLocalFirehose, type LocalFirehose } from '../../local/archive/firehose';
import { settleArchive } from '../../local/archive/summary';
import { checkArchiveTable } from '../../local/archive/verify';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime';
import { playSession, type SessionResult } from '../../local/session';
import { loadOriginOptions } from '../../src/config/origin';
import { useLocalAws } from '../support/local-aws';

jest.setTimeout(300_000);
const localAws = useLocalAws();

describe('archive of the local pipeline', () => {
  let runtime: LocalRuntime;
  let archive: LocalFirehose;
  let session: SessionResult;

  beforeAll(async () => {
    runtime = await startLocalRuntime({ aws: localAws(), sweepIntervalMs: 5_000, env: { BACKFILL_SEGMENTS: '2' } });
    archive = await startLocalFirehose({ kinesis: createKinesisClient(), s3: createS3Client(), streamName: runtime.stack.streamName, bucket: 'e2e-archive', intervalMs: 2_000 });
    session = await playSession(runtime, { tables: 2, rows: 120, changes: 150, preStreamShare: 0.3, concurrency: 4, drainTimeoutMs: 180_000 });
    await settleArchive(archive, { minimum: session.events.length });
  }, 300_000);
  afterAll(async () => {
    await archive?.stop();
    await runtime?.stop();
  });

  it('archived every event the stream carried, none under the error prefix', () => {
    // Assess
    expect(session.verdict.totals.missing).toBe(0);
    expect(archive.stats()).toMatchObject({ records: archive.stats().received, errorRecords: 0 });
    expect(archive.stats().records).toBeGreaterThanOrEqual(session.events.length);
  });

  it('the latest-state query over the archive gives every table exactly its items', async () => {
    // Act
    const checks = await Promise.all(session.scenario.dataTables.map((table) => checkArchiveTable({ dynamodb: createDynamoDbClient(), s3: createS3Client() }, 'e2e-archive', table, loadOriginOptions(runtime.env))));
    // Assess
    for (const check of checks) {
      expect(check.items).toBeGreaterThan(0);
      expect(check).toEqual({ table: check.table, items: check.items, fromArchive: check.items, wrong: 0, extra: 0 });
    }
  });

  it('replay --json gives back every archived event once', async () => {
    // Prepare
    const out: string[] = [];
    // Act
    const code = await runCli(['replay', '--from', 's3://e2e-archive/changes/', '--json'], { out: (line) => out.push(line), err: () => undefined, signal: new AbortController().signal });
    // Assess
    expect(code).toBe(0);
    expect(new Set(out.map((line) => JSON.parse(line).id)).size).toBe(out.length);
    expect(out.length).toBe(new Set(session.events.map((event) => event.id)).size);
  });
});
