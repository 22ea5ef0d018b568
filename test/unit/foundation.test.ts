import type { Context } from 'aws-lambda';
import { readBoolean, readEnum, readInt, readList, readString } from '../../src/config/env';
import { ConfigurationError } from '../../src/errors';
import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';

describe('config readers', () => {
  it.each([
    ['readInt rejects text', () => readInt({ N: 'x' }, 'N', 1), /N must be an integer/],
    ['readInt enforces min', () => readInt({ N: '0' }, 'N', 1, { min: 1 }), /N must be >= 1/],
    ['readEnum rejects unknown', () => readEnum({ M: 'fast' }, 'M', ['a', 'b'] as const, 'a'), /M must be one of a, b/],
    ['readBoolean rejects maybe', () => readBoolean({ B: 'maybe' }, 'B', false), /B must be true or false/],
    ['readString requires a value', () => readString({}, 'S'), /S is required/],
  ])('%s', (_name, read, message) => {
    // Act & Assess
    expect(read).toThrow(ConfigurationError);
    expect(read).toThrow(message);
  });

  it('reads values and falls back to defaults', () => {
    // Prepare
    const env = { N: ' 7 ', L: 'a, b,,c', B: 'TRUE' };
    // Act & Assess
    expect(readInt(env, 'N', 1)).toBe(7);
    expect(readInt(env, 'MISSING', 3)).toBe(3);
    expect(readList(env, 'L', [])).toEqual(['a', 'b', 'c']);
    expect(readList(env, 'MISSING', ['x'])).toEqual(['x']);
    expect(readBoolean(env, 'B', false)).toBe(true);
  });
});

describe('observability', () => {
  const context = {
    functionName: 'dms-event-bus-forwarder',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:dms-event-bus-forwarder',
    memoryLimitInMB: '512',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  } as Context;

  /** Runs `body` with AWS_LAMBDA_INITIALIZATION_TYPE set as Lambda sets it, then restores it. */
  function asLambda<T>(type: string | undefined, body: () => T): T {
    const saved = process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
    if (type === undefined) delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
    else process.env.AWS_LAMBDA_INITIALIZATION_TYPE = type;
    try {
      return body();
    } finally {
      if (saved === undefined) delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
      else process.env.AWS_LAMBDA_INITIALIZATION_TYPE = saved;
    }
  }

  it('logs one JSON object per line with child fields', () => {
    // Prepare
    const lines: string[] = [];
    const logger = createLogger({ service: 'test', write: (line) => lines.push(line), level: 'INFO' });
    // Act
    logger.child({ table: 't1' }).info('converged', { actions: 2, big: 10n });
    logger.debug('hidden');
    // Assess
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'INFO', message: 'converged', service: 'test', table: 't1', actions: 2, big: '10' });
  });

  it('puts the Lambda context on every later line, children made before it included', () => {
    // Prepare
    const lines: string[] = [];
    const logger = createLogger({ service: 'forwarder', write: (line) => lines.push(line), fields: { component: 'publisher' } });
    const child = logger.child({ table: 'orders' });
    // Act
    logger.addContext?.(context);
    child.warn('throttled', { attempts: 3 });
    // Assess
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 'WARN',
      service: 'forwarder',
      component: 'publisher',
      table: 'orders',
      attempts: 3,
      function_name: context.functionName,
      function_arn: context.invokedFunctionArn,
      function_request_id: context.awsRequestId,
      function_memory_size: '512',
      cold_start: expect.any(Boolean),
    });
  });

  it('writes summed counters as one EMF document', () => {
    // Prepare
    const lines: string[] = [];
    const at = Date.now() - 60_000; // CloudWatch takes EMF timestamps up to 14 days old
    const metrics = createMetrics({ service: 'forwarder', write: (line) => lines.push(line), now: () => at });
    // Act
    metrics.add('EventsOut', 3);
    metrics.add('EventsOut', 2);
    metrics.add('PublishMs', 7, 'Milliseconds');
    metrics.flush();
    metrics.flush();
    // Assess
    expect(lines).toHaveLength(1);
    const document = JSON.parse(lines[0]!);
    expect(document).toMatchObject({ service: 'forwarder', EventsOut: 5, PublishMs: 7 });
    expect(document._aws.Timestamp).toBe(at);
    expect(document._aws.CloudWatchMetrics[0]).toEqual({
      Namespace: 'DmsEventBus',
      Dimensions: [['service']],
      Metrics: [
        { Name: 'EventsOut', Unit: 'Count' },
        { Name: 'PublishMs', Unit: 'Milliseconds' },
      ],
    });
  });

  it.each([
    ['an on-demand environment counts one cold start', 'on-demand', 1],
    ['provisioned concurrency has no cold start', 'provisioned-concurrency', 0],
  ])('%s', (_name, type, expected) => {
    // Prepare
    const lines: string[] = [];
    const metrics = asLambda(type, () => createMetrics({ service: 'forwarder', namespace: 'Acme', write: (line) => lines.push(line) }));
    // Act
    metrics.captureColdStart?.(context);
    metrics.captureColdStart?.(context);
    // Assess
    const documents = lines.map((line) => JSON.parse(line));
    expect(documents).toHaveLength(expected);
    for (const document of documents) {
      expect(document).toMatchObject({ ColdStart: 1, service: 'forwarder', function_name: context.functionName });
      expect(document._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'Acme', Metrics: [{ Name: 'ColdStart', Unit: 'Count' }] });
    }
  });
});
