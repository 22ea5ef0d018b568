/**
 * The teardown custom resource on moto: three converged tables (one with a GSI), then the
 * Delete request exactly as CloudFormation sends it (crpg-ref-requesttypes-delete), with a
 * ResponseURL served by the test that checks the PUT. Every check reads moto's state back.
 */
import { DescribeTableCommand, DynamoDBClient, ListTagsOfResourceCommand } from '@aws-sdk/client-dynamodb';
import { GetFunctionConcurrencyCommand, LambdaClient, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand, DescribeScalingPoliciesCommand } from '@aws-sdk/client-application-auto-scaling';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { loadReconcilerConfig, type ReconcilerConfig } from '../../src/config/reconciler';
import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { createAwsDeps } from '../../reconciler/aws-deps';
import { AwsCallError, ErrorKind } from '../../reconciler/errors';
import { createOperator } from '../../reconciler/operator';
import type { Clock } from '../../reconciler/ports';
import { createTeardownHandler } from '../../teardown/handler';
import { createDefaultTeardownDeps } from '../../teardown/index';
import { startResponseServer } from '../support/cfn-response-server';
import { useLocalAws } from '../support/local-aws';
import { createDmsLikeTable, createEmptyFunction, createLambdaRole } from '../support/moto-functions';

const quickClock: Clock = { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms / 10)) };
const context = { getRemainingTimeInMillis: () => 600_000 } as unknown as Context;
const quiet = { logger: createLogger({ service: 'test', level: 'ERROR', write: () => undefined }), metrics: createMetrics({ service: 'test', write: () => undefined }) };

jest.setTimeout(60_000);

describe('teardown custom resource on moto', () => {
  const localAws = useLocalAws({ services: { moto: true, kinesis: false } });
  let server: Awaited<ReturnType<typeof startResponseServer>>;
  let ddb: DynamoDBClient;
  let lambda: LambdaClient;
  let aas: ApplicationAutoScalingClient;
  let config: ReconcilerConfig;
  let reconcilerName: string;

  beforeAll(async () => { server = await startResponseServer(); });
  afterAll(async () => server?.stop());

  beforeEach(async () => {
    const aws = localAws();
    await aws.resetMoto();
    server.responses.length = 0;
    ddb = new DynamoDBClient({});
    lambda = new LambdaClient({});
    aas = new ApplicationAutoScalingClient({});
    const role = await createLambdaRole(aws.motoUrl, aws.region);
    const fn = (name: string) => createEmptyFunction(lambda, role, name);
    const forwarder = await fn('forwarder');
    reconcilerName = (await fn('reconciler')).FunctionName!;
    config = loadReconcilerConfig({ FORWARDER_FUNCTION_ARN: forwarder.FunctionArn, SCALING_MIN_CAPACITY: '2', SCALING_MAX_CAPACITY: '400', BACKFILL_ENABLED: 'false', LOG_LEVEL: 'ERROR' });
    for (const [name, gsi] of [['orders', true], ['customers', false], ['invoices', false]] as const) {
      await createDmsLikeTable(ddb, name, gsi ? { indexName: 'by-customer', indexKey: 'customer' } : undefined);
    }
    const summary = await createOperator(createAwsDeps(config, { ...quiet, clock: quickClock })).sweep();
    expect(summary.counts).toMatchObject({ changed: 3, errors: 0 });
  });

  /**
   * The Delete request as CloudFormation sends it to a Lambda-backed custom resource
   * (events/cloudformation-teardown-delete.json), pointed at this test's functions and response server.
   */
  const deleteRequest = (requestId: string, properties: Record<string, string> = {}) => {
    const sample = JSON.parse(readFileSync(join(__dirname, '../../events/cloudformation-teardown-delete.json'), 'utf8'));
    const signed = new URL(sample.ResponseURL);
    return {
      ...sample,
      ResponseURL: server.url(`${signed.pathname.replace(/c0ffee00-[^/]*$/, requestId)}${signed.search}`),
      RequestId: requestId,
      ResourceProperties: {
        ...sample.ResourceProperties, ForwarderFunctionArn: config.forwarderFunctionArn, ReconcilerFunctionName: reconcilerName,
        // The template passes the reconciler's Timeout (300); no reconciler runs here, so the test does not wait it out.
        ReconcilerTimeoutSeconds: '0', ...properties,
      },
    };
  };
  const defaultDeps = () => createDefaultTeardownDeps({ AWS_LAMBDA_FUNCTION_NAME: 'dms-event-bus-TeardownFunction-AbC123', POWERTOOLS_LOG_LEVEL: 'ERROR' });
  const handlerWith = (deps = defaultDeps()) => createTeardownHandler({ ...deps, ...quiet });

  const ourMappings = async () => (await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: config.forwarderFunctionArn }))).EventSourceMappings ?? [];
  const targets = async () => (await aas.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'dynamodb' }))).ScalableTargets ?? [];
  const ourPolicies = async () => ((await aas.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'dynamodb' }))).ScalingPolicies ?? []).filter((p) => p.PolicyName!.startsWith('dms-event-bus-'));
  const tableState = async (name: string) => {
    const table = (await ddb.send(new DescribeTableCommand({ TableName: name }))).Table!;
    const tags = (await ddb.send(new ListTagsOfResourceCommand({ ResourceArn: table.TableArn }))).Tags ?? [];
    return { stream: table.StreamSpecification, capacity: table.ProvisionedThroughput?.ReadCapacityUnits, tags };
  };
  const world = async () => ({
    mappings: await ourMappings(), targets: await targets(), policies: await ourPolicies(),
    tables: await Promise.all(['orders', 'customers', 'invoices'].map(tableState)),
  });

  it('Delete releases every table (no mapping, scaling or tag of ours; streams kept) and answers SUCCESS; a second Delete changes nothing', async () => {
    // Prepare
    expect((await ourMappings()).length).toBe(3);
    expect((await targets()).length).toBe(8); // 3 tables + 1 GSI, read and write
    const handler = handlerWith();
    // Act
    const first = await handler(deleteRequest('req-1'), context);
    const after = await world();
    const second = await handler(deleteRequest('req-2'), context);
    // Assess
    expect(first).toEqual({ status: 'SUCCESS' });
    expect(second).toEqual({ status: 'SUCCESS' });
    expect(after.mappings).toEqual([]);
    expect(after.targets).toEqual([]);
    expect(after.policies).toEqual([]);
    for (const table of after.tables) {
      expect(table.tags.filter((t) => t.Key!.startsWith('dms-event-bus:'))).toEqual([]);
      expect(table.stream).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
      expect(table.capacity).toBe(200);
    }
    expect(await world()).toEqual(after);
    expect((await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: reconcilerName }))).ReservedConcurrentExecutions).toBe(0);
    expect(server.responses.map((r) => r.method)).toEqual(['PUT', 'PUT']);
    expect(server.responses[0]!.path).toMatch(/%7CTeardown%7Creq-1\?X-Amz-Algorithm=AWS4-HMAC-SHA256&.*X-Amz-Signature=0123456789abcdef$/);
    expect(server.responses[0]!.headers['content-type'] ?? '').toBe('');
    const request = deleteRequest('req-1');
    expect(server.responses[0]!.body).toEqual({
      Status: 'SUCCESS', PhysicalResourceId: request.PhysicalResourceId, StackId: request.StackId, RequestId: 'req-1', LogicalResourceId: 'Teardown', NoEcho: false, Data: { ReleasedTables: '3' },
    });
    expect(server.responses[1]!.body).toMatchObject({ Status: 'SUCCESS', RequestId: 'req-2', Data: { ReleasedTables: '0' } });
  });

  it('DisableStreams "true" disables the streams the reconciler enabled', async () => {
    // Act
    await handlerWith()(deleteRequest('req-1', { DisableStreams: 'true' }), context);
    // Assess
    // moto then omits StreamSpecification; AWS may report StreamEnabled false: either way, no stream.
    for (const name of ['orders', 'customers', 'invoices']) expect((await tableState(name)).stream?.StreamEnabled ?? false).toBe(false);
    expect(server.responses[0]!.body.Status).toBe('SUCCESS');
  });

  it('a call denied part-way answers FAILED naming what was left; after the grant, Delete again answers SUCCESS', async () => {
    // Prepare: DeregisterScalableTarget is denied on the GSI (as an IAM policy scoped too narrowly would)
    const deps = defaultDeps();
    const denying = {
      ...deps,
      portsFor: (properties: Parameters<typeof deps.portsFor>[0]) => {
        const ports = deps.portsFor(properties);
        return {
          ...ports,
          scaling: {
            ...ports.scaling,
            deregisterTarget: async (target: { resourceId: string; dimension: string }) => {
              if (target.resourceId.includes('/index/')) throw new AwsCallError(ErrorKind.Terminal, 'DeregisterScalableTarget', 'AccessDeniedException', `not authorized to perform application-autoscaling:DeregisterScalableTarget on ${target.resourceId}`);
              return ports.scaling.deregisterTarget(target);
            },
          },
        };
      },
    };
    // Act
    const failed = await handlerWith(denying)(deleteRequest('req-1'), context);
    const left = await targets();
    const retried = await handlerWith()(deleteRequest('req-2'), context);
    // Assess
    expect(failed).toMatchObject({ status: 'FAILED' });
    const body = server.responses[0]!.body;
    expect(body.Status).toBe('FAILED');
    expect(body.Reason).toMatch(/^Released 2 tables\. 1 tables not released: orders \(DeregisterScalableTarget failed \(AccessDeniedException/);
    expect(body.Reason).toContain('left: scalable target table/orders/index/by-customer dynamodb:index:ReadCapacityUnits');
    expect(left.map((t) => t.ResourceId)).toEqual(['table/orders/index/by-customer', 'table/orders/index/by-customer']);
    expect(retried).toEqual({ status: 'SUCCESS' });
    expect(await targets()).toEqual([]);
    expect(await ourPolicies()).toEqual([]);
  });

  it('Create and Update answer SUCCESS and change nothing', async () => {
    // Prepare
    const before = await world();
    const request = deleteRequest('req-1');
    const { PhysicalResourceId: _none, ...create } = { ...request, RequestType: 'Create', RequestId: 'req-c' };
    const update = { ...request, RequestType: 'Update', RequestId: 'req-u', OldResourceProperties: request.ResourceProperties };
    // Act
    await handlerWith()(create, context);
    await handlerWith()(update, context);
    // Assess
    expect(await world()).toEqual(before);
    expect(server.responses.map((r) => [r.body.Status, r.body.PhysicalResourceId])).toEqual([['SUCCESS', request.PhysicalResourceId], ['SUCCESS', request.PhysicalResourceId]]);
  });
});
