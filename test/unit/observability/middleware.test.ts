import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { createLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import { observability } from '../../../src/observability/middleware';

const context = { functionName: 'fn', invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:fn', memoryLimitInMB: '128', awsRequestId: 'req-1' } as Context;

describe('observability middleware', () => {
  it.each([
    ['returns', async () => 'ok'],
    ['throws', async () => Promise.reject(new Error('boom'))],
  ])('adds the context to log lines and flushes metrics when the handler %s', async (_name, outcome) => {
    // Prepare
    const lines: string[] = [];
    const logger = createLogger({ service: 'forwarder', write: (line) => lines.push(line) });
    const metrics = createMetrics({ service: 'forwarder', write: (line) => lines.push(line) });
    let wired = 0;
    const handler = middy(async () => {
      logger.info('handling');
      metrics.add('Batches');
      return outcome();
    }).use(observability(() => (wired++, { logger, metrics })));
    // Act
    await handler({}, context).catch(() => undefined);
    // Assess
    const [log, emf] = lines.map((line) => JSON.parse(line));
    expect(log).toMatchObject({ message: 'handling', function_request_id: 'req-1', function_name: 'fn' });
    expect(emf).toMatchObject({ Batches: 1, service: 'forwarder' });
    expect(lines).toHaveLength(2);
    expect(wired).toBeGreaterThan(0);
  });
});

describe('observability middleware when wiring fails', () => {
  it('fails the invocation with the wiring error and flushes nothing', async () => {
    // Prepare
    const handler = middy(async () => 'never').use(
      observability(() => {
        throw new Error('KINESIS_STREAM_NAME is required but not set');
      }),
    );
    // Act & Assess
    await expect(handler({}, context)).rejects.toThrow('KINESIS_STREAM_NAME is required but not set');
  });
});
