import { createBackfillStarter } from '../../../reconciler/backfill/starter';
import { handleBackfillRequest } from '../../../reconciler/backfill/index';
import type { ObservedTable } from '../../../reconciler/model';
import { createHandler, handleBackfillInvocation } from '../../../snapshot/index';
import { parseBackfillInvocation } from '../../../src/backfill-state/invocation';
import type { BackfillInvocation } from '../../../src/backfill-state/ports';
import { MalformedInputError } from '../../../src/errors';
import { harness, type Harness } from './fakes';

const TABLE = 'orders';
const STREAM = 'arn:aws:dynamodb:us-east-1:000000000000:table/orders/stream/1';
const TABLE_ARN = 'arn:aws:dynamodb:us-east-1:000000000000:table/orders';

function context(h: Harness, remainingMs: number) {
  const deadline = h.clock.now() + remainingMs;
  return { awsRequestId: 'invocation-1', getRemainingTimeInMillis: () => deadline - h.clock.now() };
}

/** The reconciler's view of the fake source table (DescribeTable), for the start route. */
function reconcilerDeps(h: Harness) {
  const describeTable = async (name: string): Promise<ObservedTable> => ({
    name,
    arn: h.source.info.tableArn,
    status: 'ACTIVE',
    billingMode: 'PAY_PER_REQUEST',
    stream: { enabled: h.source.info.latestStreamArn !== undefined, ...(h.source.info.latestStreamArn ? { latestArn: h.source.info.latestStreamArn } : {}) },
    indexes: [],
  });
  return { ...h.deps, tables: { describeTable } };
}

describe('backfill invocation payloads', () => {
  it.each([
    { event: null, message: 'JSON object' },
    { event: { action: 'sweep', tableName: 't' }, message: '"action":"backfill"' },
    { event: { action: 'backfill' }, message: 'tableName' },
    { event: { action: 'backfill', tableName: 't', runId: 5 }, message: 'runId' },
    { event: { action: 'backfill', tableName: 't', force: 'yes' }, message: 'force' },
  ])('rejects $event', ({ event, message }) => {
    expect(() => parseBackfillInvocation(event)).toThrow(MalformedInputError);
    expect(() => parseBackfillInvocation(event)).toThrow(message);
  });

  it('the reconciler starts a manual backfill of the current stream; the snapshot function runs it', async () => {
    // Prepare
    const h = harness({ items: 40 });
    const ctx = context(h, 300_000);

    // Act
    const started = await handleBackfillRequest({ action: 'backfill', tableName: TABLE }, reconcilerDeps(h));
    const continued = h.invoker.queue.shift() as BackfillInvocation;
    const ran = await createHandler(h.deps)(continued, ctx as never);

    // Assess
    expect(started).toEqual({ action: 'backfill', kind: 'start', tableName: TABLE, result: 'started' });
    expect(h.store.rows.get(TABLE)?.value).toMatchObject({ reason: 'manual', streamArn: STREAM, tableArn: TABLE_ARN });
    expect(ran).toMatchObject({ action: 'backfill', kind: 'run', outcome: 'finished', status: 'done', items: 40 });
    expect(h.metricLines.some((line) => line.includes('"BackfillItems":40'))).toBe(true);
  });

  it('the reconciler hands a continuation (a payload with runId) to the snapshot function unchanged', async () => {
    // Prepare
    const h = harness({ items: 1 });
    await createBackfillStarter(h.deps).start({ tableName: TABLE, tableArn: TABLE_ARN, streamArn: STREAM, reason: 'stream-enabled' });
    const continuation = h.invoker.queue.shift() as BackfillInvocation;

    // Act
    const response = await handleBackfillRequest(continuation, reconcilerDeps(h));

    // Assess
    expect(response).toEqual({ action: 'backfill', kind: 'handed-over', tableName: TABLE, runId: continuation.runId });
    expect(h.invoker.queue).toEqual([continuation]);
    expect(h.source.scans).toHaveLength(0);
  });

  it('the snapshot function refuses a start request (no runId): starting is the reconciler\'s job', async () => {
    // Prepare
    const h = harness({ items: 1 });

    // Act / Assess
    await expect(handleBackfillInvocation({ action: 'backfill', tableName: TABLE }, context(h, 1_000), h.deps)).rejects.toThrow(MalformedInputError);
    expect(h.store.rows.size).toBe(0);
  });

  it('refuses a manual backfill of a table without a stream', async () => {
    // Prepare
    const h = harness();
    h.source.info = { ...h.source.info, latestStreamArn: undefined };

    // Act / Assess
    await expect(handleBackfillRequest({ action: 'backfill', tableName: TABLE }, reconcilerDeps(h))).rejects.toThrow('has no stream');
  });
});
