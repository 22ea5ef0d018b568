/**
 * DescribeTable's TableDescription as the reconciler observes it. Its own module, without SDK
 * commands, so the teardown function reads tables the same way without bundling (and so being
 * granted) the reconciler's write calls.
 */
import type { TableDescription } from '@aws-sdk/client-dynamodb';
import type { ObservedTable } from '../model';

export function toObservedTable(table: TableDescription): ObservedTable {
  const billing = table.BillingModeSummary?.BillingMode;
  return {
    name: table.TableName ?? '',
    arn: table.TableArn ?? '',
    status: table.TableStatus ?? 'ACTIVE',
    // BillingModeSummary is absent on tables that were always provisioned.
    billingMode: billing === 'PAY_PER_REQUEST' ? 'PAY_PER_REQUEST' : 'PROVISIONED',
    stream: {
      enabled: table.StreamSpecification?.StreamEnabled === true,
      ...(table.StreamSpecification?.StreamViewType ? { viewType: table.StreamSpecification.StreamViewType } : {}),
      ...(table.LatestStreamArn ? { latestArn: table.LatestStreamArn } : {}),
    },
    indexes: (table.GlobalSecondaryIndexes ?? []).map((gsi) => ({ name: gsi.IndexName ?? '', status: gsi.IndexStatus ?? 'ACTIVE' })),
  };
}
