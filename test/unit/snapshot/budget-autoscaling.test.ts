/**
 * The backfill's read budget during a long run on a table whose read capacity auto scaling
 * shrinks while the scan runs (target tracking scale-in, modelled in ./auto-scaling-table.ts
 * after the AWS documents it cites), and the run-wide budget that prevents the spiral.
 */
import { createBackfillStarter } from '../../../reconciler/backfill/starter';
import { StateConflictError } from '../../../src/backfill-state/errors';
import { itemToState, stateToItem } from '../../../src/backfill-state/state-store';
import type { BackfillDeps } from '../../../snapshot/deps';
import { BudgetSource, runReadBudget } from '../../../snapshot/run-budget';
import { runBackfillInvocation } from '../../../snapshot/runner';
import { AutoScalingTable } from './auto-scaling-table';
import { harness, type Harness } from './fakes';

const TABLE = 'orders';
const TABLE_ARN = 'arn:aws:dynamodb:us-east-1:000000000000:table/orders';
const STREAM = `${TABLE_ARN}/stream/1`;
const HOUR_MS = 3_600_000;
/** Lambda's longest timeout: each invocation scans for up to 15 minutes, then hands over. */
const INVOCATION_MS = 900_000;

async function startRun(h: Harness, deps: Harness['deps']): Promise<string> {
  expect(await createBackfillStarter(deps).start({ tableName: TABLE, tableArn: TABLE_ARN, streamArn: STREAM, reason: 'stream-enabled', force: false })).toBe('started');
  return h.invoker.queue.shift()?.runId as string;
}

/** Delivers invocations one after another (as Lambda's async queue does) until the run ends or `limitMs` of fake time passed. */
async function runFor(h: Harness, deps: BackfillDeps, runId: string, limitMs: number): Promise<number[]> {
  const budgets: number[] = [];
  const until = h.clock.now() + limitMs;
  for (let count = 1; h.clock.now() < until; count++) {
    const deadline = h.clock.now() + INVOCATION_MS;
    const logsBefore = h.logs.length;
    const result = await runBackfillInvocation({ tableName: TABLE, runId }, { invocationId: `inv-${count}`, getRemainingTimeInMillis: () => deadline - h.clock.now() }, deps);
    const started = h.logs.slice(logsBefore).map((line) => JSON.parse(line)).find((line) => line.message === 'backfill invocation started');
    budgets.push(started?.budgetRcu);
    if (result.outcome !== 'continued') break;
    h.invoker.queue.shift();
    h.clock.time = Math.max(h.clock.time, deadline); // the next invocation starts after this one ended
  }
  return budgets;
}

describe('backfill read budget under DynamoDB auto scaling', () => {
  it('keeps the run-start budget while target tracking scales the table in, and finishes a 3-hour scan in about 3 hours', async () => {
    // Prepare: 200 RCU, target 70% (the reconciler's default), a quarter of it for the scan (50 RCU/s),
    // 5,400 pages of 100 RCU: 3 hours at 50 RCU/s.
    const h = harness({ settings: { segments: 1, readCapacityFraction: 0.25, stopMarginMs: 20_000 } });
    const table = new AutoScalingTable(
      { initialRcu: 200, minRcu: 5, maxRcu: 1_000, targetPercent: 70, pagesPerSegment: 5_400, rcuPerPage: 100, now: h.clock.now },
      { tableName: TABLE, tableArn: TABLE_ARN, keyAttributeNames: ['id'], latestStreamArn: STREAM },
    );
    const deps: Harness['deps'] = { ...h.deps, source: table };
    const startedAt = h.clock.now();
    const runId = await startRun(h, deps);

    // Act
    const budgets = await runFor(h, deps, runId, 6 * HOUR_MS);

    // Assess: auto scaling did scale in (to where 50 RCU/s is the 70% target), the budget never followed it down
    expect(new Set(budgets)).toEqual(new Set([50]));
    expect(table.history.some(({ rcu }) => rcu < 200)).toBe(true);
    expect(table.provisionedRcu).toBe(Math.ceil(50 / 0.7));
    expect(table.overConsumedMinutes).toBe(0);
    expect(h.store.rows.get(TABLE)?.value.status).toBe('done');
    expect(h.clock.now() - startedAt).toBeLessThan(3.2 * HOUR_MS);
  });
});

describe('runReadBudget', () => {
  async function prepared() {
    const h = harness();
    const runId = await startRun(h, h.deps);
    const initial = h.store.rows.get(TABLE)!;
    return { h, runId, initial, settings: { fraction: 0.25, onDemandMaxRcu: 100 }, capacity: { billingMode: 'PROVISIONED' as const, readCapacityUnits: 200 } };
  }

  it("derives the first invocation's budget from the capacity now and stores it in the run", async () => {
    // Prepare
    const { h, initial, settings, capacity } = await prepared();
    // Act
    const first = await runReadBudget(initial, capacity, settings, h.deps);
    const later = await runReadBudget(h.store.rows.get(TABLE)!, { ...capacity, readCapacityUnits: 9 }, settings, h.deps);
    // Assess
    expect(first).toEqual({ budgetRcu: 50, source: BudgetSource.Fixed });
    expect(later).toEqual({ budgetRcu: 50, source: BudgetSource.Run });
    expect(h.store.rows.get(TABLE)?.value.readBudgetRcu).toBe(50);
  });

  it('uses the budget a concurrent invocation stored first', async () => {
    // Prepare: between our read and our write, another invocation fixes 80
    const { h, initial, settings, capacity } = await prepared();
    const other = h.store.rows.get(TABLE)!;
    await h.store.putRun({ ...other.value, readBudgetRcu: 80 }, other.version);
    // Act
    const budget = await runReadBudget(initial, capacity, settings, h.deps);
    // Assess
    expect(budget).toEqual({ budgetRcu: 80, source: BudgetSource.Run });
  });

  it('uses an unstored budget, with a warning, when the run changed under it', async () => {
    // Prepare
    const { h, initial, settings, capacity } = await prepared();
    h.store.beforeWrite = () => {
      throw new StateConflictError('segment commit won');
    };
    // Act
    const budget = await runReadBudget(initial, capacity, settings, h.deps);
    // Assess
    expect(budget).toEqual({ budgetRcu: 50, source: BudgetSource.Unstored });
    expect(h.logs.some((line) => line.includes('read budget not stored'))).toBe(true);
  });

  it('survives the state table round trip', async () => {
    // Prepare
    const { initial } = await prepared();
    const state = { ...initial.value, readBudgetRcu: 12.5 };
    // Act
    const read = itemToState(stateToItem(state, 3));
    // Assess
    expect(read.value.readBudgetRcu).toBe(12.5);
    expect(itemToState(stateToItem(initial.value, 3)).value.readBudgetRcu).toBeUndefined();
  });
});
