/**
 * The whole backfill state store on DynamoDB, for tools and tests that both start and run
 * backfills in one process. The functions use their own part (dynamodb-runs.ts in the
 * reconciler, dynamodb-segments.ts in the snapshot function), so neither role needs the
 * other's calls.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createStarterStore } from './dynamodb-runs';
import { createRunnerStore } from './dynamodb-segments';
import type { BackfillStateStore } from './state-store';

/** The state store on a real (or emulated) DynamoDB table. */
export function createDynamoDbStateStore(client: DynamoDBClient, tableName: string): BackfillStateStore {
  return { ...createStarterStore(client, tableName), ...createRunnerStore(client, tableName) };
}
