/**
 * Builds the operator's real dependencies: AWS adapters over SDK clients routed by the
 * standard AWS_ENDPOINT_URL_* variables (so the same code runs against moto locally).
 */
import type { ReconcilerConfig } from '../src/config/reconciler';
import { createAutoScalingClient, createDynamoDbClient, createDynamoDbStreamsClient, createEventBridgeClient, createLambdaClient } from '../src/aws/clients';
import { createLogger, type Logger } from '../src/observability/logger';
import { createMetrics, type Metrics } from '../src/observability/metrics';
import { createTableFilter } from '../src/table-filter';
import { createAutoScalingPort } from './adapters/autoscaling';
import { createDynamoDbTablePort } from './adapters/dynamodb';
import { createEventBridgeAnnouncer } from './adapters/eventbridge';
import { createLambdaMappingPort } from './adapters/lambda';
import { createDynamoDbStreamPort } from './adapters/streams';
import type { OperatorDeps } from './operator';
import type { BackfillStarter, Clock } from './ports';

export interface AwsDepsOptions {
  logger?: Logger;
  metrics?: Metrics;
  /** The backfill module's starter; without it the operator starts no backfill. */
  backfill?: BackfillStarter;
  clock?: Clock;
}

export function createAwsDeps(config: ReconcilerConfig, options: AwsDepsOptions = {}): OperatorDeps {
  return {
    config,
    filter: createTableFilter({ include: config.include, exclude: config.exclude, ...(config.creatorRolePattern ? { creatorRolePattern: config.creatorRolePattern } : {}) }),
    tables: createDynamoDbTablePort(createDynamoDbClient()),
    streams: createDynamoDbStreamPort(createDynamoDbStreamsClient()),
    mappings: createLambdaMappingPort(createLambdaClient(), config.forwarderFunctionArn),
    scaling: createAutoScalingPort(createAutoScalingClient()),
    announcer: createEventBridgeAnnouncer(createEventBridgeClient(), config.eventBusName),
    logger: options.logger ?? createLogger({ service: config.serviceName, level: config.logLevel }),
    metrics: options.metrics ?? createMetrics({ service: config.serviceName, namespace: config.metricsNamespace }),
    ...(options.backfill ? { backfill: options.backfill } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  };
}
