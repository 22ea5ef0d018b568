/**
 * Reads what the pipeline did to a table, straight from the AWS APIs (not through the
 * reconciler's code, so a test of the reconciler's result does not trust the reconciler).
 */
import { DescribeScalableTargetsCommand, type ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { DescribeTableCommand, ListTagsOfResourceCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListEventSourceMappingsCommand, type LambdaClient } from '@aws-sdk/client-lambda';

export interface TableInspection {
  readonly table: string;
  readonly streamEnabled: boolean;
  readonly streamViewType?: string;
  readonly latestStreamArn?: string;
  readonly billingMode: string;
  /** Mappings of `functionArn` on the table's latest stream. */
  readonly mappingsOnLatestStream: number;
  /** Mappings of `functionArn` on any stream of this table. */
  readonly mappingsOnAnyStream: number;
  readonly scalingTargets: number;
  readonly tags: Record<string, string>;
}

export async function inspectTable(
  clients: { dynamodb: DynamoDBClient; lambda: LambdaClient; autoscaling: ApplicationAutoScalingClient },
  table: string,
  functionArn: string,
): Promise<TableInspection> {
  const { Table } = await clients.dynamodb.send(new DescribeTableCommand({ TableName: table }));
  const latest = Table?.StreamSpecification?.StreamEnabled ? Table.LatestStreamArn : undefined;
  const mappings = [];
  let marker: string | undefined;
  do {
    const page = await clients.lambda.send(new ListEventSourceMappingsCommand({ FunctionName: functionArn, Marker: marker }));
    mappings.push(...(page.EventSourceMappings ?? []));
    marker = page.NextMarker;
  } while (marker);
  const ofTable = mappings.filter((m) => m.EventSourceArn?.includes(`:table/${table}/stream/`));
  const targets = await clients.autoscaling.send(
    new DescribeScalableTargetsCommand({ ServiceNamespace: 'dynamodb', ResourceIds: [`table/${table}`, ...(Table?.GlobalSecondaryIndexes ?? []).map((i) => `table/${table}/index/${i.IndexName}`)] }),
  );
  const tags = Table?.TableArn ? (await clients.dynamodb.send(new ListTagsOfResourceCommand({ ResourceArn: Table.TableArn }))).Tags ?? [] : [];
  return {
    table,
    streamEnabled: Table?.StreamSpecification?.StreamEnabled ?? false,
    streamViewType: Table?.StreamSpecification?.StreamViewType,
    latestStreamArn: latest,
    billingMode: Table?.BillingModeSummary?.BillingMode ?? 'PROVISIONED',
    mappingsOnLatestStream: latest ? ofTable.filter((m) => m.EventSourceArn === latest).length : 0,
    mappingsOnAnyStream: ofTable.length,
    scalingTargets: (targets.ScalableTargets ?? []).length,
    tags: Object.fromEntries(tags.map((t) => [t.Key ?? '', t.Value ?? ''])),
  };
}
