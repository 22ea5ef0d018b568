/**
 * The table being backfilled, behind a small port: what DescribeTable says (ARN, key
 * attributes, read capacity) and one page of a parallel Scan with its consumed capacity.
 * SDK exceptions become ScanThrottledError / TerminalBackfillError / BackfillError here.
 */
import { DescribeTableCommand, ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { TableReadCapacity } from './budget';
import type { ItemKey } from '../src/backfill-state/checkpoint';
import { TerminalBackfillError, translateAwsError } from '../src/backfill-state/errors';

export type Item = Record<string, AttributeValue>;

export interface SourceTableInfo {
  readonly tableName: string;
  readonly tableArn: string;
  /** KeySchema attribute names: partition key first, then sort key. */
  readonly keyAttributeNames: readonly string[];
  readonly capacity: TableReadCapacity;
  readonly latestStreamArn: string | undefined;
}

export interface ScanPageRequest {
  readonly tableName: string;
  readonly segment: number;
  readonly totalSegments: number;
  readonly exclusiveStartKey: ItemKey | undefined;
  readonly limit: number;
}

export interface ScanPage {
  readonly items: readonly Item[];
  readonly lastKey: ItemKey | undefined;
  /** ConsumedCapacity.CapacityUnits; undefined when the response did not say. */
  readonly consumedRcu: number | undefined;
}

/** Port: the source table. */
export interface SourceTable {
  describe(tableName: string): Promise<SourceTableInfo>;
  scanPage(request: ScanPageRequest): Promise<ScanPage>;
}

export function createDynamoDbSourceTable(client: DynamoDBClient): SourceTable {
  return {
    async describe(tableName) {
      let table;
      try {
        table = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
      } catch (error) {
        throw translateAwsError(error, `DescribeTable ${tableName}`);
      }
      if (!table?.TableArn || !table.KeySchema) throw new TerminalBackfillError(`DescribeTable ${tableName} returned no table ARN or key schema`);
      const hash = table.KeySchema.filter((key) => key.KeyType === 'HASH').map((key) => key.AttributeName ?? '');
      const range = table.KeySchema.filter((key) => key.KeyType === 'RANGE').map((key) => key.AttributeName ?? '');
      const maxReadRequestUnits = table.OnDemandThroughput?.MaxReadRequestUnits;
      return {
        tableName,
        tableArn: table.TableArn,
        keyAttributeNames: [...hash, ...range],
        capacity: {
          // A provisioned table may omit BillingModeSummary entirely.
          billingMode: table.BillingModeSummary?.BillingMode === 'PAY_PER_REQUEST' ? 'PAY_PER_REQUEST' : 'PROVISIONED',
          readCapacityUnits: table.ProvisionedThroughput?.ReadCapacityUnits ?? 0,
          ...(maxReadRequestUnits === undefined ? {} : { maxReadRequestUnits }),
        },
        latestStreamArn: table.LatestStreamArn,
      };
    },

    async scanPage(request) {
      try {
        const response = await client.send(
          new ScanCommand({
            TableName: request.tableName,
            Segment: request.segment,
            TotalSegments: request.totalSegments,
            ExclusiveStartKey: request.exclusiveStartKey,
            Limit: request.limit,
            // Strongly consistent (twice the RCU, which the budget accounts for): a row written just
            // before the stream existed and never again has only this read to reach Kinesis, so a
            // stale read would be stale for good.
            ConsistentRead: true,
            ReturnConsumedCapacity: 'TOTAL',
          }),
        );
        return {
          items: response.Items ?? [],
          lastKey: response.LastEvaluatedKey,
          consumedRcu: response.ConsumedCapacity?.CapacityUnits,
        };
      } catch (error) {
        throw translateAwsError(error, `Scan ${request.tableName} segment ${request.segment}/${request.totalSegments}`);
      }
    },
  };
}
