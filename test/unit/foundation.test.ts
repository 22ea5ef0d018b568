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

  it('writes summed counters as one EMF document', () => {
    // Prepare
    const lines: string[] = [];
    const metrics = createMetrics({ service: 'forwarder', write: (line) => lines.push(line), now: () => 1 });
    // Act
    metrics.add('EventsOut', 3);
    metrics.add('EventsOut', 2);
    metrics.flush();
    metrics.flush();
    // Assess
    expect(lines).toHaveLength(1);
    const document = JSON.parse(lines[0]!);
    expect(document.EventsOut).toBe(5);
    expect(document._aws.CloudWatchMetrics[0]).toEqual({ Namespace: 'DmsEventBus', Dimensions: [['service']], Metrics: [{ Name: 'EventsOut', Unit: 'Count' }] });
  });
});
