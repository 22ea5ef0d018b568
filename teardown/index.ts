/**
 * Teardown function: the handler of the stack's teardown custom resource (see
 * teardown/handler.ts). Clients are built on first use, never at module load.
 */
import type { Context } from 'aws-lambda';
import { createAutoScalingClient, createDynamoDbClient, createEventBridgeClient, createLambdaClient } from '../src/aws/clients';
import { loadObservabilityConfig } from '../src/config/observability';
import { loadTeardownConfig } from '../src/config/teardown';
import { createLogger } from '../src/observability/logger';
import { createMetrics } from '../src/observability/metrics';
import { createEventBridgeAnnouncer } from '../reconciler/adapters/eventbridge';
import { createReconcilerControl, createReleaseMappingPort, createReleaseScalingPort, createReleaseTablePort, createSelfInvoker } from './adapters';
import { sendResponse } from './cfn';
import { createTeardownHandler, type TeardownDeps } from './handler';

export function createDefaultTeardownDeps(env: NodeJS.ProcessEnv = process.env): TeardownDeps {
  const lambda = createLambdaClient();
  const dynamodb = createDynamoDbClient();
  const scaling = createAutoScalingClient();
  const config = loadTeardownConfig(env);
  const observed = loadObservabilityConfig(env, 'teardown');
  return {
    portsFor: (properties) => ({
      tables: createReleaseTablePort(dynamodb),
      mappings: createReleaseMappingPort(lambda, properties.forwarderFunctionArn),
      scaling: createReleaseScalingPort(scaling),
      announcer: createEventBridgeAnnouncer(createEventBridgeClient(), config.eventBusName),
      control: createReconcilerControl(lambda, properties.reconcilerFunctionName),
    }),
    continuer: createSelfInvoker(lambda, config.functionName),
    respond: (url, body) => sendResponse(url, body),
    logger: createLogger({ service: observed.serviceName, level: observed.logLevel }),
    metrics: createMetrics({ service: observed.serviceName, namespace: observed.metricsNamespace }),
  };
}

let handlerInstance: ReturnType<typeof createTeardownHandler> | undefined;

export async function handler(event: unknown, context: Context): Promise<unknown> {
  handlerInstance ??= createTeardownHandler(createDefaultTeardownDeps());
  return handlerInstance(event, context);
}
