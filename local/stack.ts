/**
 * Creates in the emulators what template.yaml deploys, under fixed local names: the
 * Kinesis change stream, the forwarder's dead-letter queue, the backfill state table, an
 * IAM role and the three functions registered in the Lambda API (moto needs the forwarder
 * to exist before the reconciler can create event source mappings to it). Idempotent:
 * running it against emulators that already hold the stack reuses what is there.
 *
 * Development tooling only: never bundled into a Lambda function.
 */
import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateFunctionCommand, GetFunctionCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { stateTableDefinition } from '../src/backfill-state/state-store';

/** The names the local run uses; everything is prefixed so the reconciler's filter can leave it alone. */
export const LOCAL_NAMES = {
  stream: 'dms-event-bus-changes',
  forwarderDlq: 'dms-event-bus-forwarder-dlq',
  backfillStateTable: 'dms-event-bus-backfill-state',
  role: 'dms-event-bus-local-role',
  forwarder: 'dms-event-bus-forwarder',
  reconciler: 'dms-event-bus-reconciler',
  snapshot: 'dms-event-bus-snapshot',
} as const;

/** moto's fixed account id. */
export const LOCAL_ACCOUNT_ID = '123456789012';

export interface LocalStack {
  readonly streamName: string;
  readonly streamArn: string;
  readonly forwarderDlqUrl: string;
  readonly forwarderDlqArn: string;
  readonly backfillStateTable: string;
  readonly forwarderFunctionArn: string;
  readonly reconcilerFunctionArn: string;
  readonly forwarderFunctionName: string;
  readonly reconcilerFunctionName: string;
  readonly snapshotFunctionArn: string;
  readonly snapshotFunctionName: string;
}

export interface StackClients {
  readonly dynamodb: DynamoDBClient;
  readonly kinesis: KinesisClient;
  readonly lambda: LambdaClient;
  readonly sqs: SQSClient;
}

export interface StackOptions {
  readonly motoUrl: string;
  readonly region: string;
  /** Shards of the change stream (the template's default stream is on-demand). */
  readonly shardCount?: number;
}

const LAMBDA_TRUST_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

/** A valid, empty ZIP archive: moto stores the code but never runs it (the local run does). */
const EMPTY_ZIP = Uint8Array.from([0x50, 0x4b, 0x05, 0x06, ...new Array<number>(18).fill(0)]);

const nameOf = (error: unknown) => (error as { name?: string } | null)?.name ?? '';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * IAM through its Query API: the project depends on no IAM client (no product code needs
 * one), and moto accepts any signature. Returns the role ARN, creating the role if needed.
 */
export async function ensureLambdaRole(motoUrl: string, region: string, roleName: string): Promise<string> {
  const call = async (params: Record<string, string>) => {
    const response = await fetch(`${motoUrl}/`, {
      method: 'POST',
      body: new URLSearchParams({ Version: '2010-05-08', ...params }),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `AWS4-HMAC-SHA256 Credential=local/20260101/${region}/iam/aws4_request, SignedHeaders=host, Signature=0`,
      },
    });
    return { status: response.status, text: await response.text() };
  };
  const created = await call({ Action: 'CreateRole', RoleName: roleName, AssumeRolePolicyDocument: LAMBDA_TRUST_POLICY });
  const found = created.status === 200 ? created : await call({ Action: 'GetRole', RoleName: roleName });
  const arn = /<Arn>([^<]+)<\/Arn>/.exec(found.text)?.[1];
  if (!arn) throw new Error(`could not create the local IAM role ${roleName}: HTTP ${found.status} ${found.text.slice(0, 200)}`);
  return arn;
}

async function ensureFunction(lambda: LambdaClient, name: string, roleArn: string): Promise<string> {
  try {
    const created = await lambda.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Role: roleArn,
        Runtime: 'nodejs22.x', // moto 5's list of runtimes; the template deploys nodejs24.x
        Handler: 'index.handler',
        Architectures: ['arm64'],
        Code: { ZipFile: EMPTY_ZIP },
      }),
    );
    return created.FunctionArn!;
  } catch (error) {
    if (nameOf(error) !== 'ResourceConflictException') throw error;
    const existing = await lambda.send(new GetFunctionCommand({ FunctionName: name }));
    return existing.Configuration!.FunctionArn!;
  }
}

async function ensureStream(kinesis: KinesisClient, name: string, shardCount: number): Promise<string> {
  try {
    await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
  } catch (error) {
    if (nameOf(error) !== 'ResourceInUseException') throw error;
  }
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const { StreamDescriptionSummary: summary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (summary?.StreamStatus === 'ACTIVE') return summary.StreamARN!;
    await sleep(100);
  }
  throw new Error(`the local Kinesis stream ${name} did not become ACTIVE`);
}

async function ensureStateTable(dynamodb: DynamoDBClient, name: string): Promise<void> {
  try {
    // Same key schema as BackfillStateTable in template.yaml.
    await dynamodb.send(new CreateTableCommand(stateTableDefinition(name)));
  } catch (error) {
    if (nameOf(error) !== 'ResourceInUseException') throw error;
  }
  await dynamodb.send(new DescribeTableCommand({ TableName: name }));
}

/** Creates (or finds) every resource of the local stack. */
export async function provisionLocalStack(clients: StackClients, options: StackOptions): Promise<LocalStack> {
  const roleArn = await ensureLambdaRole(options.motoUrl, options.region, LOCAL_NAMES.role);
  const [streamArn, queue, , forwarderFunctionArn, reconcilerFunctionArn, snapshotFunctionArn] = await Promise.all([
    ensureStream(clients.kinesis, LOCAL_NAMES.stream, options.shardCount ?? 4),
    clients.sqs.send(new CreateQueueCommand({ QueueName: LOCAL_NAMES.forwarderDlq })),
    ensureStateTable(clients.dynamodb, LOCAL_NAMES.backfillStateTable),
    ensureFunction(clients.lambda, LOCAL_NAMES.forwarder, roleArn),
    ensureFunction(clients.lambda, LOCAL_NAMES.reconciler, roleArn),
    ensureFunction(clients.lambda, LOCAL_NAMES.snapshot, roleArn),
  ]);
  const attributes = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.QueueUrl, AttributeNames: ['QueueArn'] }));
  return {
    streamName: LOCAL_NAMES.stream,
    streamArn,
    forwarderDlqUrl: queue.QueueUrl!,
    forwarderDlqArn: attributes.Attributes!.QueueArn!,
    backfillStateTable: LOCAL_NAMES.backfillStateTable,
    forwarderFunctionArn,
    reconcilerFunctionArn,
    forwarderFunctionName: LOCAL_NAMES.forwarder,
    reconcilerFunctionName: LOCAL_NAMES.reconciler,
    snapshotFunctionArn,
    snapshotFunctionName: LOCAL_NAMES.snapshot,
  };
}

/**
 * The functions' environment in the local run: what template.yaml sets, with the local
 * resource names and settings that suit a laptop (small backfill segments). The endpoint
 * variables (AWS_ENDPOINT_URL_*) come from the emulators, not from here.
 * `overrides` wins (e.g. POWERTOOLS_LOG_LEVEL). Each function's POWERTOOLS_SERVICE_NAME is its
 * default (forwarder, reconciler), as in template.yaml.
 */
export function functionEnvironment(stack: LocalStack, overrides: Readonly<Record<string, string>> = {}): Record<string, string> {
  return {
    // forwarder
    KINESIS_STREAM_NAME: stack.streamName,
    MAX_RECORD_SIZE_BYTES: '1048576',
    PUBLISH_MAX_ATTEMPTS: '8',
    POWERTOOLS_METRICS_NAMESPACE: 'DmsEventBus',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    // forwarder and snapshot function: the DMS header columns of dms/table-mapping.json, removed from the images
    ORIGIN_COMMIT_TIME_ATTRIBUTE: 'dms_commit_timestamp',
    ORIGIN_CHANGE_SEQUENCE_ATTRIBUTE: 'dms_change_seq',
    ORIGIN_TRANSACTION_ID_ATTRIBUTE: 'dms_transaction_id',
    ORIGIN_STREAM_POSITION_ATTRIBUTE: 'dms_stream_position',
    ORIGIN_KEEP_ATTRIBUTES: 'false',
    LAG_METRICS_PER_TABLE: 'false',
    // no heartbeat table unless the local run is asked for one (npm start -- --heartbeat <s>)
    HEARTBEAT_TABLE_PATTERNS: '',
    HEARTBEAT_PUBLISH: 'true',
    // reconciler
    FORWARDER_FUNCTION_ARN: stack.forwarderFunctionArn,
    FORWARDER_DLQ_ARN: stack.forwarderDlqArn,
    TABLE_INCLUDE_PATTERNS: '*',
    TABLE_EXCLUDE_PATTERNS: 'awsdms_*,dms-event-bus-*',
    CREATOR_ROLE_PATTERN: '',
    CAPACITY_MODE: 'autoscale',
    SCALING_MIN_CAPACITY: '5',
    SCALING_MAX_CAPACITY: '1000',
    SCALING_TARGET_UTILIZATION: '70',
    ESM_BATCH_SIZE: '100',
    ESM_BATCHING_WINDOW_SECONDS: '0',
    ESM_PARALLELIZATION_FACTOR: '1',
    ESM_MAX_RETRY_ATTEMPTS: '-1',
    ESM_MAX_RECORD_AGE_SECONDS: '-1',
    ESM_BISECT_ON_ERROR: 'false',
    STREAM_CONFLICT_POLICY: 'report',
    EVENT_BUS_NAME: 'default',
    BACKFILL_ENABLED: 'true',
    BACKFILL_STATE_TABLE: stack.backfillStateTable,
    BACKFILL_SEGMENTS: '2',
    BACKFILL_READ_CAPACITY_FRACTION: '0.25',
    BACKFILL_ON_DEMAND_MAX_RCU: '100',
    BACKFILL_PAGE_LIMIT: '500',
    BACKFILL_STOP_MARGIN_MS: '20000',
    BACKFILL_MAX_SEGMENT_ATTEMPTS: '5',
    SWEEP_CONCURRENCY: '4',
    SWEEP_TIME_RESERVE_SECONDS: '20',
    // reconciler (starts backfills) and snapshot function (runs them, continues itself)
    SNAPSHOT_FUNCTION_NAME: stack.snapshotFunctionName,
    // the CLI's --invoke target
    RECONCILER_FUNCTION_NAME: stack.reconcilerFunctionName,
    // redriver
    DEAD_LETTER_QUEUE_URL: stack.forwarderDlqUrl,
    // the CLI (dms-event-bus redrive reads the queue from it)
    FORWARDER_DLQ_URL: stack.forwarderDlqUrl,
    ...overrides,
  };
}
