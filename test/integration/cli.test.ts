/**
 * The dms-event-bus CLI on a prepared local state (emulators + the real handlers):
 * each command's output, the --json shapes, and the one-sentence errors.
 */
import { CreateTableCommand, PutItemCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient } from '../../src/aws/clients';
import { runCli } from '../../cli/main';
import { cloudTrailTableEvent } from '../../local/cloudtrail';
import { applyEnv } from '../../local/emulators';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime';
import { LOCAL_ACCOUNT_ID } from '../../local/stack';
import { useLocalAws } from '../support/local-aws';

jest.setTimeout(120_000);
const localAws = useLocalAws();

const table = (name: string): CreateTableCommandInput => ({
  TableName: name,
  KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
  AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
  ProvisionedThroughput: { ReadCapacityUnits: 200, WriteCapacityUnits: 200 },
});

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const controller = new AbortController();
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t), signal: controller.signal });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('dms-event-bus CLI on local state', () => {
  let runtime: LocalRuntime;

  beforeAll(async () => {
    runtime = await startLocalRuntime({ aws: localAws(), sweepIntervalMs: 0 });
    const dynamodb = createDynamoDbClient();
    // dms_ready: created and reconciled (as after a CloudTrail event); dms_drift: created only.
    for (const input of [table('dms_ready'), table('dms_drift'), table('awsdms_apply_exceptions')]) {
      await dynamodb.send(new CreateTableCommand(input));
    }
    const response = await runtime.invokeReconciler(cloudTrailTableEvent({ eventName: 'CreateTable', region: runtime.region, accountId: LOCAL_ACCOUNT_ID, request: table('dms_ready') }));
    expect(response).toMatchObject({ status: 'ok' });
    await runtime.idle(); // the backfill of dms_ready runs as asynchronous invocations
  });
  afterAll(async () => runtime?.stop());

  it('status: one row per table in scope, the control table left out', async () => {
    // Act
    const { code, out } = await cli('status');
    // Assess
    expect(code).toBe(0);
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^TABLE\s+STREAM\s+MAPPING\s+CAPACITY\s+DRIFT\s+CONFLICTS\s+BACKFILL$/);
    expect(lines.find((l) => l.startsWith('dms_ready'))).toMatch(/NEW_AND_OLD_IMAGES\s+Enabled.*autoscaling R \d+-\d+ W \d+-\d+\s+in sync\s+-\s+done/);
    expect(lines.find((l) => l.startsWith('dms_drift'))).toMatch(/off\s+none\s+provisioned, no autoscaling\s+\d+ changes/);
    expect(out).not.toContain('awsdms_apply_exceptions');
  });

  it('status --json has a stable shape', async () => {
    // Act
    const { code, out } = await cli('status', '--json', 'dms_ready');
    // Assess
    expect(code).toBe(0);
    const parsed = JSON.parse(out);
    expect(parsed).toEqual({
      tables: [
        {
          table: 'dms_ready',
          exists: true,
          stream: { enabled: true, viewType: 'NEW_AND_OLD_IMAGES', arn: expect.stringContaining(':table/dms_ready/stream/') },
          mappings: [{ uuid: expect.any(String), state: 'Enabled', lastProcessingResult: expect.any(String), onLatestStream: true, draining: null }],
          capacity: { billingMode: 'PROVISIONED', targets: expect.arrayContaining([expect.objectContaining({ resourceId: 'table/dms_ready', dimension: 'dynamodb:table:ReadCapacityUnits' })]) },
          drift: [],
          conflicts: [],
          backfill: { state: 'done', detail: expect.stringMatching(/segments, \d+ items/) },
          converged: true,
        },
      ],
      lag: { windowMs: 60_000, partial: false, tables: expect.any(Array) },
    });
  });

  it('status shows the lag per table, read from the change stream (source lag from the DMS commit-time header)', async () => {
    // Prepare: a change as DMS writes it with dms/table-mapping.json, committed 2 s ago
    const committed = Date.now() - 2_000;
    await createDynamoDbClient().send(new PutItemCommand({
      TableName: 'dms_ready',
      Item: { id: { S: 'lag-1' }, dms_commit_timestamp: { S: `${new Date(committed).toISOString().slice(0, 23).replace('T', ' ')}000` } },
    }));
    let lag: { tables: Array<{ table: string; sourceLagLastMs?: number }> } | undefined;
    for (let i = 0; i < 100 && !lag?.tables.some((row) => row.table === 'dms_ready' && row.sourceLagLastMs !== undefined); i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      lag = JSON.parse((await cli('status', '--json', 'dms_ready')).out).lag;
    }
    // Act
    const { code, out } = await cli('status', 'dms_ready');
    // Assess
    expect(code).toBe(0);
    const row = lag?.tables.find((r) => r.table === 'dms_ready');
    expect(row?.sourceLagLastMs).toBeGreaterThanOrEqual(1_500);
    expect(row?.sourceLagLastMs).toBeLessThan(60_000);
    expect(out).toMatch(/Lag per table, from the change stream's last 60 s/);
    expect(out).toMatch(/\n {2}dms_ready\s+\d+\s+\d/);
  });

  it('plan lists what reconcile would change, and changes nothing', async () => {
    // Act
    const text = await cli('plan', 'dms_drift');
    const json = await cli('plan', '--json', 'dms_drift');
    const again = await cli('plan', '--json', 'dms_drift');
    // Assess
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^dms_drift:\n {2}\+ enable stream \(NEW_AND_OLD_IMAGES\)/);
    expect(text.out).toContain('create mapping to the forwarder');
    const plan = JSON.parse(json.out);
    expect(plan.tables[0]).toMatchObject({ table: 'dms_drift', converged: false, conflicts: [] });
    expect(plan.tables[0].actions.map((a: { type: string }) => a.type)).toEqual(expect.arrayContaining(['enable-stream', 'create-mapping']));
    expect(JSON.parse(again.out)).toEqual(plan);
  });

  it('reconcile converges a table; a second reconcile changes nothing', async () => {
    // Act
    const first = await cli('reconcile', 'dms_drift');
    const second = await cli('reconcile', '--json', 'dms_drift');
    const status = await cli('status', '--json', 'dms_drift');
    // Assess
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/changed 1/);
    expect(first.out).toMatch(/dms_drift: changed \(.*enable-stream.*create-mapping/);
    expect(JSON.parse(second.out)).toMatchObject({ counts: { changed: 0, errors: 0 } });
    expect(JSON.parse(status.out).tables[0]).toMatchObject({ converged: true, stream: { enabled: true } });
  });

  it('sweep --invoke runs the (local) reconciler function', async () => {
    // Act
    const { code, out } = await cli('sweep', '--invoke', '--json');
    // Assess
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ status: 'ok', counts: { errors: 0 } });
  });

  it('backfill starts a run by hand; without --force a finished one is not repeated', async () => {
    // Act
    const again = await cli('backfill', 'dms_ready');
    const forced = await cli('backfill', 'dms_ready', '--force');
    await runtime.idle(); // the run continues as asynchronous invocations of the reconciler
    const status = await cli('status', '--json', 'dms_ready');
    const unknown = await cli('backfill', 'no_such_table');
    // Assess
    expect(again).toMatchObject({ code: 0, out: 'backfill of dms_ready: already-done' });
    expect(forced).toMatchObject({ code: 0, out: 'backfill of dms_ready: started' });
    expect(JSON.parse(status.out).tables[0].backfill.state).toBe('done');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/^dms-event-bus: Table no_such_table not found\.$/);
  });

  it('tail --from-start prints the change events, readable or JSON', async () => {
    // Prepare
    await createDynamoDbClient().send(new PutItemCommand({ TableName: 'dms_ready', Item: { id: { S: 'tail-me' }, v: { N: '1' } } }));
    const lines: string[] = [];
    const controller = new AbortController();
    // Act
    const done = runCli(['tail', '--from-start', '--json'], {
      out: (line) => {
        lines.push(line);
        if (line.includes('tail-me')) controller.abort();
      },
      err: () => undefined,
      signal: controller.signal,
    });
    const timeout = setTimeout(() => controller.abort(), 60_000);
    const code = await done;
    clearTimeout(timeout);
    // Assess
    expect(code).toBe(0);
    const event = JSON.parse(lines.find((l) => l.includes('tail-me'))!);
    expect(event).toMatchObject({ schemaVersion: 1, table: 'dms_ready', operation: 'insert', keys: { id: 'tail-me' }, new: { id: 'tail-me', v: '1' } });
  });

  it.each([
    [['status', 'no_such_table'], 1, /^dms-event-bus: Table no_such_table not found in us-east-1\.$/],
    [['tail', '--stream-name', 'no-such-stream'], 1, /^dms-event-bus: Kinesis stream no-such-stream not found in us-east-1\.$/],
    [['frobnicate'], 2, /^dms-event-bus: unknown command "frobnicate" \(see dms-event-bus --help\)$/],
    [['status', '--bogus'], 2, /^dms-event-bus: Unknown option '--bogus'.*\(see dms-event-bus --help\)$/],
    [['backfill'], 2, /^dms-event-bus: backfill needs exactly one table name/],
  ])('%j fails with one clear sentence', async (argv, expectedCode, message) => {
    // Act
    const { code, err, out } = await cli(...argv);
    // Assess
    expect(code).toBe(expectedCode);
    expect(err).toMatch(message);
    expect(err.split('\n')).toHaveLength(1);
    expect(out).toBe('');
  });

  it('says which setting is missing when the forwarder is not configured', async () => {
    // Prepare
    const restore = applyEnv({ FORWARDER_FUNCTION_ARN: '' });
    try {
      // Act
      const { code, err } = await cli('status');
      // Assess
      expect(code).toBe(1);
      expect(err).toBe('dms-event-bus: Which forwarder? Set FORWARDER_FUNCTION_ARN or pass --forwarder <name|arn> (the stack output ForwarderFunctionArn).');
    } finally {
      restore();
    }
  });
});
