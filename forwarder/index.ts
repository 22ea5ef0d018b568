/**
 * Forwarder Lambda: DynamoDB Streams batches (from any number of tables) to change events
 * on one Kinesis stream. This file only wires dependencies (lazily, once per container)
 * and hands the batch to forwardBatch.
 */
import middy from '@middy/core';
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { createKinesisClient } from '../src/aws/clients';
import { loadForwarderConfig, type ForwarderConfig } from '../src/config/forwarder';
import type { Env } from '../src/config/env';
import { createLogger, type Logger } from '../src/observability/logger';
import { createMetrics, type Metrics } from '../src/observability/metrics';
import { observability } from '../src/observability/middleware';
import { createKinesisPort, createPublisher, type Publisher } from '../src/publisher';
import { compileOriginOptions, type CompiledOriginOptions } from '../src/change-event';
import { globToRegExp } from '../src/table-filter';
import { forwardBatch, type StreamBatch } from './forward-batch';
import { createEmfTableMetrics, type TableMetricsSink } from './table-metrics';

/** Everything the handler needs; each part defaults to the real thing, built on first use. */
export interface ForwarderDeps {
  readonly env?: Env;
  readonly config?: ForwarderConfig;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly publisher?: Publisher;
  readonly now?: () => number;
  /** Per-table lag metrics (default: EMF lines on stdout when LAG_METRICS_PER_TABLE is true). */
  readonly tableMetrics?: TableMetricsSink;
}

interface Wired {
  readonly config: ForwarderConfig;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly publisher: Publisher;
  readonly origin: CompiledOriginOptions;
  readonly isHeartbeatTable: ((table: string) => boolean) | undefined;
  readonly heartbeatPublish: boolean;
  readonly tableMetrics: TableMetricsSink | undefined;
}

/** A test for the heartbeat globs, or undefined when none is configured. */
function heartbeatMatcher(patterns: readonly string[]): ((table: string) => boolean) | undefined {
  if (patterns.length === 0) return undefined;
  const compiled = patterns.map(globToRegExp);
  return (table) => compiled.some((re) => re.test(table));
}

function wire(deps: ForwarderDeps): Wired {
  const config = deps.config ?? loadForwarderConfig(deps.env ?? process.env);
  const publisher =
    deps.publisher ??
    createPublisher({
      port: createKinesisPort({ client: createKinesisClient(), streamName: config.streamName }),
      limits: { maxRecordBytes: config.maxRecordBytes, maxRequestBytes: config.maxRequestBytes },
      maxAttempts: config.publishMaxAttempts,
    });
  return {
    config,
    logger: deps.logger ?? createLogger({ service: config.serviceName, level: config.logLevel }),
    metrics: deps.metrics ?? createMetrics({ service: config.serviceName, namespace: config.metricsNamespace }),
    publisher,
    origin: compileOriginOptions(config.origin),
    isHeartbeatTable: heartbeatMatcher(config.heartbeatTablePatterns),
    heartbeatPublish: config.heartbeatPublish,
    tableMetrics: config.lagMetricsPerTable ? (deps.tableMetrics ?? createEmfTableMetrics({ service: config.serviceName, namespace: config.metricsNamespace })) : undefined,
  };
}

export function createHandler(deps: ForwarderDeps = {}) {
  let wired: Wired | undefined;
  const now = deps.now ?? Date.now;
  const forward = async (event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> => {
    wired ??= wire(deps);
    const remaining = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : undefined;
    const deadline = remaining === undefined ? undefined : now() + remaining - wired.config.safetyMarginMs;
    const logger = wired.logger.child({ awsRequestId: context?.awsRequestId });
    return forwardBatch(event as unknown as StreamBatch, { ...wired, logger, maxRecordBytes: wired.config.maxRecordBytes, now }, { deadline });
  };
  // Lambda context in every log line, the cold start counted, and the invocation's metrics
  // written as one EMF line whether the handler succeeded or threw.
  return middy<DynamoDBStreamEvent, DynamoDBBatchResponse>(forward).use(observability(() => (wired ??= wire(deps))));
}

export const handler = createHandler();
