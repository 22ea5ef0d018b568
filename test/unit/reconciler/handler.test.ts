import type { Context } from 'aws-lambda';
import { createDefaultDeps, createHandler, RequeueError, type HandlerDeps } from '../../../reconciler/index';
import { ConfigurationError } from '../../../src/errors';
import { createLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import { FakeAws } from './fake-aws';
import { operatorOn } from './helpers';
import { SAMPLES } from './cloudtrail-samples';

const context = { getRemainingTimeInMillis: () => 300_000, functionName: 'reconciler', awsRequestId: 'r1' } as unknown as Context;

function setup(overrides: Partial<HandlerDeps> = {}) {
  const aws = new FakeAws();
  const { operator, config } = operatorOn(aws);
  const logs: Record<string, unknown>[] = [];
  const emf: string[] = [];
  const deps: HandlerDeps = {
    config,
    operator,
    logger: createLogger({ service: 'reconciler', write: (line) => logs.push(JSON.parse(line)) }),
    metrics: createMetrics({ service: 'reconciler', write: (line) => emf.push(line) }),
    ...overrides,
  };
  let built = 0;
  const handler = createHandler(() => {
    built += 1;
    return deps;
  });
  return { aws, handler, logs, emf, builds: () => built };
}

describe('reconciler handler', () => {
  it('reconciles the table a CloudTrail CreateTable names, building its dependencies once', async () => {
    // Prepare
    const { aws, handler, emf, builds } = setup();
    aws.addTable('orders', { indexes: [{ name: 'customer_id-index', status: 'ACTIVE' }] });
    // Act
    const first = await handler(SAMPLES.dmsCreateTableWithGsi, context);
    const second = await handler(SAMPLES.dmsCreateTableWithGsi, context);
    // Assess
    expect(first).toMatchObject({ status: 'ok', counts: { seen: 1, changed: 1 } });
    expect(second).toMatchObject({ status: 'ok', counts: { seen: 1, converged: 1, changed: 0 } });
    expect(aws.mappings.size).toBe(1);
    expect(builds()).toBe(1);
    expect(emf.length).toBe(2);
  });

  it('logs a malformed event once and returns without throwing (no retry)', async () => {
    // Prepare
    const { handler, logs } = setup();
    // Act
    const result = await handler({ 'detail-type': 'Nope' }, context);
    // Assess
    expect(result).toMatchObject({ status: 'malformed' });
    expect(logs.filter((l) => l.level === 'ERROR')).toEqual([expect.objectContaining({ message: 'malformed event', error: expect.objectContaining({ name: 'MalformedInputError' }) })]);
  });

  it.each([
    ['a failed call', SAMPLES.failedCreateTable],
    ['another region', SAMPLES.otherRegion],
    ['an excluded table', SAMPLES.dmsControlTable],
  ])('ignores %s with an info log line', async (_name, event) => {
    // Prepare
    const { handler, logs, aws } = setup();
    // Act
    const result = await handler(event, context);
    // Assess
    expect(result).toMatchObject({ status: 'ignored' });
    expect(logs.some((l) => l.message === 'event ignored' && l.level === 'INFO')).toBe(true);
    expect(aws.totalCalls()).toBe(0);
  });

  it('throws for a CreateTable whose table is not visible yet, so that the asynchronous retry re-delivers it', async () => {
    // Prepare
    const { handler } = setup();
    // Act / Assess
    await expect(handler(SAMPLES.dmsCreateTableWithGsi, context)).rejects.toThrow(RequeueError);
  });

  it('cleans up after a DeleteTable without retrying: scaling at once, the mapping once the stream is drained', async () => {
    // Prepare
    const { handler, aws } = setup();
    aws.addTable('orders');
    await handler(SAMPLES.dmsCreateTableWithGsi, context);
    aws.deleteTable('orders');
    // Act
    const result = await handler(SAMPLES.deleteTable, context);
    // Assess
    expect(result).toMatchObject({ status: 'ok', counts: { removed: 1 } });
    expect(aws.targets.size).toBe(0);
    expect(aws.mappings.size).toBe(1); // the DISABLED stream stays readable for 24 hours
  });

  it('sweeps on the schedule and answers direct dry runs with the plan', async () => {
    // Prepare
    const { handler, aws } = setup();
    aws.addTable('a');
    // Act
    const dry = (await handler({ action: 'reconcile', tables: ['a'], dryRun: true }, context)) as { tables: { actions: { type: string }[] }[] };
    const swept = await handler(SAMPLES.scheduled, context);
    // Assess
    expect(dry.tables[0]!.actions.map((a) => a.type)).toContain('create-mapping');
    expect(swept).toMatchObject({ status: 'ok', complete: true, counts: { seen: 1, changed: 1 } });
  });

  it('delegates {"action":"backfill"} to the backfill module, and refuses it clearly when not wired', async () => {
    // Prepare
    const calls: unknown[] = [];
    const wired = setup({ backfill: async (event) => { calls.push(event); return { status: 'backfill-started' }; } });
    const unwired = setup();
    // Act
    const delegated = await wired.handler({ action: 'backfill', tableName: 'a' }, context);
    const refused = await unwired.handler({ action: 'backfill', tableName: 'a' }, context);
    // Assess
    expect(delegated).toEqual({ status: 'backfill-started' });
    expect(calls).toEqual([{ action: 'backfill', tableName: 'a' }]);
    expect(refused).toMatchObject({ status: 'malformed' });
  });
});

describe('createDefaultDeps', () => {
  const FORWARDER = 'arn:aws:lambda:eu-west-1:123456789012:function:forwarder';

  it('wires the backfill route without needing backfill settings when BACKFILL_ENABLED=false', () => {
    // Act
    const deps = createDefaultDeps({ FORWARDER_FUNCTION_ARN: FORWARDER, BACKFILL_ENABLED: 'false' });
    // Assess
    expect(deps.config.backfillEnabled).toBe(false);
    expect(typeof deps.backfill).toBe('function');
  });

  it('fails fast, naming the variable, when backfill is enabled but not configured', () => {
    // Act / Assess
    expect(() => createDefaultDeps({ FORWARDER_FUNCTION_ARN: FORWARDER })).toThrow(ConfigurationError);
  });

  it('answers a malformed backfill invocation without throwing', async () => {
    // Prepare
    const deps = createDefaultDeps({ FORWARDER_FUNCTION_ARN: FORWARDER, BACKFILL_ENABLED: 'false' });
    const handler = createHandler({ ...deps, logger: createLogger({ service: 't', write: () => undefined }) });
    // Act
    const result = await handler({ action: 'backfill' }, context);
    // Assess
    expect(result).toMatchObject({ status: 'malformed', error: expect.stringContaining('tableName') });
  });

  it('uses the logger and metrics it is given, for the operator and the backfill module alike', async () => {
    // Prepare
    const lines: string[] = [];
    const logger = createLogger({ service: 'local', level: 'DEBUG', write: (line) => lines.push(line) });
    const metrics = createMetrics({ service: 'local', write: (line) => lines.push(line) });
    const env = {
      FORWARDER_FUNCTION_ARN: FORWARDER, BACKFILL_STATE_TABLE: 'state', KINESIS_STREAM_NAME: 'changes', AWS_REGION: 'eu-west-1',
    };
    // Act
    const deps = createDefaultDeps(env, { logger, metrics, backfill: { invoker: { invoke: async () => undefined } } });
    const handler = createHandler(deps);
    await handler({ action: 'backfill', tableName: '' }, context);
    // Assess
    expect(deps.logger).toBe(logger);
    expect(deps.metrics).toBe(metrics);
    expect(lines.some((line) => line.includes('malformed backfill invocation'))).toBe(true);
    expect(lines.some((line) => line.includes('"MalformedEvents"'))).toBe(true);
  });
});
