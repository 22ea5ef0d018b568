/**
 * The whole pipeline running locally: emulators, the resources template.yaml deploys,
 * the real forwarder, reconciler and snapshot handlers in-process, the Lambda front that runs their
 * invocations, the event source mapping poller, and a periodic scheduled sweep. Used by
 * `npm start`, the `dms-event-bus local` command, the end-to-end test and the benchmark.
 *
 * Development tooling only: never bundled into a Lambda function.
 */
import { randomUUID } from 'node:crypto';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { createDynamoDbClient, createDynamoDbStreamsClient, createKinesisClient } from '../src/aws/clients';
import { createLogger, type Logger, type LogLevel } from '../src/observability/logger';
import { applyEnv, startLocalAws, type LocalAws } from './emulators';
import { createMotoBackedEsmApi, type EsmApi } from './esm-api';
import { localContext, startLambdaFront, type LambdaFront } from './lambda-front';
import { createMappingSource, createPoller, createSqsDestination, createStreamReader, type LocalFunction, type Poller } from './poller';
import { functionEnvironment, LOCAL_ACCOUNT_ID, provisionLocalStack, type LocalStack } from './stack';
import { createForwarderHandler, createLocalReconcilerHandler, createLocalSnapshotHandler } from './functions';

export interface LocalRuntimeOptions {
  readonly region?: string;
  /** Reuse running emulators (tests); otherwise they are started and stopped here. */
  readonly aws?: LocalAws;
  /** Where the functions', the poller's and the front's JSON log lines go (default: nowhere). */
  readonly log?: (line: string) => void;
  readonly logLevel?: LogLevel;
  /** Function environment overrides (e.g. ESM_BATCH_SIZE, BACKFILL_SEGMENTS). */
  readonly env?: Readonly<Record<string, string>>;
  /** Milliseconds between scheduled sweeps; 0 turns them off (default 30 s). */
  readonly sweepIntervalMs?: number;
  /** Idle shard poll interval of the poller (default 250 ms, as Lambda). */
  readonly pollIntervalMs?: number;
  /** Shards of the change stream (default 4). */
  readonly shardCount?: number;
  readonly verbose?: boolean;
}

export interface LocalRuntime {
  readonly aws: LocalAws;
  readonly stack: LocalStack;
  readonly front: LambdaFront;
  readonly esm: EsmApi;
  readonly poller: Poller;
  readonly region: string;
  /** The full environment in effect: emulator endpoints (Lambda -> the front) and the functions' variables. */
  readonly env: Readonly<Record<string, string>>;
  /** A Lambda client routed to the front (what the reconciler and the CLI use). */
  readonly lambda: LambdaClient;
  /** Delivers an EventBridge event to the reconciler as EventBridge does: an asynchronous invocation. */
  deliverToReconciler(event: unknown): Promise<void>;
  /** Invokes the reconciler synchronously and returns its response (like `aws lambda invoke`). */
  invokeReconciler(event: unknown): Promise<unknown>;
  /** Runs one scheduled sweep now (the same event EventBridge Scheduler sends). */
  sweepNow(): Promise<unknown>;
  /** Resolves when no asynchronous invocation (events, backfill continuations) is pending. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/** The event an EventBridge schedule rule delivers. */
export function scheduledEvent(region: string, accountId: string): Record<string, unknown> {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: accountId,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region,
    resources: [`arn:aws:events:${region}:${accountId}:rule/dms-event-bus-sweep`],
    detail: {},
  };
}

/** Starts everything; stop() ends it all and restores process.env. */
export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const region = options.aws?.region ?? options.region ?? 'us-east-1';
  const write = options.log ?? (() => undefined);
  const level = options.logLevel ?? 'INFO';
  const logger: Logger = createLogger({ service: 'local', level, write });
  const aws = options.aws ?? (await startLocalAws({ region, verbose: options.verbose }));
  const cleanups: (() => Promise<void> | void)[] = [];
  if (!options.aws) cleanups.push(() => aws.stop());
  const run = async <T>(step: () => Promise<T>): Promise<T> => {
    try {
      return await step();
    } catch (error) {
      for (const cleanup of cleanups.reverse()) await cleanup();
      throw error;
    }
  };

  cleanups.push(applyEnv(aws.env));
  const stack = await run(() =>
    provisionLocalStack(
      { dynamodb: createDynamoDbClient(), kinesis: createKinesisClient(), lambda: new LambdaClient({ endpoint: aws.motoUrl }), sqs: new SQSClient({}) },
      { motoUrl: aws.motoUrl, region, shardCount: options.shardCount },
    ),
  );
  const esm = createMotoBackedEsmApi({ motoUrl: aws.motoUrl, region, accountId: LOCAL_ACCOUNT_ID });
  const functions: Record<string, LocalFunction> = {};
  const front = await run(() =>
    startLambdaFront({ upstreamUrl: aws.motoUrl, esm, functions, region, accountId: LOCAL_ACCOUNT_ID, logger: logger.child({ component: 'lambda-front' }), asyncRetryDelayMs: 1_000 }),
  );
  cleanups.push(() => front.stop());

  const env: Record<string, string> = {
    ...aws.env,
    AWS_ENDPOINT_URL_LAMBDA: front.url,
    ...functionEnvironment(stack, { POWERTOOLS_LOG_LEVEL: level, ...options.env }),
  };
  cleanups.push(applyEnv(env));
  functions[stack.forwarderFunctionName] = createForwarderHandler(env, write);
  functions[stack.reconcilerFunctionName] = createLocalReconcilerHandler(env, write);
  functions[stack.snapshotFunctionName] = createLocalSnapshotHandler(env, write, stack.snapshotFunctionName);

  const lambda = new LambdaClient({ endpoint: front.url });
  const poller = createPoller({
    mappings: createMappingSource(lambda),
    streams: createStreamReader(createDynamoDbStreamsClient()),
    destination: createSqsDestination(new SQSClient({})),
    functions,
    region,
    logger: logger.child({ component: 'poller' }),
    pollIntervalMs: options.pollIntervalMs,
    reportResult: (uuid, result) => esm.recordResult(uuid, result),
  });
  poller.start();
  cleanups.push(() => poller.stop());

  const reconciler = functions[stack.reconcilerFunctionName]!;
  const invokeReconciler = (event: unknown) => reconciler(event, localContext(stack.reconcilerFunctionName, stack.reconcilerFunctionArn) as Context);
  const deliverToReconciler = async (event: unknown) => {
    await lambda.send(new InvokeCommand({ FunctionName: stack.reconcilerFunctionName, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(event)) }));
  };
  const sweepNow = () => invokeReconciler(scheduledEvent(region, LOCAL_ACCOUNT_ID));

  const sweepInterval = options.sweepIntervalMs ?? 30_000;
  if (sweepInterval > 0) {
    const timer = setInterval(() => {
      deliverToReconciler(scheduledEvent(region, LOCAL_ACCOUNT_ID)).catch((error: unknown) => logger.warn('scheduled sweep not delivered', { error }));
    }, sweepInterval);
    timer.unref();
    cleanups.push(() => clearInterval(timer));
  }

  let stopped: Promise<void> | undefined;
  return {
    aws,
    stack,
    front,
    esm,
    poller,
    region,
    env,
    lambda,
    deliverToReconciler,
    invokeReconciler,
    sweepNow,
    idle: () => front.idle(),
    stop() {
      stopped ??= (async () => {
        for (const cleanup of cleanups.reverse()) {
          try {
            await cleanup();
          } catch (error) {
            logger.warn('cleanup failed', { error });
          }
        }
      })();
      return stopped;
    },
  };
}
