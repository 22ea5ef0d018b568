/**
 * Reading a run from the backfill state table (GetItem, strongly consistent): the part of
 * the state store both the reconciler and the snapshot function use.
 */
import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { conflictOr, itemToState, keyOf, type BackfillStateStore } from './state-store';

/** `get` of the state store on a real (or emulated) DynamoDB table. */
export function createStateReader(client: DynamoDBClient, tableName: string): Pick<BackfillStateStore, 'get'> {
  return {
    async get(sourceTable) {
      try {
        const response = await client.send(
          new GetItemCommand({ TableName: tableName, Key: keyOf(sourceTable), ConsistentRead: true }),
        );
        return response.Item ? itemToState(response.Item) : undefined;
      } catch (error) {
        throw conflictOr(error, `reading backfill state of ${sourceTable}`);
      }
    },
  };
}
