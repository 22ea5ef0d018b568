/**
 * The reconciler's part of the backfill state table: read and list runs, write whole runs
 * (start, resume, kick). GetItem, Scan and PutItem; it never touches a segment.
 */
import { PutItemCommand, ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { translateAwsError } from './errors';
import { createStateReader } from './dynamodb-reads';
import { conflictOr, itemToSummary, N, STATE_SORT_KEY, stateToItem, type StarterStore } from './state-store';

/** The starter's state store on a real (or emulated) DynamoDB table. */
export function createStarterStore(client: DynamoDBClient, tableName: string): StarterStore {
  return {
    ...createStateReader(client, tableName),

    async list(next) {
      try {
        const response = await client.send(
          new ScanCommand({
            TableName: tableName,
            // Only the summary: the segments map (with its keys) is most of an item's size.
            ProjectionExpression: '#pk, #sk, #streamArn, #runId, #status, #updatedAt',
            ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk', '#streamArn': 'streamArn', '#runId': 'runId', '#status': 'status', '#updatedAt': 'updatedAt' },
            ConsistentRead: true,
            ...(next === undefined ? {} : { ExclusiveStartKey: JSON.parse(next) as Record<string, AttributeValue> }),
          }),
        );
        const items = (response.Items ?? []).filter((item) => item.sk?.S === STATE_SORT_KEY).map(itemToSummary);
        return { items, ...(response.LastEvaluatedKey ? { next: JSON.stringify(response.LastEvaluatedKey) } : {}) };
      } catch (error) {
        throw translateAwsError(error, 'listing backfill states');
      }
    },

    async putRun(state, expectedVersion) {
      const version = (expectedVersion ?? 0) + 1;
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: stateToItem(state, version),
            ...(expectedVersion === undefined
              ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': 'pk' } }
              : {
                  ConditionExpression: '#version = :expected',
                  ExpressionAttributeNames: { '#version': 'version' },
                  ExpressionAttributeValues: { ':expected': N(expectedVersion) },
                }),
          }),
        );
      } catch (error) {
        throw conflictOr(error, `writing backfill run ${state.runId} of ${state.tableName}`);
      }
    },
  };
}
