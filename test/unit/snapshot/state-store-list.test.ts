import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { newRun } from '../../../src/backfill-state/checkpoint';
import { TerminalBackfillError } from '../../../src/backfill-state/errors';
import { createDynamoDbStateStore } from '../../../src/backfill-state/dynamodb-store';
import { stateToItem } from '../../../src/backfill-state/state-store';

const STREAM = 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2026-01-01T00:00:00.000';

describe('DynamoDB state store: list (the reconciler sweep reads every run once)', () => {
  const ddb = mockClient(DynamoDBClient);
  afterEach(() => ddb.reset());

  it('scans only the summary fields, page by page, and skips other records', async () => {
    // Prepare
    const run = newRun({ tableName: 'orders', tableArn: 'arn:t', streamArn: STREAM, runId: 'r1', reason: 'stream-enabled', totalSegments: 2, now: 5 });
    const item = stateToItem(run, 3);
    const projected = Object.fromEntries(['pk', 'sk', 'streamArn', 'runId', 'status', 'updatedAt'].map((name) => [name, item[name]!]));
    ddb.on(ScanCommand)
      .resolvesOnce({ Items: [projected, { pk: { S: 'x' }, sk: { S: 'other-record' } }], LastEvaluatedKey: { pk: { S: 'orders' }, sk: { S: 'backfill' } } })
      .resolvesOnce({ Items: [] });
    const store = createDynamoDbStateStore(new DynamoDBClient({ region: 'eu-west-1' }), 'state');

    // Act
    const first = await store.list();
    const second = await store.list(first.next);

    // Assess
    expect(first.items).toEqual([{ tableName: 'orders', streamArn: STREAM, runId: 'r1', status: 'running', updatedAt: 5 }]);
    expect(second).toEqual({ items: [] });
    const calls = ddb.commandCalls(ScanCommand).map((c) => c.args[0].input);
    expect(calls[0]).toMatchObject({ TableName: 'state', ProjectionExpression: '#pk, #sk, #streamArn, #runId, #status, #updatedAt' });
    expect(calls[0]!.ExclusiveStartKey).toBeUndefined();
    expect(calls[1]!.ExclusiveStartKey).toEqual({ pk: { S: 'orders' }, sk: { S: 'backfill' } });
  });

  it('translates SDK errors at the boundary', async () => {
    // Prepare
    ddb.on(ScanCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    const store = createDynamoDbStateStore(new DynamoDBClient({ region: 'eu-west-1' }), 'state');

    // Act
    const listing = store.list();

    // Assess
    await expect(listing).rejects.toBeInstanceOf(TerminalBackfillError);
  });
});
