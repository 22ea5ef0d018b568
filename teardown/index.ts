/**
 * Teardown function: the handler of the stack's teardown custom resource (see
 * teardown/handler.ts). Clients are built on first use, never at module load.
 */
import type { Context } from 'aws-lambda';
import { createAutoScalingClient, createDynamoDbClient, createEventBridgeClient, createLambdaClient } from '../src/aws/clients';
import { readString } from '../src/config/env';
import { createLogger, parseLogLevel } from '../src/observability/logger';
import { createMetrics } from '../src/observability/metrics';
import { createEventBridgeAnnouncer } from '../reconciler/adapters/eventbridge';
import { createReconcilerControl, createReleaseMappingPort, createReleaseScalingPort, createReleaseTablePort, createSelfInvoker } from './adapters';
import { sendResponse } from './cfn';
import { createTeardownHandler, type TeardownDeps } from './handler';

/** Environment variables the teardown function reads (AWS_LAMBDA_FUNCTION_NAME is Lambda's own). */
export const TEARDOWN_ENV = ['EVENT_BUS_NAME', 'LOG_LEVEL'] as const;

export function createDefaultTeardownDeps(env: NodeJS.ProcessEnv = process.env): TeardownDeps {
  const lambda = createLambdaClient();
  const dynamodb = createDynamoDbClient();
  const scaling = createAutoScalingClient();
  const eventBus = readString(env, 'EVENT_BUS_NAME', 'default');
  return {
    portsFor: (properties) => ({
      tables: createReleaseTablePort(dynamodb),
      mappings: createReleaseMappingPort(lambda, properties.forwarderFunctionArn),
      scaling: createReleaseScalingPort(scaling),
      announcer: createEventBridgeAnnouncer(createEventBridgeClient(), eventBus),
      control: createReconcilerControl(lambda, properties.reconcilerFunctionName),
    }),
    continuer: createSelfInvoker(lambda, readString(env, 'AWS_LAMBDA_FUNCTION_NAME')),
    respond: (url, body) => sendResponse(url, body),
    logger: createLogger({ service: 'teardown', level: parseLogLevel(env.LOG_LEVEL) }),
    metrics: createMetrics({ service: 'teardown' }),
  };
}

let handlerInstance: ReturnType<typeof createTeardownHandler> | undefined;

export async function handler(event: unknown, context: Context): Promise<unknown> {
  handlerInstance ??= createTeardownHandler(createDefaultTeardownDeps());
  return handlerInstance(event, context);
}
