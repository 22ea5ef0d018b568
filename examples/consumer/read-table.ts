/**
 * How a reader of the read model lists a source table's items (not part of the consumer
 * function: its role has no Query permission).
 */
import { QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { compareGenerations, slotsGeneration, winnerOf, type Item } from '../../src/consumer';
import { createDynamoDbStore } from './read-model';
import { fromAttributes } from './versions';

/**
 * Every present item of a source table, as a reader of the read model sees it: rows of an
 * older stream generation than the table's current one are superseded (a re-created table
 * starts over) and tombstones are absent.
 */
export async function readTable(client: DynamoDBClient, tableName: string, table: string): Promise<Map<string, Item>> {
  const store = createDynamoDbStore(client, tableName);
  const current = await store.generation(table);
  const items = new Map<string, Item>();
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({ TableName: tableName, IndexName: 'byTable', KeyConditionExpression: '#t = :t', ExpressionAttributeNames: { '#t': 'table' }, ExpressionAttributeValues: { ':t': { S: table } }, ExclusiveStartKey: start }),
    );
    for (const attributes of page.Items ?? []) {
      const { key, slots } = fromAttributes(attributes);
      if (slots.stream === undefined && slots.snapshot === undefined) continue; // not a row this code wrote
      const superseded = current !== undefined && compareGenerations(slotsGeneration(slots), current) < 0;
      const winner = winnerOf(slots);
      if (winner.item !== null && !winner.incomplete && !superseded) items.set(key, winner.item);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}
