/** Shared builders for the reconciler's unit tests. */
import { loadReconcilerConfig, type ReconcilerConfig } from '../../../src/config/reconciler';
import { createLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import { createTableFilter } from '../../../src/table-filter';
import { createOperator, type OperatorDeps } from '../../../reconciler/operator';
import { FakeAws } from './fake-aws';

export const FORWARDER_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:dms-event-bus-forwarder';
export const DLQ_ARN = 'arn:aws:sqs:eu-west-1:123456789012:dms-event-bus-dlq';

/** The fixtures' mappings use finite retries with bisect (a setting users may choose; the defaults are -1 and off). */
export function testConfig(env: Record<string, string> = {}): ReconcilerConfig {
  return loadReconcilerConfig({ FORWARDER_FUNCTION_ARN: FORWARDER_ARN, FORWARDER_DLQ_ARN: DLQ_ARN, ESM_MAX_RETRY_ATTEMPTS: '10', ESM_BISECT_ON_ERROR: 'true', ...env });
}

export function operatorOn(aws: FakeAws, env: Record<string, string> = {}, overrides: Partial<OperatorDeps> = {}) {
  const config = testConfig(env);
  const logs: Record<string, unknown>[] = [];
  const deps: OperatorDeps = {
    config,
    filter: createTableFilter({ include: config.include, exclude: config.exclude, ...(config.creatorRolePattern ? { creatorRolePattern: config.creatorRolePattern } : {}) }),
    tables: aws.tablePort,
    streams: aws.streamPort,
    mappings: aws.mappingPort,
    scaling: aws.scalingPort,
    announcer: aws.announcer,
    backfill: aws.backfill,
    logger: createLogger({ service: 'test', level: 'DEBUG', write: (line) => logs.push(JSON.parse(line)) }),
    metrics: createMetrics({ service: 'test', write: () => undefined }),
    clock: aws.clock,
    ...overrides,
  };
  return { operator: createOperator(deps), deps, logs, config };
}
