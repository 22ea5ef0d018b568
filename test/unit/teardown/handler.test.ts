import type { Context } from 'aws-lambda';
import { MAX_RESPONSE_BYTES, responseBody } from '../../../teardown/cfn';
import { createTeardownHandler, type TeardownContinuation } from '../../../teardown/handler';
import { createLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import { FakeAws } from '../reconciler/fake-aws';
import { FORWARDER_ARN, operatorOn } from '../reconciler/helpers';

const STACK_ID = 'arn:aws:cloudformation:eu-west-1:123456789012:stack/dms-event-bus/5b918d10-cd98-11ea-90d5-0a9cd3354c10';
const cfnEvent = (type: 'Create' | 'Update' | 'Delete', properties: Record<string, unknown> = {}) => ({
  RequestType: type,
  ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:dms-event-bus-teardown',
  ResponseURL: 'https://cloudformation-custom-resource-response-euwest1.s3-eu-west-1.amazonaws.com/signed',
  StackId: STACK_ID,
  RequestId: `req-${type}`,
  LogicalResourceId: 'Teardown',
  ResourceType: 'Custom::DmsEventBusTeardown',
  ...(type === 'Create' ? {} : { PhysicalResourceId: `${STACK_ID}/Teardown` }),
  ResourceProperties: {
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:dms-event-bus-teardown',
    ForwarderFunctionArn: FORWARDER_ARN, ReconcilerFunctionName: 'dms-event-bus-reconciler', DisableStreams: 'false', ReconcilerTimeoutSeconds: '300',
    ...properties,
  },
});
const context = (remainingMs = 900_000) => ({ getRemainingTimeInMillis: () => remainingMs }) as unknown as Context;

async function world(names: string[]) {
  const aws = new FakeAws();
  for (const name of names) aws.addTable(name, { indexes: name.endsWith('gsi') ? [{ name: 'g', status: 'ACTIVE' }] : [] });
  await operatorOn(aws).operator.sweep();
  aws.calls = {};
  return aws;
}

function teardownOn(aws: FakeAws, options: { remainingMs?: number; duringDrain?: () => Promise<void> } = {}) {
  const answers: Record<string, unknown>[] = [];
  const continuations: TeardownContinuation[] = [];
  const events: string[] = [];
  const clock = {
    now: () => aws.clock.now(),
    sleep: async (ms: number) => {
      await options.duringDrain?.();
      aws.clock.advance(ms);
    },
  };
  const handler = createTeardownHandler({
    portsFor: () => ({
      tables: aws.tablePort, mappings: aws.mappingPort, scaling: aws.scalingPort, announcer: aws.announcer,
      control: { stop: async () => { events.push('stop'); return 'stopped'; } },
    }),
    continuer: { continueLater: async (payload) => { continuations.push(payload as unknown as TeardownContinuation); } },
    respond: async (_url, body) => { answers.push(JSON.parse(body)); },
    logger: createLogger({ service: 'test', level: 'ERROR', write: () => undefined }),
    metrics: createMetrics({ service: 'test', write: () => undefined }),
    clock,
  });
  /** Runs the event and every continuation it schedules, like Lambda would. */
  const deliver = async (event: unknown) => {
    let result = await handler(event, context(options.remainingMs));
    while (continuations.length > 0) result = await handler(continuations.shift(), context(options.remainingMs));
    return result;
  };
  return { handler, deliver, answers, continuations, events };
}

describe('teardown custom resource', () => {
  it.each(['Create', 'Update'] as const)('%s is a no-op answering SUCCESS with a stable physical id', async (type) => {
    // Prepare
    const aws = await world(['orders']);
    const { deliver, answers } = teardownOn(aws);
    // Act
    await deliver(cfnEvent(type));
    // Assess
    expect(answers).toEqual([{
      Status: 'SUCCESS', PhysicalResourceId: `${STACK_ID}/Teardown`, StackId: STACK_ID, RequestId: `req-${type}`, LogicalResourceId: 'Teardown', NoEcho: false, Data: {},
    }]);
    expect(aws.mappings.size).toBe(1);
    expect(aws.calls).toEqual({});
  });

  it('Delete stops the reconciler, releases every table and answers SUCCESS once; a second Delete changes nothing', async () => {
    // Prepare
    const aws = await world(['a', 'b_gsi', 'c']);
    const { deliver, answers, events } = teardownOn(aws);
    // Act
    await deliver(cfnEvent('Delete'));
    const callsAfterFirst = { ...aws.calls };
    aws.calls = {};
    await deliver(cfnEvent('Delete'));
    // Assess
    expect(events).toEqual(['stop', 'stop']);
    expect(callsAfterFirst.DeleteEventSourceMapping).toBe(3);
    expect(aws.mappings.size + aws.targets.size + aws.policies.size).toBe(0);
    for (const t of aws.tables.values()) expect(t.tags).toEqual({});
    expect(answers.map((a) => [a.Status, a.Data])).toEqual([['SUCCESS', { ReleasedTables: '3' }], ['SUCCESS', { ReleasedTables: '0' }]]);
    for (const op of ['DeleteEventSourceMapping', 'DeregisterScalableTarget', 'DeleteScalingPolicy', 'UntagResource', 'UpdateTable']) expect(aws.calls[op]).toBeUndefined();
  });

  it('with DisableStreams "true" disables the streams the reconciler enabled, never others', async () => {
    // Prepare
    const aws = new FakeAws();
    aws.addTable('ours');
    aws.addTable('theirs', { stream: { enabled: true, viewType: 'NEW_AND_OLD_IMAGES', latestArn: aws.newStreamArn('theirs') } });
    await operatorOn(aws).operator.sweep();
    const { deliver, answers } = teardownOn(aws);
    // Act
    await deliver(cfnEvent('Delete', { DisableStreams: 'true' }));
    // Assess
    expect(answers[0]!.Status).toBe('SUCCESS');
    expect(aws.tables.get('ours')!.stream.enabled).toBe(false);
    expect(aws.tables.get('theirs')!.stream.enabled).toBe(true);
  });

  it('continues across invocations when time is short, answering only at the end', async () => {
    // Prepare: every invocation has 90 s + a little (nothing but the reserve): each does at most a few tables
    const aws = await world(Array.from({ length: 30 }, (_, i) => `t${String(i).padStart(2, '0')}`));
    let ticks = 0;
    const tick = aws.tablePort.describeTable;
    aws.tablePort.describeTable = async (name) => { aws.clock.advance(1_000); ticks += 1; return tick(name); }; // each table takes 1 s
    const { handler, continuations, answers } = teardownOn(aws, { remainingMs: 95_000 });
    // Act
    let invocations = 1;
    await handler(cfnEvent('Delete'), context(95_000));
    while (continuations.length > 0 && invocations < 200) {
      invocations += 1;
      await handler(continuations.shift(), context(95_000));
    }
    // Assess
    expect(ticks).toBeGreaterThan(0);
    expect(invocations).toBeGreaterThan(5);
    expect(answers).toHaveLength(1);
    expect(answers[0]).toMatchObject({ Status: 'SUCCESS', Data: { ReleasedTables: '30' } });
    expect(aws.mappings.size + aws.policies.size).toBe(0);
  });

  it('the final pass releases what a reconciler run in flight re-created during the drain', async () => {
    // Prepare
    const aws = await world(['orders']);
    let recreated = false;
    const inFlight = operatorOn(aws).operator;
    const { deliver, answers } = teardownOn(aws, {
      duringDrain: async () => {
        if (recreated) return;
        recreated = true;
        await inFlight.reconcileTables(['orders']); // started before the stop, converges after the first pass
      },
    });
    // Act
    await deliver(cfnEvent('Delete'));
    // Assess
    expect(recreated).toBe(true);
    expect(aws.mappings.size + aws.targets.size + aws.policies.size).toBe(0);
    expect(answers).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);
  });

  it('an access-denied part-way answers FAILED naming the table and what was left', async () => {
    // Prepare
    const aws = await world(['a', 'b']);
    const denied = { kind: 'terminal', code: 'AccessDeniedException' };
    aws.failNext.set('DeregisterScalableTarget', Array.from({ length: 10 }, () => denied));
    const { deliver, answers } = teardownOn(aws);
    // Act
    await deliver(cfnEvent('Delete'));
    // Assess
    expect(answers).toHaveLength(1);
    expect(answers[0]!.Status).toBe('FAILED');
    expect(answers[0]!.Reason).toMatch(/^Released 0 tables\. 2 tables not released: a \(DeregisterScalableTarget failed \(AccessDeniedException.*left: scalable target table\/a dynamodb:table:ReadCapacityUnits/);
  });

  it('a Delete with bad properties answers FAILED saying which', async () => {
    // Prepare
    const aws = await world(['a']);
    const { deliver, answers } = teardownOn(aws);
    // Act
    await deliver(cfnEvent('Delete', { DisableStreams: 'yes' }));
    // Assess
    expect(answers).toEqual([expect.objectContaining({ Status: 'FAILED', Reason: expect.stringContaining('DisableStreams must be "true" or "false"') })]);
    expect(aws.mappings.size).toBe(1);
  });

  it('a request without the fields CloudFormation always sends is answered FAILED when it has a ResponseURL', async () => {
    // Prepare
    const aws = await world([]);
    const { deliver, answers } = teardownOn(aws);
    const { RequestId: _omitted, ...event } = cfnEvent('Delete');
    // Act
    const result = await deliver(event);
    // Assess
    expect(result).toMatchObject({ status: 'FAILED' });
    expect(answers[0]).toMatchObject({ Status: 'FAILED', Reason: 'Malformed request: RequestId must be a non-empty string' });
  });

  it('keeps the response body within 4096 bytes, shortening the reason', () => {
    // Act
    const body = responseBody(cfnEvent('Delete') as never, 'FAILED', 'x'.repeat(10_000));
    // Assess
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
    expect(JSON.parse(body).Reason).toMatch(/^x+…$/);
  });
});
