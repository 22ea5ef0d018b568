/**
 * The reconciler against moto (DynamoDB, Streams, Lambda's mapping API, Application Auto
 * Scaling, EventBridge): every check reads moto's state back through the SDK.
 *
 * moto gap: after a stream is disabled, moto keeps the table's stream label, so enabling
 * a stream again fails with ResourceInUseException (AWS allows it). The "stream disabled
 * by hand" case therefore asserts that the sweep detects it and plans enable-stream, and
 * that it is requeued (not failed) when moto refuses.
 *
 * moto gap: DescribeStream on a disabled stream (or one of a dropped table that was
 * re-created) fails with a server error, where AWS answers DISABLED; the reconciler then
 * keeps the mapping, unobserved. The drain rule itself is tested on the fake (drain.test.ts).
 *
 * moto is kinder than AWS on reads: DescribeTable is strongly consistent there. The
 * stale-read tests wrap the real DynamoDB adapter so that DescribeTable answers with the
 * table as it was before the last change for a few seconds, as AWS may.
 */
import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand, DynamoDBClient, UpdateTableCommand, ListTagsOfResourceCommand } from '@aws-sdk/client-dynamodb';
import { LambdaClient, ListEventSourceMappingsCommand, UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import {
  ApplicationAutoScalingClient, DeleteScalingPolicyCommand, DescribeScalableTargetsCommand, DescribeScalingPoliciesCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { loadReconcilerConfig, type ReconcilerConfig } from '../../src/config/reconciler';
import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { createAwsDeps } from '../../reconciler/aws-deps';
import { createOperator, Outcome, type Operator } from '../../reconciler/operator';
import { createHandler } from '../../reconciler/index';
import type { BackfillStarter, Clock } from '../../reconciler/ports';
import { createBackfillStarter, createReconcilerBackfillDeps } from '../../reconciler/backfill/index';
import type { BackfillInvocation } from '../../src/backfill-state/ports';
import { createRunnerStore } from '../../src/backfill-state/dynamodb-segments';
import { loadBackfillStarterConfig } from '../../src/config/backfill-starter';
import { useLocalAws } from '../support/local-aws';
import { SAMPLES } from '../unit/reconciler/cloudtrail-samples';
import { createEmptyFunction, createLambdaRole } from '../support/moto-functions';
import { withStaleDescribeTable } from '../support/stale-reads';

const ACCOUNT = '123456789012';
/** Real time, but backoff sleeps shortened tenfold: moto answers at once. */
const quickClock: Clock = { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms / 10)) };
const context = { getRemainingTimeInMillis: () => 120_000 } as unknown as Context;

// The first call to each moto service loads its backend (seconds on a small machine).
jest.setTimeout(30_000);

describe('reconciler on moto', () => {
  const localAws = useLocalAws({ services: { moto: true, kinesis: false } });
  let ddb: DynamoDBClient;
  let lambda: LambdaClient;
  let aas: ApplicationAutoScalingClient;
  let config: ReconcilerConfig;
  let backfills: { tableName: string; streamArn: string }[];

  // A recording starter with the state table's observable side: one run per table, kept running.
  const runs = new Map<string, { streamArn: string; runId: string; status: 'running'; updatedAt: number }>();
  const backfill: BackfillStarter = {
    start: async (request) => {
      if (runs.get(request.tableName)?.streamArn === request.streamArn) return 'already-running';
      backfills.push({ tableName: request.tableName, streamArn: request.streamArn });
      runs.set(request.tableName, { streamArn: request.streamArn, runId: `run-${backfills.length}`, status: 'running', updatedAt: Date.now() });
      return 'started';
    },
    getRun: async (tableName) => runs.get(tableName) ?? null,
    listRuns: async () => ({ items: [...runs].map(([tableName, run]) => ({ tableName, ...run })) }),
    stallAfterMs: 15 * 60_000,
  };
  const newOperator = (): Operator => createOperator(createAwsDeps(config, {
    backfill, clock: quickClock,
    logger: createLogger({ service: 'reconciler-test', level: 'ERROR' }),
    metrics: createMetrics({ service: 'reconciler-test', write: () => undefined }),
  }));

  beforeEach(async () => {
    const aws = localAws();
    await aws.resetMoto();
    ddb = new DynamoDBClient({});
    lambda = new LambdaClient({});
    aas = new ApplicationAutoScalingClient({});
    const sqs = new SQSClient({});
    const role = await createLambdaRole(aws.motoUrl, aws.region, 'forwarder-role');
    const fn = await createEmptyFunction(lambda, role, 'forwarder');
    const queue = await sqs.send(new CreateQueueCommand({ QueueName: 'forwarder-dlq' }));
    const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] }));
    config = loadReconcilerConfig({
      FORWARDER_FUNCTION_ARN: fn.FunctionArn, FORWARDER_DLQ_ARN: attributes.Attributes!.QueueArn, ESM_BATCH_SIZE: '250', ESM_BATCHING_WINDOW_SECONDS: '1',
      ESM_PARALLELIZATION_FACTOR: '2', ESM_MAX_RETRY_ATTEMPTS: '5', ESM_MAX_RECORD_AGE_SECONDS: '3600', ESM_BISECT_ON_ERROR: 'true', SCALING_MIN_CAPACITY: '2', SCALING_MAX_CAPACITY: '400',
      SCALING_TARGET_UTILIZATION: '65', POWERTOOLS_LOG_LEVEL: 'ERROR',
    });
    backfills = [];
    runs.clear();
  });

  const createTable = (name: string, withIndex = false) =>
    ddb.send(new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }, ...(withIndex ? [{ AttributeName: 'customer', AttributeType: 'S' as const }] : [])],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      ProvisionedThroughput: { ReadCapacityUnits: 200, WriteCapacityUnits: 200 },
      ...(withIndex ? { GlobalSecondaryIndexes: [{
        IndexName: 'by-customer', KeySchema: [{ AttributeName: 'customer', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' },
        ProvisionedThroughput: { ReadCapacityUnits: 200, WriteCapacityUnits: 200 },
      }] } : {}),
    }));
  const mappings = async () => (await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: config.forwarderFunctionArn }))).EventSourceMappings ?? [];
  const describe = async (name: string) => (await ddb.send(new DescribeTableCommand({ TableName: name }))).Table!;
  const targets = async () => (await aas.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'dynamodb' }))).ScalableTargets ?? [];
  const policies = async () => (await aas.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'dynamodb' }))).ScalingPolicies ?? [];
  const createTableEvent = (name: string) => {
    const event = structuredClone(SAMPLES.dmsCreateTableWithGsi) as unknown as { region: string; detail: { awsRegion: string; requestParameters: { tableName: string } } };
    event.region = localAws().region;
    event.detail.awsRegion = localAws().region;
    event.detail.requestParameters.tableName = name;
    return event;
  };

  it('converges a new table from its CreateTable event, and a second run takes no action', async () => {
    // Prepare
    await createTable('orders', true);
    const handler = createHandler(() => ({ config, operator: newOperator(), logger: createLogger({ service: 't', level: 'ERROR' }), metrics: createMetrics({ service: 't', write: () => undefined }) }));
    // Act
    const first = (await handler(createTableEvent('orders'), context)) as { counts: Record<string, number> };
    const second = (await handler(createTableEvent('orders'), context)) as { counts: Record<string, number>; tables: { actions: unknown[] }[] };
    // Assess
    const table = await describe('orders');
    expect(table.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    const tags = await ddb.send(new ListTagsOfResourceCommand({ ResourceArn: table.TableArn }));
    expect(tags.Tags).toEqual(expect.arrayContaining([{ Key: 'dms-event-bus:stream-enabled-by', Value: 'reconciler' }]));
    const found = await mappings();
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      EventSourceArn: table.LatestStreamArn, State: 'Enabled', StartingPosition: 'TRIM_HORIZON', BatchSize: 250, MaximumBatchingWindowInSeconds: 1,
      ParallelizationFactor: 2, MaximumRetryAttempts: 5, MaximumRecordAgeInSeconds: 3600, BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'], DestinationConfig: { OnFailure: { Destination: config.mapping.onFailureDestination } },
    });
    expect((await targets()).map((t) => [t.ResourceId, t.ScalableDimension, t.MinCapacity, t.MaxCapacity]).sort()).toEqual([
      ['table/orders', 'dynamodb:table:ReadCapacityUnits', 2, 400], ['table/orders', 'dynamodb:table:WriteCapacityUnits', 2, 400],
      ['table/orders/index/by-customer', 'dynamodb:index:ReadCapacityUnits', 2, 400], ['table/orders/index/by-customer', 'dynamodb:index:WriteCapacityUnits', 2, 400],
    ].sort());
    const found_policies = await policies();
    expect(found_policies).toHaveLength(4);
    for (const p of found_policies) {
      expect(p.PolicyType).toBe('TargetTrackingScaling');
      expect(p.TargetTrackingScalingPolicyConfiguration?.TargetValue).toBe(65);
      expect(p.TargetTrackingScalingPolicyConfiguration?.PredefinedMetricSpecification?.PredefinedMetricType)
        .toBe(p.ScalableDimension!.endsWith('ReadCapacityUnits') ? 'DynamoDBReadCapacityUtilization' : 'DynamoDBWriteCapacityUtilization');
    }
    expect(backfills).toEqual([{ tableName: 'orders', streamArn: table.LatestStreamArn }]);
    expect(first.counts).toMatchObject({ seen: 1, changed: 1, errors: 0 });
    expect(second.counts).toMatchObject({ seen: 1, converged: 1, changed: 0 });
    expect(second.tables[0]!.actions).toEqual([]);
  });

  it('leaves exactly one mapping after two concurrent runs', async () => {
    // Prepare
    await createTable('orders');
    await ddb.send(new UpdateTableCommand({ TableName: 'orders', StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } }));
    // Act
    const results = await Promise.all([newOperator().reconcileTables(['orders']), newOperator().reconcileTables(['orders']), newOperator().reconcileTables(['orders'])]);
    // Assess
    expect(await mappings()).toHaveLength(1);
    expect(results.flatMap((r) => r.tables).map((t) => t.outcome)).not.toContain(Outcome.Error);
  });

  it('ends a dropped and re-created table with a mapping on its newest stream, keeping the old one until its stream is known drained', async () => {
    // Prepare
    await createTable('orders');
    await newOperator().reconcileTables(['orders']);
    const oldArn = (await describe('orders')).LatestStreamArn;
    await ddb.send(new DeleteTableCommand({ TableName: 'orders' }));
    await createTable('orders');
    // Act
    const summary = await newOperator().reconcileTables(['orders']);
    // Assess
    const newArn = (await describe('orders')).LatestStreamArn;
    expect((await mappings()).map((m) => m.EventSourceArn).sort()).toEqual([oldArn, newArn].sort());
    // moto fails DescribeStream on the dropped table's stream (AWS answers DISABLED): unobserved, so kept.
    expect(summary.tables[0]!.draining).toEqual([expect.objectContaining({ streamArn: oldArn, reason: 'stream-not-observed' })]);
  });

  it('deletes mappings and deregisters scaling targets after DeleteTable', async () => {
    // Prepare
    await createTable('orders', true);
    await newOperator().reconcileTables(['orders']);
    await ddb.send(new DeleteTableCommand({ TableName: 'orders' }));
    const event = createTableEvent('orders') as unknown as { detail: { eventName: string } };
    event.detail.eventName = 'DeleteTable';
    const handler = createHandler(() => ({ config, operator: newOperator(), logger: createLogger({ service: 't', level: 'ERROR' }), metrics: createMetrics({ service: 't', write: () => undefined }) }));
    // Act
    const result = await handler(event, context);
    // Assess
    expect(result).toMatchObject({ counts: { removed: 1 } });
    expect(await mappings()).toEqual([]);
    expect(await targets()).toEqual([]);
    expect(await policies()).toEqual([]);
  });

  it('sweeps: repairs a disabled/changed mapping and a removed policy, picks up a table created with no event, cleans up a deleted one', async () => {
    // Prepare
    for (const name of ['drifted', 'policy-less', 'gone']) await createTable(name);
    await newOperator().reconcileTables(['drifted', 'policy-less', 'gone']);
    const streamOf = async (name: string) => (await describe(name)).LatestStreamArn;
    const driftedArn = await streamOf('drifted');
    const driftedUuid = (await mappings()).find((m) => m.EventSourceArn === driftedArn)!.UUID!;
    await lambda.send(new UpdateEventSourceMappingCommand({ UUID: driftedUuid, Enabled: false, BatchSize: 10, FunctionResponseTypes: [] }));
    await aas.send(new DeleteScalingPolicyCommand({ ServiceNamespace: 'dynamodb', ResourceId: 'table/policy-less', ScalableDimension: 'dynamodb:table:WriteCapacityUnits', PolicyName: 'dms-event-bus-write-utilization' }));
    await ddb.send(new DeleteTableCommand({ TableName: 'gone' }));
    await createTable('no-event');
    await createTable('awsdms_apply_exceptions');
    // Act
    const summary = await newOperator().sweep();
    const again = await newOperator().sweep();
    // Assess
    expect(summary.complete).toBe(true);
    const after = await mappings();
    expect(after.find((m) => m.UUID === driftedUuid)).toMatchObject({ State: 'Enabled', BatchSize: 250, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    expect((await policies()).filter((p) => p.ResourceId === 'table/policy-less')).toHaveLength(2);
    expect(after.map((m) => m.EventSourceArn).sort()).toEqual([driftedArn, await streamOf('policy-less'), await streamOf('no-event')].sort());
    expect((await targets()).some((t) => t.ResourceId === 'table/gone')).toBe(false);
    expect((await describe('awsdms_apply_exceptions')).StreamSpecification).toBeUndefined();
    expect(summary.counts).toMatchObject({ seen: 4, changed: 3, removed: 1, errors: 0 });
    expect(again.counts).toMatchObject({ seen: 3, converged: 3, changed: 0 });
  });

  it('detects a stream disabled by hand and plans to enable it again (moto then refuses: requeued, not failed)', async () => {
    // Prepare
    await createTable('orders');
    await newOperator().reconcileTables(['orders']);
    await ddb.send(new UpdateTableCommand({ TableName: 'orders', StreamSpecification: { StreamEnabled: false } }));
    // Act
    const planned = await newOperator().status(['orders']);
    const swept = await newOperator().sweep();
    // Assess
    expect(planned.tables[0]!.actions.map((a) => a.type)).toEqual(['enable-stream', 'tag-stream-owner', 'create-mapping', 'start-backfill']);
    expect(planned.tables[0]!.draining).toHaveLength(1); // the disabled stream is read to its end first
    expect(swept.tables[0]).toMatchObject({ table: 'orders', outcome: Outcome.Requeue, retry: 'now' });
    expect(swept.counts.errors).toBe(0);
  });

  it('converges the backfill through the real starter and state table: a failed start is repaired by a sweep, a done run is left alone', async () => {
    // Prepare
    await ddb.send(new CreateTableCommand({
      TableName: 'backfill-state', BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
    }));
    await createTable('orders');
    const invoked: BackfillInvocation[] = [];
    const backfillDeps = createReconcilerBackfillDeps(
      loadBackfillStarterConfig({ BACKFILL_STATE_TABLE: 'backfill-state', AWS_REGION: localAws().region }),
      { invoker: { invoke: async (payload) => { invoked.push(payload); } }, logger: createLogger({ service: 't', level: 'ERROR' }) },
    );
    const real = createBackfillStarter(backfillDeps);
    // The state table is the project's own: excluded, as a deployment's include patterns do.
    const operatorWith = (starter: BackfillStarter) => createOperator(createAwsDeps({ ...config, exclude: [...config.exclude, 'backfill-state'] }, {
      backfill: starter, clock: quickClock, logger: createLogger({ service: 'reconciler-test', level: 'ERROR' }), metrics: createMetrics({ service: 'reconciler-test', write: () => undefined }),
    }));
    const failed = await operatorWith({ ...real, start: async () => { throw new Error('state table unavailable'); } }).reconcileTables(['orders']);
    const operator = operatorWith(real);
    // Act
    const repaired = await operator.sweep();
    const run = (await real.getRun('orders'))!;
    await createRunnerStore(ddb, 'backfill-state').finish('orders', run.runId, 'done', undefined, Date.now());
    const after = await operator.sweep();
    // Assess
    const streamArn = (await describe('orders')).LatestStreamArn;
    expect(failed.tables[0]!.outcome).toBe(Outcome.Error);
    expect(repaired.tables.find((t) => t.table === 'orders')!.actions).toEqual([{ type: 'start-backfill', reason: 'no-run' }]);
    expect(run).toMatchObject({ tableName: 'orders', streamArn, status: 'running' });
    expect(invoked).toEqual([{ action: 'backfill', tableName: 'orders', runId: run.runId }]);
    expect((await real.listRuns()).items).toEqual([expect.objectContaining({ tableName: 'orders', streamArn, status: 'done' })]);
    expect(after.tables.find((t) => t.table === 'orders')!.outcome).toBe(Outcome.Converged);
  });

  // Stale DescribeTable reads (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DescribeTable.html).
  const STALE_MS = 2_000;
  const staleOperator = () => {
    const deps = createAwsDeps(config, {
      backfill, clock: quickClock, logger: createLogger({ service: 'reconciler-test', level: 'ERROR' }), metrics: createMetrics({ service: 'reconciler-test', write: () => undefined }),
    });
    const tables = withStaleDescribeTable(deps.tables, quickClock, STALE_MS);
    return { operator: createOperator({ ...deps, tables }), tables };
  };
  const labelTag = async (arn: string) => (await ddb.send(new ListTagsOfResourceCommand({ ResourceArn: arn }))).Tags?.find((t) => t.Key === 'dms-event-bus:stream-label')?.Value;

  it('stale reads, enable: mapping, owner tag and backfill go to the stream UpdateTable reported', async () => {
    // Prepare
    await createTable('orders');
    const { operator, tables } = staleOperator();
    // Act
    const summary = await operator.reconcileTables(['orders']);
    // Assess
    const table = await describe('orders');
    expect(tables.staleAnswers).toBeGreaterThan(0);
    expect(summary.tables[0]!.outcome).toBe(Outcome.Changed);
    expect((await mappings()).map((m) => m.EventSourceArn)).toEqual([table.LatestStreamArn]);
    expect(await labelTag(table.TableArn!)).toBe(table.LatestStreamLabel);
    expect(backfills).toEqual([{ tableName: 'orders', streamArn: table.LatestStreamArn }]);
  });

  it('stale reads, re-create: the new table is converged on its own stream once DescribeTable shows it, never on the stale one', async () => {
    // Prepare
    await createTable('orders');
    const first = staleOperator();
    await first.operator.reconcileTables(['orders']);
    const oldArn = (await describe('orders')).LatestStreamArn;
    await new Promise((resolve) => setTimeout(resolve, STALE_MS));
    await first.tables.beforeChange('orders'); // DescribeTable keeps showing the dropped table for a while
    await ddb.send(new DeleteTableCommand({ TableName: 'orders' }));
    await createTable('orders');
    // Act
    const during = await first.operator.reconcileTables(['orders'], { expectExists: true });
    await new Promise((resolve) => setTimeout(resolve, STALE_MS));
    const summary = await first.operator.reconcileTables(['orders'], { expectExists: true });
    // Assess
    const table = await describe('orders');
    expect(during.tables[0]!.actions).toEqual([]);
    expect(summary.tables[0]!.outcome).toBe(Outcome.Changed);
    expect(table.LatestStreamArn).not.toBe(oldArn);
    expect((await mappings()).map((m) => m.EventSourceArn).sort()).toEqual([oldArn, table.LatestStreamArn].sort());
    expect(await labelTag(table.TableArn!)).toBe(table.LatestStreamLabel);
    expect(backfills.map((b) => b.streamArn)).toEqual([oldArn, table.LatestStreamArn]);
  });
});
