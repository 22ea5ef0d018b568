/** DynamoDB control-plane adapter: DescribeTable -> ObservedTable, UpdateTable, tags. */
import {
  DescribeTableCommand,
  ListTablesCommand,
  ListTagsOfResourceCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateTableCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { awsCall, AwsCallError, ErrorKind } from '../errors';
import type { TablePort } from '../ports';
import { toObservedTable } from './observed-table';

export function createDynamoDbTablePort(client: DynamoDBClient): TablePort {
  return {
    async listTables(exclusiveStartTableName) {
      const out = await awsCall('ListTables', () => client.send(new ListTablesCommand({ ExclusiveStartTableName: exclusiveStartTableName, Limit: 100 })));
      return { items: out.TableNames ?? [], ...(out.LastEvaluatedTableName ? { next: out.LastEvaluatedTableName } : {}) };
    },
    async describeTable(tableName) {
      try {
        const out = await awsCall('DescribeTable', () => client.send(new DescribeTableCommand({ TableName: tableName })));
        return out.Table ? toObservedTable(out.Table) : null;
      } catch (error) {
        if (error instanceof AwsCallError && error.kind === ErrorKind.NotFound) return null;
        throw error;
      }
    },
    async enableStream(tableName, viewType) {
      const out = await awsCall('UpdateTable', () =>
        client.send(new UpdateTableCommand({ TableName: tableName, StreamSpecification: { StreamEnabled: true, StreamViewType: viewType as 'NEW_AND_OLD_IMAGES' } })),
      ).catch(retryIfStreamStateChanged);
      // The new stream as UpdateTable itself reports it: a DescribeTable now may still show the previous one.
      const table = out.TableDescription;
      return {
        ...(table?.LatestStreamArn ? { streamArn: table.LatestStreamArn } : {}),
        ...(table?.LatestStreamLabel ? { streamLabel: table.LatestStreamLabel } : {}),
      };
    },
    async disableStream(tableName) {
      await awsCall('UpdateTable', () => client.send(new UpdateTableCommand({ TableName: tableName, StreamSpecification: { StreamEnabled: false } }))).catch(
        retryIfStreamStateChanged,
      );
    },
    async setBillingMode(tableName, billingMode) {
      await awsCall('UpdateTable', () => client.send(new UpdateTableCommand({ TableName: tableName, BillingMode: billingMode })));
    },
    async tagTable(tableArn, tags) {
      await awsCall('TagResource', () => client.send(new TagResourceCommand({ ResourceArn: tableArn, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) })));
    },
    async untagTable(tableArn, keys) {
      try {
        await awsCall('UntagResource', () => client.send(new UntagResourceCommand({ ResourceArn: tableArn, TagKeys: keys })));
      } catch (error) {
        if (error instanceof AwsCallError && error.kind === ErrorKind.NotFound) return; // the table is gone, and its tags with it
        throw error;
      }
    },
    async listTags(tableArn) {
      const tags: Record<string, string> = {};
      let next: string | undefined;
      do {
        const out = await awsCall('ListTagsOfResource', () => client.send(new ListTagsOfResourceCommand({ ResourceArn: tableArn, NextToken: next })));
        for (const tag of out.Tags ?? []) if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
        next = out.NextToken;
      } while (next);
      return tags;
    },
  };
}

/**
 * Enabling a stream that exists (or disabling one that does not) fails with
 * ResourceInUseException in older docs and ValidationException in the current API model:
 * either way the state changed under us, so observe again rather than fail for good.
 */
function retryIfStreamStateChanged(error: AwsCallError): never {
  if (error.kind === ErrorKind.Terminal && error.code === 'ValidationException' && /stream/i.test(error.message)) {
    throw new AwsCallError(ErrorKind.Conflict, error.operation, error.code, error.message, { cause: error.cause });
  }
  throw error;
}
