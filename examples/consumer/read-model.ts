/**
 * The read model: a DynamoDB table holding, per item key of every source table, its merge-rule
 * slots (best stream event, best snapshot, heal cutoff), and per source table its current
 * stream generation. Writes are conditional on the revision of the row they replace, so two
 * writers never overwrite each other's newer slots.
 */
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { fromAttributes, toAttributes, type Row } from './versions';

/** The partition key of a source table's generation row. */
const generationKey = (table: string) => `#generation|${table}`;

/** What the consumer needs from the read model's storage (tests can give a fake). */
export interface ReadModelStore {
  /** The source table's current stream generation; undefined before its first event. */
  generation(table: string): Promise<string | null | undefined>;
  /** Raises the generation (never lowers it). */
  raiseGeneration(table: string, generation: string | null): Promise<void>;
  get(key: string): Promise<Row | undefined>;
  /** Writes `row` if the stored row is still `expected` (by revision); false when it changed meanwhile. */
  put(row: Row, expected: Row | undefined, expiresAt?: number): Promise<boolean>;
}

/** The store on a DynamoDB table (partition key `pk`, string; GSI `byTable` on `table`). */
export function createDynamoDbStore(client: DynamoDBClient, tableName: string): ReadModelStore {
  return {
    async generation(table) {
      const { Item: row } = await client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: generationKey(table) } }, ConsistentRead: true }));
      if (!row) return undefined;
      return row.generation?.S ?? null;
    },
    async raiseGeneration(table, generation) {
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: { pk: { S: generationKey(table) } },
            UpdateExpression: 'SET generation = :g',
            // Text order is the generations' order; a null generation is only ever the first.
            ConditionExpression: generation === null ? 'attribute_not_exists(pk)' : 'attribute_not_exists(pk) OR attribute_type(generation, :null) OR generation < :g',
            ExpressionAttributeValues: generation === null ? { ':g': { NULL: true } } : { ':g': { S: generation }, ':null': { S: 'NULL' } },
          }),
        );
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error; // already as new or newer
      }
    },
    async get(key) {
      const { Item: row } = await client.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: key } }, ConsistentRead: true }));
      return row ? fromAttributes(row) : undefined;
    },
    async put(row, expected, expiresAt) {
      try {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: toAttributes(row, expiresAt),
            ConditionExpression: expected ? 'revision = :expected' : 'attribute_not_exists(pk)',
            ...(expected ? { ExpressionAttributeValues: { ':expected': { N: String(expected.revision) } } } : {}),
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw error;
      }
    },
  };
}
