/**
 * Plays every sample in events/ against the built bundles exactly as
 * `sam local invoke <Function> -e events/<sample>.json --env-vars events/env.json` would:
 * same bundle (template Metadata), same handler path, the template's Environment.Variables
 * (parameters at their defaults) overridden by env.json, a fresh process with a Lambda-like
 * context. The one deviation: the AWS_ENDPOINT_URL_* values env.json sets (example ports)
 * are replaced by the ports the emulators got. Outcomes are read back from the emulators.
 */
import { CreateTableCommand, DeleteTableCommand, DescribeTableCommand, GetItemCommand, PutItemCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { join } from 'node:path';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createDynamoDbClient, createKinesisClient, createLambdaClient } from '../../src/aws/clients';
import { provisionLocalStack, type LocalStack } from '../../local/stack';
import { startResponseServer } from '../support/cfn-response-server';
import { useLocalAws } from '../support/local-aws';
import { buildFunctions, invokeLocal, loadProjectTemplate, localEnvironment, readEnvJson, ROOT, type BuiltFunction, type Invocation } from '../support/sam-local';

const localAws = useLocalAws();
const template = loadProjectTemplate();
const envJson = readEnvJson();
const EVENTS = join(ROOT, 'events');
/** Rows DMS wrote to `orders` before the reconciler enabled its stream. */
const BACKFILLED_ORDERS = ['3001', '3002', '3003'];
const scratch = mkdtempSync(join(tmpdir(), 'dms-event-bus-sam-local-'));

let built: { functions: Record<string, BuiltFunction>; cleanup: () => void };
let stack: LocalStack;
// Built after useLocalAws has routed the SDK to the emulators (clients read the endpoint variables lazily).
const clients = { dynamodb: createDynamoDbClient(), kinesis: createKinesisClient(), lambda: createLambdaClient(), sqs: new SQSClient({}), scaling: new ApplicationAutoScalingClient({}) };
const dynamodb = () => clients.dynamodb;
const kinesis = clients.kinesis;

/** Template env + env.json, with env.json's example endpoint ports swapped for the live ones. */
function functionEnv(logicalId: string): Record<string, string> {
  const { env, unresolved } = localEnvironment(template, logicalId, envJson);
  if (unresolved.length > 0) throw new Error(`env.json must set ${unresolved.join(', ')} for ${logicalId}`);
  const live = localAws().env;
  for (const name of Object.keys(env)) {
    if (!name.startsWith('AWS_ENDPOINT_URL_') || env[name] === '') continue;
    if (!live[name]) throw new Error(`env.json sets ${name} but no local emulator serves it`);
    env[name] = live[name]!;
  }
  return env;
}

const FUNCTION_NAMES = () => ({ ForwarderFunction: stack.forwarderFunctionName, ReconcilerFunction: stack.reconcilerFunctionName, SnapshotFunction: stack.snapshotFunctionName, TeardownFunction: 'dms-event-bus-teardown' });

async function invoke(logicalId: 'ForwarderFunction' | 'ReconcilerFunction' | 'SnapshotFunction' | 'TeardownFunction', sample: string): Promise<Invocation> {
  const resource = template.Resources[logicalId];
  const live = localAws().env;
  const invocation = await invokeLocal({
    fn: built.functions[logicalId]!,
    functionName: FUNCTION_NAMES()[logicalId],
    env: functionEnv(logicalId),
    eventPath: sample.startsWith('/') ? sample : join(EVENTS, sample),
    timeoutSeconds: Number(resource.Properties.Timeout),
    memoryMb: Number(resource.Properties.MemorySize),
    runtimeEnv: { AWS_REGION: live.AWS_REGION!, AWS_ACCESS_KEY_ID: live.AWS_ACCESS_KEY_ID!, AWS_SECRET_ACCESS_KEY: live.AWS_SECRET_ACCESS_KEY! },
  });
  if (!invocation.outcome.ok) {
    throw new Error(`${logicalId} ${sample} threw ${JSON.stringify(invocation.outcome.error)}\n${invocation.stdout.slice(-3000)}\n${invocation.stderr.slice(-2000)}`);
  }
  return invocation;
}

/** The table as DMS creates it: 200/200 provisioned capacity, no stream; key schema from the sample. */
async function createTableLikeDms(sample: string): Promise<string> {
  const event = JSON.parse(readFileSync(join(EVENTS, sample), 'utf8'));
  const request = event.detail.requestParameters;
  const capacity = { ReadCapacityUnits: 200, WriteCapacityUnits: 200 };
  const input: CreateTableCommandInput = {
    TableName: request.tableName,
    AttributeDefinitions: request.attributeDefinitions.map((a: any) => ({ AttributeName: a.attributeName, AttributeType: a.attributeType })),
    KeySchema: request.keySchema.map((k: any) => ({ AttributeName: k.attributeName, KeyType: k.keyType })),
    ProvisionedThroughput: capacity,
    ...(request.globalSecondaryIndexes
      ? {
          GlobalSecondaryIndexes: request.globalSecondaryIndexes.map((index: any) => ({
            IndexName: index.indexName,
            KeySchema: index.keySchema.map((k: any) => ({ AttributeName: k.attributeName, KeyType: k.keyType })),
            Projection: { ProjectionType: index.projection.projectionType },
            ProvisionedThroughput: capacity,
          })),
        }
      : {}),
  };
  await dynamodb().send(new CreateTableCommand(input));
  return request.tableName;
}

async function mappingsOf(functionArn: string) {
  const out = await clients.lambda.send(new ListEventSourceMappingsCommand({ FunctionName: functionArn }));
  return out.EventSourceMappings ?? [];
}

async function scalableTargets(tableName: string) {
  const out = await clients.scaling.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'dynamodb' }));
  return (out.ScalableTargets ?? []).filter((target) => target.ResourceId === `table/${tableName}` || target.ResourceId?.startsWith(`table/${tableName}/index/`));
}

/** Everything on the change stream so far, in per-shard order. */
async function readStream(): Promise<Record<string, any>[]> {
  const events: Record<string, any>[] = [];
  const { Shards: shards = [] } = await kinesis.send(new ListShardsCommand({ StreamName: stack.streamName }));
  for (const shard of shards) {
    let { ShardIterator: iterator } = await kinesis.send(new GetShardIteratorCommand({ StreamName: stack.streamName, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }));
    while (iterator) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      for (const record of page.Records ?? []) events.push(JSON.parse(Buffer.from(record.Data!).toString('utf8')));
      if ((page.Records ?? []).length === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return events;
}

/** The Kinesis events of a sample's stream records (matched by the stream's eventID), in stream order. */
function eventsForSample(all: Record<string, any>[], sample: string) {
  const records = JSON.parse(readFileSync(join(EVENTS, sample), 'utf8')).Records as any[];
  const ids = new Set(records.map((record) => record.eventID as string));
  return { records, events: all.filter((event) => ids.has(event.id)) };
}

beforeAll(async () => {
  built = await buildFunctions();
  stack = await provisionLocalStack(
    clients,
    { motoUrl: localAws().motoUrl, region: localAws().region, shardCount: 2 },
  );
  // env.json names the local stack's resources; the stack helper must have created exactly those.
  expect(stack.forwarderFunctionArn).toBe(envJson.ReconcilerFunction!.FORWARDER_FUNCTION_ARN);
  expect(stack.forwarderDlqArn).toBe(envJson.ReconcilerFunction!.FORWARDER_DLQ_ARN);
  expect(stack.streamName).toBe(envJson.Parameters!.KINESIS_STREAM_NAME);
}, 120_000);

afterAll(() => {
  built?.cleanup();
  rmSync(scratch, { recursive: true, force: true });
  for (const client of Object.values(clients)) client.destroy();
});

describe('sam local invoke ReconcilerFunction', () => {
  it('cloudtrail-create-table.json converges the table DMS created', async () => {
    // Prepare
    const table = await createTableLikeDms('cloudtrail-create-table.json');
    await dynamodb().send(new PutItemCommand({ TableName: table, Item: { customer_id: { N: '1' }, name: { S: 'written before the stream' } } }));
    // Act
    const { outcome } = await invoke('ReconcilerFunction', 'cloudtrail-create-table.json');
    // Assess
    expect(outcome.ok && outcome.result.status).toBe('ok');
    const { Table: described } = await dynamodb().send(new DescribeTableCommand({ TableName: table }));
    expect(described?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    const mappings = (await mappingsOf(stack.forwarderFunctionArn)).filter((mapping) => mapping.EventSourceArn === described?.LatestStreamArn);
    expect(mappings).toHaveLength(1);
    expect(mappings[0]).toMatchObject({ StartingPosition: 'TRIM_HORIZON', BatchSize: 100, DestinationConfig: { OnFailure: { Destination: stack.forwarderDlqArn } } });
    expect((await scalableTargets(table)).map((target) => target.ScalableDimension).sort()).toEqual(['dynamodb:table:ReadCapacityUnits', 'dynamodb:table:WriteCapacityUnits']);
  }, 120_000);

  it('cloudtrail-create-table-gsi.json also scales the global secondary index', async () => {
    // Prepare
    const table = await createTableLikeDms('cloudtrail-create-table-gsi.json');
    for (const id of BACKFILLED_ORDERS) {
      await dynamodb().send(new PutItemCommand({ TableName: table, Item: { order_id: { N: id }, customer_id: { N: '42' }, order_date: { S: '2026-11-26' }, note: { S: 'full load, before the stream' } } }));
    }
    // Act
    const { outcome } = await invoke('ReconcilerFunction', 'cloudtrail-create-table-gsi.json');
    // Assess
    expect(outcome.ok && outcome.result.status).toBe('ok');
    const targets = await scalableTargets(table);
    expect(targets.map((target) => `${target.ResourceId} ${target.ScalableDimension}`).sort()).toEqual([
      `table/${table} dynamodb:table:ReadCapacityUnits`,
      `table/${table} dynamodb:table:WriteCapacityUnits`,
      `table/${table}/index/customer_id-order_date-index dynamodb:index:ReadCapacityUnits`,
      `table/${table}/index/customer_id-order_date-index dynamodb:index:WriteCapacityUnits`,
    ]);
  }, 120_000);

  it('cloudtrail-create-table-failed.json changes nothing', async () => {
    // Prepare
    const before = { mappings: await mappingsOf(stack.forwarderFunctionArn), targets: await scalableTargets('customers'), table: (await dynamodb().send(new DescribeTableCommand({ TableName: 'customers' }))).Table?.LatestStreamArn };
    // Act
    const { outcome } = await invoke('ReconcilerFunction', 'cloudtrail-create-table-failed.json');
    // Assess
    expect(outcome.ok && outcome.result.status).toBe('ignored');
    const after = { mappings: await mappingsOf(stack.forwarderFunctionArn), targets: await scalableTargets('customers'), table: (await dynamodb().send(new DescribeTableCommand({ TableName: 'customers' }))).Table?.LatestStreamArn };
    expect(after).toEqual(before);
  }, 120_000);

  it('cloudtrail-update-table.json leaves a converged table with one mapping', async () => {
    // Act
    const { outcome } = await invoke('ReconcilerFunction', 'cloudtrail-update-table.json');
    // Assess
    expect(outcome.ok && outcome.result.status).toBe('ok');
    const { Table: described } = await dynamodb().send(new DescribeTableCommand({ TableName: 'orders' }));
    expect((await mappingsOf(stack.forwarderFunctionArn)).filter((mapping) => mapping.EventSourceArn === described?.LatestStreamArn)).toHaveLength(1);
  }, 120_000);

  it('scheduled-sweep.json sweeps every table and leaves the stack own tables alone', async () => {
    // Act
    const { outcome, metrics } = await invoke('ReconcilerFunction', 'scheduled-sweep.json');
    // Assess
    expect(outcome.ok && outcome.result.status).toBe('ok');
    expect(outcome.ok && outcome.result.counts.errors).toBe(0);
    expect(metrics['Tables.converged']).toBeGreaterThanOrEqual(2);
    const { Table: state } = await dynamodb().send(new DescribeTableCommand({ TableName: stack.backfillStateTable }));
    expect(state?.StreamSpecification?.StreamEnabled ?? false).toBe(false);
  }, 120_000);

  it('reconcile-dry-run.json returns the plan for an unconverged table and changes nothing', async () => {
    // Prepare
    await dynamodb().send(new CreateTableCommand({ TableName: 'payments', AttributeDefinitions: [{ AttributeName: 'payment_id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'payment_id', KeyType: 'HASH' }], ProvisionedThroughput: { ReadCapacityUnits: 200, WriteCapacityUnits: 200 } }));
    // Act
    const { outcome } = await invoke('ReconcilerFunction', 'reconcile-dry-run.json');
    // Assess
    expect(outcome.ok && outcome.result.tables).toEqual([expect.objectContaining({ table: 'payments', outcome: 'planned', actions: expect.arrayContaining([expect.anything()]) })]);
    const { Table: described } = await dynamodb().send(new DescribeTableCommand({ TableName: 'payments' }));
    expect(described?.StreamSpecification?.StreamEnabled ?? false).toBe(false);
    expect(await scalableTargets('payments')).toEqual([]);
  }, 120_000);

  it('status.json reports a converged table without changing it', async () => {
    // Act
    const { outcome } = await invoke('ReconcilerFunction', 'status.json');
    // Assess
    expect(outcome.ok && outcome.result.tables).toEqual([expect.objectContaining({ table: 'orders', actions: [] })]);
  }, 120_000);

  it('the backfill the CreateTable started, run by the snapshot function as Lambda would (async invocation), puts the older rows on Kinesis as snapshots', async () => {
    // Prepare: moto does not run functions, so deliver the invocation the reconciler sent to the snapshot function
    const { Item: state } = await dynamodb().send(new GetItemCommand({ TableName: stack.backfillStateTable, Key: { pk: { S: 'orders' }, sk: { S: 'backfill' } }, ConsistentRead: true }));
    expect(state?.status?.S).toBe('running');
    const continuation = join(scratch, 'backfill-continuation.json');
    writeFileSync(continuation, JSON.stringify({ action: 'backfill', tableName: 'orders', runId: state!.runId!.S }));
    // Act
    const { outcome } = await invoke('SnapshotFunction', continuation);
    // Assess
    expect(outcome.ok).toBe(true);
    const { Item: after } = await dynamodb().send(new GetItemCommand({ TableName: stack.backfillStateTable, Key: { pk: { S: 'orders' }, sk: { S: 'backfill' } }, ConsistentRead: true }));
    expect(after?.status?.S).toBe('done');
    const snapshots = (await readStream()).filter((event) => event.table === 'orders' && event.operation === 'snapshot');
    expect(snapshots.map((event) => event.keys.order_id).sort()).toEqual([...BACKFILLED_ORDERS].sort());
    expect(snapshots.every((event) => event.old === null && event.new?.note === 'full load, before the stream' && event.readAt)).toBe(true);
  }, 120_000);

  it('backfill-table.json (a manual start) leaves a finished backfill alone', async () => {
    // Act
    const { outcome } = await invoke('ReconcilerFunction', 'backfill-table.json');
    // Assess
    expect(outcome.ok && outcome.result).toMatchObject({ action: 'backfill', kind: 'start', tableName: 'orders' });
    const { Item: after } = await dynamodb().send(new GetItemCommand({ TableName: stack.backfillStateTable, Key: { pk: { S: 'orders' }, sk: { S: 'backfill' } }, ConsistentRead: true }));
    expect(after?.status?.S).toBe('done');
  }, 120_000);

  it('cloudtrail-delete-table.json removes the mapping and the scaling targets of the deleted table', async () => {
    // Prepare
    const { Table: described } = await dynamodb().send(new DescribeTableCommand({ TableName: 'customers' }));
    await dynamodb().send(new DeleteTableCommand({ TableName: 'customers' }));
    // Act
    const { outcome } = await invoke('ReconcilerFunction', 'cloudtrail-delete-table.json');
    // Assess
    expect(outcome.ok && outcome.result.status).toBe('ok');
    // moto deletes the stream with the table, so the drain rule finds it gone at once (AWS keeps it 24 h).
    expect((await mappingsOf(stack.forwarderFunctionArn)).filter((mapping) => mapping.EventSourceArn === described?.LatestStreamArn)).toEqual([]);
    expect(await scalableTargets('customers')).toEqual([]);
  }, 120_000);
});

describe('sam local invoke ForwarderFunction', () => {
  const samples = ['stream-insert.json', 'stream-modify.json', 'stream-remove.json', 'stream-ttl-delete.json', 'stream-mixed-batch.json', 'stream-dms-headers.json', 'stream-heartbeat.json'];

  it.each(samples)('%s: every record becomes one change event on Kinesis, nothing reported failed', async (sample) => {
    // Act
    const { outcome, metrics } = await invoke('ForwarderFunction', sample);
    // Assess
    expect(outcome.ok && outcome.result).toEqual({ batchItemFailures: [] });
    const { records, events } = eventsForSample(await readStream(), sample);
    expect(events).toHaveLength(records.length);
    expect(metrics.EventsOut).toBe(records.length);
  }, 120_000);

  it('stream-mixed-batch.json: the events of one item keep their stream order', async () => {
    // Prepare
    const { records, events } = eventsForSample(await readStream(), 'stream-mixed-batch.json');
    const inStream = records.filter((record) => record.dynamodb.Keys.order_id.N === '2001').map((record) => record.dynamodb.SequenceNumber);
    // Assess: one item's events share a partition key, hence a shard, so readStream returns them in Kinesis order
    const onKinesis = events.filter((event) => event.keys.order_id === '2001').map((event) => event.sequenceNumber);
    expect(onKinesis).toEqual(inStream);
    expect(events.filter((event) => event.keys.order_id === '2001').map((event) => event.operation)).toEqual(['insert', 'modify', 'modify', 'remove']);
  }, 120_000);

  it('stream-insert.json keeps all 38 digits and the binary attribute', async () => {
    // Prepare
    const { events } = eventsForSample(await readStream(), 'stream-insert.json');
    const text = JSON.stringify(events);
    // Assess
    expect(text).toContain('99999999999999999999999999999999999999');
    expect(text).toContain('12345678901234567890.123456789012345678');
    expect(text).toContain(Buffer.from('\x00\x01\xfe\xffDMS', 'latin1').toString('base64'));
  }, 120_000);

  it('stream-dms-headers.json: origin read from the DMS header columns, which leave old and new; an unknown form passes through, counted', async () => {
    // Act
    const { metrics } = await invoke('ForwarderFunction', 'stream-dms-headers.json');
    // Assess
    const sample = eventsForSample(await readStream(), 'stream-dms-headers.json');
    // The sample was played twice (above too): one event per eventID, in the sample's order.
    const byId = new Map(sample.events.map((event) => [event.id, event]));
    const records = sample.records;
    const events = records.map((record) => byId.get(record.eventID)!);
    expect(events.map((event) => event.origin)).toEqual([
      { commitTime: '2025-11-26T13:01:40.000000Z', changeSequence: null, transactionId: null, streamPosition: null },
      { commitTime: '2025-11-26T13:02:09.120000Z', changeSequence: '20251126130209120000000000000000815', transactionId: '0000000000004f21', streamPosition: '0/1A2B3C4D' },
      { commitTime: '2025-11-26T13:02:10.873500Z', changeSequence: '20251126130210120000000000000000822', transactionId: '0000000000004f22', streamPosition: '0/1A2B3D10' },
      { commitTime: '2025-11-26T13:02:10.873500Z', changeSequence: '20251126130210120000000000000000822', transactionId: '0000000000004f22', streamPosition: '0/1A2B3D10' },
      { commitTime: '26-NOV-26 01.02.10.120000 PM', changeSequence: '20251126130210120000000000000000830', transactionId: '0000000000004f23', streamPosition: '0/1A2B3E00' },
    ]);
    for (const event of events) for (const image of [event.old, event.new]) if (image) expect(Object.keys(image).filter((name) => name.startsWith('dms_'))).toEqual([]);
    expect(events).toHaveLength(records.length);
    expect(metrics.OriginHeaderUnexpected).toBeGreaterThanOrEqual(1);
    expect(metrics.SourceLagMaxMs).toBeGreaterThan(0);
  }, 120_000);

  it('stream-heartbeat.json: heartbeat changes are counted and feed the heartbeat lag', async () => {
    // Act
    const { metrics } = await invoke('ForwarderFunction', 'stream-heartbeat.json');
    // Assess
    expect(metrics.HeartbeatsReceived).toBe(3);
    expect(metrics.HeartbeatLagMs).toBeGreaterThan(0);
  }, 120_000);

  it('stream-ttl-delete.json is flagged as a TTL deletion', async () => {
    // Prepare
    const { events } = eventsForSample(await readStream(), 'stream-ttl-delete.json');
    // Assess
    expect(events).toEqual([expect.objectContaining({ operation: 'remove', ttlDeletion: true, new: null })]);
  }, 120_000);
});

describe('sam local invoke TeardownFunction', () => {
  it('cloudformation-teardown-delete.json releases every table the samples converged and answers SUCCESS to its ResponseURL', async () => {
    // Prepare: the sample, pointed at the local stack and at a stand-in for the presigned S3 URL
    expect((await mappingsOf(stack.forwarderFunctionArn)).length).toBeGreaterThan(0);
    const server = await startResponseServer();
    try {
      const sample = JSON.parse(readFileSync(join(EVENTS, 'cloudformation-teardown-delete.json'), 'utf8'));
      const signed = new URL(sample.ResponseURL);
      const event = {
        ...sample,
        ResponseURL: server.url(`${signed.pathname}${signed.search}`),
        ResourceProperties: { ...sample.ResourceProperties, ForwarderFunctionArn: stack.forwarderFunctionArn, ReconcilerFunctionName: stack.reconcilerFunctionName, ReconcilerTimeoutSeconds: '0' },
      };
      const eventPath = join(scratch, 'teardown-delete.json');
      writeFileSync(eventPath, JSON.stringify(event));
      // Act
      const { outcome } = await invoke('TeardownFunction', eventPath);
      // Assess
      expect(outcome.ok && outcome.result).toEqual({ status: 'SUCCESS' });
      expect(server.responses).toHaveLength(1);
      expect(server.responses[0]!.body).toMatchObject({ Status: 'SUCCESS', RequestId: sample.RequestId, StackId: sample.StackId, LogicalResourceId: 'Teardown', PhysicalResourceId: sample.PhysicalResourceId });
      expect(await mappingsOf(stack.forwarderFunctionArn)).toEqual([]);
      expect(await scalableTargets('orders')).toEqual([]);
    } finally {
      await server.stop();
    }
  }, 120_000);
});
