/**
 * The backfill state store on moto's DynamoDB: the conditional writes that keep two
 * invocations from both advancing one segment, and two starts from both creating a run,
 * checked against a real condition-expression engine (reserved words included).
 */
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { applyPage, claim, newRun } from '../../src/backfill-state/checkpoint';
import { StateConflictError } from '../../src/backfill-state/errors';
import { createDynamoDbStateStore } from '../../src/backfill-state/dynamodb-store';
import { stateTableDefinition, type BackfillStateStore } from '../../src/backfill-state/state-store';
import { createDynamoDbClient } from '../../src/aws/clients';
import { useLocalAws } from '../support/local-aws';

jest.setTimeout(60_000);
useLocalAws({ services: { moto: true, kinesis: false } });

const STATE_TABLE = 'backfill-state';
const run = (runId: string, streamArn = 'arn:s1') =>
  newRun({ tableName: 'orders', tableArn: 'arn:t', streamArn, runId, reason: 'stream-enabled', totalSegments: 2, now: 1_000 });

describe('DynamoDB backfill state store', () => {
  let store: BackfillStateStore;

  beforeAll(async () => {
    const client = createDynamoDbClient();
    await client.send(new CreateTableCommand(stateTableDefinition(STATE_TABLE)));
    store = createDynamoDbStateStore(client, STATE_TABLE);
  });

  it('creates a run once, replaces it only at the version read, and round-trips it', async () => {
    // Act
    await store.putRun(run('r1'), undefined);
    const second = store.putRun(run('r2'), undefined);
    const stored = await store.get('orders');
    const staleReplace = store.putRun(run('r3'), 0);

    // Assess
    await expect(second).rejects.toThrow(StateConflictError);
    await expect(staleReplace).rejects.toThrow(StateConflictError);
    expect(stored).toEqual({ value: run('r1'), version: 1 });
    expect(await store.get('missing')).toBeUndefined();
  });

  it('advances a segment only at the version read, and only for the current run', async () => {
    // Prepare
    const current = await store.get('orders');
    if (!current) throw new Error('no run');
    const segment = current.value.segments[1]!;
    const claimed = claim(segment, 'invocation-a', 99_000, 2_000);

    // Act
    const afterClaim = await store.saveSegment('orders', 'r1', claimed, segment.version, 2_000);
    const rival = store.saveSegment('orders', 'r1', claim(segment, 'invocation-b', 99_000, 2_000), segment.version, 2_000);
    const page = applyPage(claimed, { items: 3, lastKey: { id: { B: new Uint8Array([1, 2, 3]) }, n: { N: '42.5' } } });
    const afterPage = await store.saveSegment('orders', 'r1', page, claimed.version, 3_000);
    const otherRun = store.saveSegment('orders', 'r0', applyPage(page, { items: 1, lastKey: undefined }), page.version, 3_000);

    // Assess
    expect(afterClaim.value.segments[1]).toMatchObject({ owner: 'invocation-a', version: 1 });
    await expect(rival).rejects.toThrow(StateConflictError);
    expect(afterPage.value.segments[1]).toEqual(page);
    expect(afterPage.value.updatedAt).toBe(3_000);
    expect(afterPage.version).toBe(current.version + 2);
    await expect(otherRun).rejects.toThrow(StateConflictError);
  });

  it("keeps a run's fixed read budget (a fraction of RCU) through segment commits", async () => {
    // Prepare
    const budgeted = { ...newRun({ tableName: 'customers', tableArn: 'arn:t2', streamArn: 'arn:s2', runId: 'b1', reason: 'stream-enabled', totalSegments: 1, now: 1_000 }), readBudgetRcu: 12.5 };
    await store.putRun(budgeted, undefined);
    const segment = budgeted.segments[0]!;

    // Act
    const afterCommit = await store.saveSegment('customers', 'b1', claim(segment, 'invocation-a', 99_000, 2_000), segment.version, 2_000);

    // Assess
    expect(afterCommit.value.readBudgetRcu).toBe(12.5);
    expect((await store.get('customers'))?.value.readBudgetRcu).toBe(12.5);
  });

  it('fixes a read budget once: the first writer wins, a superseded run is refused', async () => {
    // Prepare
    await store.putRun(newRun({ tableName: 'invoices', tableArn: 'arn:t3', streamArn: 'arn:s3', runId: 'f1', reason: 'stream-enabled', totalSegments: 1, now: 1_000 }), undefined);

    // Act
    const first = await store.fixReadBudget('invoices', 'f1', 50, 2_000);
    const second = await store.fixReadBudget('invoices', 'f1', 9, 3_000);
    const otherRun = store.fixReadBudget('invoices', 'not-this-run', 7, 4_000);

    // Assess
    expect([first, second]).toEqual([50, 50]);
    await expect(otherRun).rejects.toThrow(StateConflictError);
    expect((await store.get('invoices'))?.value.readBudgetRcu).toBe(50);
  });

  it('finishes a running run once', async () => {
    // Act
    await store.finish('orders', 'r1', 'failed', 'boom', 4_000);
    const again = store.finish('orders', 'r1', 'done', undefined, 5_000);
    const stored = await store.get('orders');
    const segmentAfterFinish = store.saveSegment('orders', 'r1', stored!.value.segments[0]!, stored!.value.segments[0]!.version, 6_000);

    // Assess
    await expect(again).rejects.toThrow(StateConflictError);
    expect(stored?.value).toMatchObject({ status: 'failed', error: 'boom', finishedAt: 4_000 });
    await expect(segmentAfterFinish).rejects.toThrow(StateConflictError);
  });
});
