/**
 * The snapshot function's part of the backfill state table: read a run, checkpoint its
 * read budget and segments and finish it. GetItem and UpdateItem; it never creates or lists runs.
 */
import { UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BACKFILL_STATUS } from './checkpoint';
import { createStateReader } from './dynamodb-reads';
import { BackfillError } from './errors';
import { conflictOr, itemToState, keyOf, N, S, segmentToItem, type RunnerStore } from './state-store';

/** The runner's state store on a real (or emulated) DynamoDB table. */
export function createRunnerStore(client: DynamoDBClient, tableName: string): RunnerStore {
  return {
    ...createStateReader(client, tableName),

    async saveSegment(sourceTable, runId, segment, expectedVersion, now) {
      try {
        const response = await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: keyOf(sourceTable),
            UpdateExpression: 'SET #segments.#seg = :segment, #updatedAt = :now ADD #version :one',
            ConditionExpression: '#runId = :runId AND #status = :running AND #segments.#seg.#version = :expected',
            ExpressionAttributeNames: {
              '#segments': 'segments',
              '#seg': String(segment.segment),
              '#updatedAt': 'updatedAt',
              '#version': 'version',
              '#runId': 'runId',
              '#status': 'status',
            },
            ExpressionAttributeValues: {
              ':segment': segmentToItem(segment),
              ':now': N(now),
              ':one': N(1),
              ':runId': S(runId),
              ':running': S(BACKFILL_STATUS.running),
              ':expected': N(expectedVersion),
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
        if (!response.Attributes) throw new BackfillError(`saving segment ${segment.segment} of ${sourceTable} returned no state`);
        return itemToState(response.Attributes);
      } catch (error) {
        throw conflictOr(error, `saving segment ${segment.segment} of ${sourceTable} (run ${runId})`);
      }
    },

    async fixReadBudget(sourceTable, runId, budgetRcu, now) {
      try {
        const response = await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: keyOf(sourceTable),
            UpdateExpression: 'SET #budget = if_not_exists(#budget, :budget), #updatedAt = :now ADD #version :one',
            ConditionExpression: '#runId = :runId AND #status = :running',
            ExpressionAttributeNames: { '#budget': 'readBudgetRcu', '#updatedAt': 'updatedAt', '#version': 'version', '#runId': 'runId', '#status': 'status' },
            ExpressionAttributeValues: { ':budget': N(budgetRcu), ':now': N(now), ':one': N(1), ':runId': S(runId), ':running': S(BACKFILL_STATUS.running) },
            ReturnValues: 'ALL_NEW',
          }),
        );
        const stored = response.Attributes ? itemToState(response.Attributes).value.readBudgetRcu : undefined;
        if (stored === undefined) throw new BackfillError(`fixing the read budget of ${sourceTable} returned no budget`);
        return stored;
      } catch (error) {
        throw conflictOr(error, `fixing the read budget of ${sourceTable} (run ${runId})`);
      }
    },

    async finish(sourceTable, runId, status, error, now) {
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: keyOf(sourceTable),
            UpdateExpression:
              error === undefined
                ? 'SET #status = :status, #finishedAt = :now, #updatedAt = :now REMOVE #error ADD #version :one'
                : 'SET #status = :status, #finishedAt = :now, #updatedAt = :now, #error = :error ADD #version :one',
            ConditionExpression: '#runId = :runId AND #status = :running',
            ExpressionAttributeNames: {
              '#status': 'status',
              '#error': 'error',
              '#finishedAt': 'finishedAt',
              '#updatedAt': 'updatedAt',
              '#version': 'version',
              '#runId': 'runId',
            },
            ExpressionAttributeValues: {
              ':status': S(status),
              ':now': N(now),
              ':one': N(1),
              ':runId': S(runId),
              ':running': S(BACKFILL_STATUS.running),
              ...(error === undefined ? {} : { ':error': S(error) }),
            },
          }),
        );
      } catch (caught) {
        throw conflictOr(caught, `finishing backfill run ${runId} of ${sourceTable}`);
      }
    },
  };
}
