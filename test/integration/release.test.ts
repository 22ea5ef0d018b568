/**
 * Release on moto: three converged tables (one with a GSI); the sweep after the scope
 * narrowed, and the `dms-event-bus release` and `uninstall` commands (output, exit codes,
 * clear errors), each checked by reading moto's state back.
 */
import { DescribeTableCommand, DynamoDBClient, ListTagsOfResourceCommand } from '@aws-sdk/client-dynamodb';
import { GetFunctionConcurrencyCommand, LambdaClient, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import { runCli } from '../../cli/main';
import { applyEnv } from '../../local/emulators';
import { loadReconcilerConfig } from '../../src/config/reconciler';
import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { createAwsDeps } from '../../reconciler/aws-deps';
import { createOperator } from '../../reconciler/operator';
import { useLocalAws } from '../support/local-aws';
import { createDmsLikeTable, createEmptyFunction, createLambdaRole } from '../support/moto-functions';

jest.setTimeout(90_000);

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t), signal: new AbortController().signal });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('release on moto', () => {
  const localAws = useLocalAws({ services: { moto: true, kinesis: false } });
  let restoreEnv: () => void = () => undefined;
  let lambda: LambdaClient;
  let ddb: DynamoDBClient;
  let forwarderArn: string;

  beforeEach(async () => {
    const aws = localAws();
    await aws.resetMoto();
    lambda = new LambdaClient({});
    ddb = new DynamoDBClient({});
    const role = await createLambdaRole(aws.motoUrl, aws.region);
    const fn = (name: string, timeout: number) => createEmptyFunction(lambda, role, name, timeout);
    forwarderArn = (await fn('forwarder', 60)).FunctionArn!;
    await fn('reconciler', 1);
    for (const [name, gsi] of [['orders', true], ['customers', false], ['invoices', false]] as const) {
      await createDmsLikeTable(ddb, name, gsi ? { indexName: 'by-c', indexKey: 'c' } : undefined);
    }
    const env = { FORWARDER_FUNCTION_ARN: forwarderArn, BACKFILL_ENABLED: 'false', LOG_LEVEL: 'ERROR' };
    const quiet = { logger: createLogger({ service: 't', level: 'ERROR', write: () => undefined }), metrics: createMetrics({ service: 't', write: () => undefined }) };
    await createOperator(createAwsDeps(loadReconcilerConfig(env), quiet)).sweep();
    restoreEnv = applyEnv({ ...env, TABLE_INCLUDE_PATTERNS: '*' });
  });
  afterEach(() => restoreEnv());

  const mappingsOf = async (table: string) => ((await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: forwarderArn }))).EventSourceMappings ?? []).filter((m) => m.EventSourceArn!.includes(`:table/${table}/`));
  const targets = async () => (await new ApplicationAutoScalingClient({}).send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'dynamodb' }))).ScalableTargets ?? [];
  const ourTags = async (table: string) => {
    const arn = (await ddb.send(new DescribeTableCommand({ TableName: table }))).Table!.TableArn;
    return ((await ddb.send(new ListTagsOfResourceCommand({ ResourceArn: arn }))).Tags ?? []).filter((t) => t.Key!.startsWith('dms-event-bus:'));
  };

  it.each([
    [['release'], 2, 'release needs at least one table name (see dms-event-bus --help)'],
    [['release', 'a/b'], 2, 'not a DynamoDB table name: a/b'],
    [['uninstall', 'orders'], 2, 'uninstall takes no table names'],
  ])('%j: a clear error, exit %d', async (argv, code, message) => {
    // Act
    const result = await cli(...argv);
    // Assess
    expect(result.code).toBe(code);
    expect(result.err).toContain(message);
  });

  it('a sweep after the scope narrowed releases the table left out (streams kept); a second sweep does nothing', async () => {
    // Prepare
    const quiet = { logger: createLogger({ service: 't', level: 'ERROR', write: () => undefined }), metrics: createMetrics({ service: 't', write: () => undefined }) };
    const narrowed = createOperator(createAwsDeps(loadReconcilerConfig({ FORWARDER_FUNCTION_ARN: forwarderArn, BACKFILL_ENABLED: 'false', TABLE_EXCLUDE_PATTERNS: 'orders' }), quiet));
    const stream = (await ddb.send(new DescribeTableCommand({ TableName: 'orders' }))).Table!.StreamSpecification;
    // Act
    const first = await narrowed.sweep();
    const second = await narrowed.sweep();
    // Assess
    expect(first.tables.find((t) => t.table === 'orders')).toMatchObject({ outcome: 'released' });
    expect(first.counts).toMatchObject({ released: 1, errors: 0 });
    expect(await mappingsOf('orders')).toEqual([]);
    expect((await targets()).filter((t) => t.ResourceId!.startsWith('table/orders'))).toEqual([]);
    expect(await ourTags('orders')).toEqual([]);
    expect((await ddb.send(new DescribeTableCommand({ TableName: 'orders' }))).Table!.StreamSpecification).toEqual(stream);
    expect((await mappingsOf('customers')).length).toBe(1);
    expect(second.tables.map((t) => [t.table, t.outcome]).sort()).toEqual([['customers', 'converged'], ['invoices', 'converged']]);
    expect(second.counts).toMatchObject({ released: 0, changed: 0 });
  });

  it('refuses to release a table still in scope without --force, changing nothing', async () => {
    // Act
    const result = await cli('release', 'orders', 'customers');
    // Assess
    expect(result.code).toBe(1);
    expect(result.err).toContain('orders, customers are still in scope (TABLE_INCLUDE_PATTERNS=*');
    expect(result.err).toContain('--force');
    expect(await mappingsOf('orders')).toHaveLength(1);
  });

  it('out of scope: --dry-run shows the release, then release takes it back, and again finds nothing', async () => {
    // Prepare
    restoreEnv = ((outer) => { const inner = applyEnv({ TABLE_INCLUDE_PATTERNS: 'customers,invoices' }); return () => { inner(); outer(); }; })(restoreEnv);
    // Act
    const dry = await cli('release', 'orders', '--dry-run');
    const mappingsAfterDry = (await mappingsOf('orders')).length;
    const real = await cli('release', 'orders');
    const again = await cli('release', 'orders', '--json');
    // Assess
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(/^orders: planned\n {2}would remove tags dms-event-bus:stream-enabled-by/);
    expect(dry.out).toContain('would delete mapping');
    expect(dry.out).toContain('kept: stream arn:aws:dynamodb:');
    expect(mappingsAfterDry).toBe(1);
    expect(real.code).toBe(0);
    expect(real.out).toMatch(/^orders: released\n/);
    expect(await mappingsOf('orders')).toEqual([]);
    expect((await targets()).filter((t) => t.ResourceId!.startsWith('table/orders'))).toEqual([]);
    expect(await ourTags('orders')).toEqual([]);
    expect((await mappingsOf('customers')).length).toBe(1);
    expect(JSON.parse(again.out).tables[0]).toMatchObject({ table: 'orders', outcome: 'nothing-to-release', actions: [] });
  });

  it('a table that does not exist and has nothing of ours: a clear error', async () => {
    // Act
    const result = await cli('release', 'no_such_table', '--force');
    // Assess
    expect(result.code).toBe(1);
    expect(result.err).toContain('Table no_such_table not found');
  });

  it('uninstall without --yes lists and changes nothing; with --yes it stops the reconciler and releases every table', async () => {
    // Act
    const listed = await cli('uninstall');
    const mappingsAfterList = (await mappingsOf('orders')).length + (await mappingsOf('customers')).length + (await mappingsOf('invoices')).length;
    const done = await cli('uninstall', '--yes', '--function-name', 'reconciler');
    // Assess
    expect(listed.code).toBe(1);
    expect(listed.out).toContain('3 tables to release');
    expect(listed.err).toContain('Re-run with --yes to release these 3 tables');
    expect(mappingsAfterList).toBe(3);
    expect(done.code).toBe(0);
    expect(done.err).toContain('Stopped the reconciler reconciler');
    expect(done.err).toMatch(/\[\d+ tables looked at, 3 released\]/);
    expect(done.out).toContain('Released 3 tables.');
    for (const table of ['orders', 'customers', 'invoices']) {
      expect(await mappingsOf(table)).toEqual([]);
      expect(await ourTags(table)).toEqual([]);
    }
    expect(await targets()).toEqual([]);
    expect((await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: 'reconciler' }))).ReservedConcurrentExecutions).toBe(0);
  });
});
