/**
 * Redriver Lambda: mapped to the forwarder's dead-letter queue. Every message is a pointer
 * to a range of a table's stream that the forwarder's mapping gave up on; the range is
 * re-read, converted and published as the forwarder would (marked `redriven`), or announced
 * as `Changes Lost` when it can no longer be read. This file only wires dependencies
 * (lazily, once per container).
 */
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createDynamoDbStreamsClient, createEventBridgeClient, createKinesisClient, createSqsClient } from '../src/aws/clients';
import { compileOriginOptions } from '../src/change-event';
import type { Env } from '../src/config/env';
import { loadRedriverConfig, type RedriverConfig } from '../src/config/redriver';
import { MalformedInputError } from '../src/errors';
import { createLogger, type Logger } from '../src/observability/logger';
import { createMetrics, type Metrics } from '../src/observability/metrics';
import { createKinesisPort, createPublisher, type Publisher } from '../src/publisher';
import { createEventBridgeLossAnnouncer, type LossAnnouncer } from './announcer';
import { createSqsVisibility, type VisibilityPort } from './backoff';
import { handleMessages } from './handle-messages';
import { createStreamRangeReader, type StreamRangeReader } from './range-reader';

/** Everything the handler needs; each part defaults to the real thing, built on first use. */
export interface RedriverDeps {
  readonly env?: Env;
  readonly config?: RedriverConfig;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly publisher?: Publisher;
  readonly reader?: StreamRangeReader;
  readonly announcer?: LossAnnouncer;
  readonly visibility?: VisibilityPort;
  readonly now?: () => number;
}

type Wired = Required<Omit<RedriverDeps, 'env' | 'now'>>;

function wire(deps: RedriverDeps): Wired {
  const config = deps.config ?? loadRedriverConfig(deps.env ?? process.env);
  return {
    config,
    logger: deps.logger ?? createLogger({ service: config.serviceName, level: config.logLevel }),
    metrics: deps.metrics ?? createMetrics({ service: config.serviceName, namespace: config.metricsNamespace }),
    publisher:
      deps.publisher ??
      createPublisher({
        port: createKinesisPort({ client: createKinesisClient(), streamName: config.streamName }),
        limits: { maxRecordBytes: config.maxRecordBytes, maxRequestBytes: config.maxRequestBytes },
        maxAttempts: config.publishMaxAttempts,
      }),
    reader: deps.reader ?? createStreamRangeReader(createDynamoDbStreamsClient()),
    announcer: deps.announcer ?? createEventBridgeLossAnnouncer(createEventBridgeClient(), config.eventBusName),
    visibility: deps.visibility ?? createSqsVisibility(createSqsClient(), config.queueUrl),
  };
}

function flushMetrics(metrics: () => Metrics | undefined): MiddlewareObj<SQSEvent, SQSBatchResponse> {
  const flush = () => metrics()?.flush();
  return { name: 'flushMetrics', after: flush, onError: flush };
}

export function createHandler(deps: RedriverDeps = {}) {
  let wired: Wired | undefined;
  const now = deps.now ?? Date.now;
  const redrive = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    wired ??= wire(deps);
    if (event === null || typeof event !== 'object' || !Array.isArray(event.Records)) throw new MalformedInputError('event is not an SQS batch: it has no Records array');
    const remaining = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : undefined;
    const deadline = remaining === undefined ? undefined : now() + remaining - wired.config.safetyMarginMs;
    const logger = wired.logger.child({ awsRequestId: context?.awsRequestId });
    const origin = compileOriginOptions(wired.config.origin);
    return handleMessages(event.Records, { ...wired, logger, maxRecordBytes: wired.config.maxRecordBytes, origin, now }, { ...(deadline === undefined ? {} : { deadline }) });
  };
  return middy<SQSEvent, SQSBatchResponse>(redrive).use(flushMetrics(() => wired?.metrics));
}

export const handler = createHandler();
