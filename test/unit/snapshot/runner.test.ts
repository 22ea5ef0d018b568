import { createBackfillStarter } from '../../../reconciler/backfill/starter';
import { runBackfillInvocation } from '../../../snapshot/runner';
import type { BackfillInvocation } from '../../../snapshot/deps';
import { BackfillError, ScanThrottledError, TerminalBackfillError } from '../../../src/backfill-state/errors';
import { harness, type Harness } from './fakes';
import { compileOriginOptions, DEFAULT_ORIGIN_ATTRIBUTES } from '../../../src/change-event';

const TABLE = 'orders';
const STREAM = 'arn:aws:dynamodb:us-east-1:000000000000:table/orders/stream/1';
const TABLE_ARN = 'arn:aws:dynamodb:us-east-1:000000000000:table/orders';

/** A context whose remaining time shrinks with the fake clock. */
function context(h: Harness, remainingMs: number, id = 'invocation-1') {
  const deadline = h.clock.now() + remainingMs;
  return { invocationId: id, awsRequestId: id, getRemainingTimeInMillis: () => deadline - h.clock.now() };
}

async function startRun(h: Harness, force = false): Promise<BackfillInvocation> {
  const result = await createBackfillStarter(h.deps).start({ tableName: TABLE, tableArn: TABLE_ARN, streamArn: STREAM, reason: 'stream-enabled', force });
  expect(result).toBe('started');
  const invocation = h.invoker.queue.shift();
  if (!invocation) throw new Error('start() did not invoke');
  return invocation;
}

/** Delivers queued invocations one by one (as Lambda would), each with `remainingMs`. */
async function drain(h: Harness, first: BackfillInvocation, remainingMs: number, maxInvocations = 10_000) {
  const outcomes: string[] = [];
  let next: BackfillInvocation | undefined = first;
  let count = 0;
  while (next) {
    if (++count > maxInvocations) throw new Error('backfill did not converge');
    const result = await runBackfillInvocation({ tableName: next.tableName, runId: next.runId as string }, context(h, remainingMs, `inv-${count}`), h.deps);
    outcomes.push(result.outcome);
    next = h.invoker.queue.shift();
  }
  return outcomes;
}

const publishedIds = (h: Harness) => h.publisher.events().map((event) => event.keys.id as string);

describe('runBackfillInvocation', () => {
  it.each([
    ['stream-enabled', 'initial'],
    ['manual', 'forced'],
    ['heal', 'heal'],
  ] as const)('a %s run\'s snapshot events say why it ran (%s) and when it started, before its first page', async (reason, expected) => {
    // Prepare
    const h = harness({ items: 5 });
    const startedAt = new Date(h.clock.now()).toISOString();
    await createBackfillStarter(h.deps).start({ tableName: TABLE, tableArn: TABLE_ARN, streamArn: STREAM, reason, force: true });
    const invocation = h.invoker.queue.shift() as BackfillInvocation;
    h.clock.time += 1_000;
    // Act
    await drain(h, invocation, 300_000);
    // Assess
    const events = h.publisher.events();
    expect(events).toHaveLength(5);
    for (const event of events) expect(event.snapshot).toEqual({ reason: expected, runStartedAt: startedAt });
    expect(Date.parse(events[0]!.readAt!)).toBeGreaterThan(Date.parse(startedAt));
  });

  it('publishes every item once as a snapshot event and marks the run done, in one invocation', async () => {
    // Prepare
    const h = harness({ items: 300 });
    const invocation = await startRun(h);

    // Act
    const outcomes = await drain(h, invocation, 300_000);

    // Assess
    expect(outcomes).toEqual(['finished']);
    expect(publishedIds(h).sort()).toEqual([...h.source.items.keys()].sort());
    const event = h.publisher.events()[0];
    expect(event).toMatchObject({ operation: 'snapshot', old: null, sequenceNumber: null, table: TABLE });
    expect(event?.readAt).toBe(new Date(h.clock.time).toISOString());
    const state = h.store.rows.get(TABLE)?.value;
    expect(state?.status).toBe('done');
    expect(state?.segments.map((segment) => segment.status)).toEqual(['done', 'done', 'done', 'done']);
    expect(state?.segments.reduce((sum, segment) => sum + segment.items, 0)).toBe(300);
    expect(h.deps.metrics.snapshot()).toMatchObject({ BackfillItems: 300, BackfillCompleted: 1 });
  });

  it.each([
    ['removed from new (the default)', undefined, false],
    ['kept in new when configured', compileOriginOptions({ attributes: DEFAULT_ORIGIN_ATTRIBUTES, keepAttributes: true }), true],
  ] as const)('reads origin from the DMS header columns of the scanned items, %s', async (_name, origin, kept) => {
    // Prepare: rows DMS loaded with dms/table-mapping.json (full load: commit time only, the rest empty)
    const h = harness({ items: 3 });
    for (const item of h.source.items.values()) {
      Object.assign(item, { dms_commit_timestamp: { S: '2026-11-30 09:00:00.250000' }, dms_change_seq: { S: '' }, dms_transaction_id: { S: '' }, dms_stream_position: { S: '' } });
    }
    const deps = { ...h.deps, ...(origin ? { origin } : {}) };
    const invocation = await startRun(h);
    // Act
    await drain({ ...h, deps }, invocation, 300_000);
    // Assess
    const events = h.publisher.events();
    expect(events).toHaveLength(3);
    for (const event of events) {
      expect(event.origin).toEqual({ commitTime: '2026-11-30T09:00:00.250000Z', changeSequence: null, transactionId: null, streamPosition: null });
      expect(Object.keys(event.new ?? {}).some((name) => name.startsWith('dms_'))).toBe(kept);
    }
  });

  it('finishes an empty table at once', async () => {
    // Prepare
    const h = harness({ items: 0 });

    // Act
    const outcomes = await drain(h, await startRun(h), 300_000);

    // Assess
    expect(outcomes).toEqual(['finished']);
    expect(h.store.rows.get(TABLE)?.value.status).toBe('done');
    expect(h.publisher.published).toHaveLength(0);
  });

  it('stops before the deadline and continues in new invocations until done, without repeating a page', async () => {
    // Prepare: every scan takes 400 ms, and each invocation has 1.5 s of which 1 s is the stop margin.
    const h = harness({ items: 500 });
    h.source.beforeScan = () => {
      h.clock.time += 400;
    };
    const invocation = await startRun(h);

    // Act
    const outcomes = await drain(h, invocation, 1_500);

    // Assess
    expect(outcomes.length).toBeGreaterThan(3);
    expect(outcomes.slice(0, -1).every((outcome) => outcome === 'continued')).toBe(true);
    expect(outcomes.at(-1)).toBe('finished');
    const ids = publishedIds(h);
    expect(new Set(ids).size).toBe(500);
    expect(ids).toHaveLength(500); // a clean stop commits every page it published
    expect(h.store.rows.get(TABLE)?.value.status).toBe('done');
  });

  it('after crashes between publishing and checkpointing, repeats at most that one page per segment and completes', async () => {
    // Prepare: every 3rd publish "crashes" the invocation after the events are on Kinesis.
    const h = harness({ items: 400, settings: { segments: 2, pageLimit: 20 } });
    let publishes = 0;
    let crashes = 0;
    h.publisher.afterPublish = () => {
      if (++publishes % 3 === 0) {
        crashes++;
        throw new Error('simulated crash');
      }
    };
    let invocation = await startRun(h);

    // Act: a crashed invocation is retried (like Lambda's async retry) once its lease has expired.
    for (let round = 0; round < 1_000; round++) {
      const result = await runBackfillInvocation({ tableName: TABLE, runId: invocation.runId as string }, context(h, 60_000, `inv-${round}`), h.deps).catch(
        (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
      );
      if (!(result instanceof Error) && result.outcome === 'finished') break;
      h.clock.time += 120_000; // past every lease
      invocation = h.invoker.queue.shift() ?? invocation;
      h.invoker.queue.length = 0;
    }

    // Assess
    const ids = publishedIds(h);
    expect(new Set(ids).size).toBe(400);
    expect(crashes).toBeGreaterThan(0);
    // Failures are recorded per segment and reset by each committed page, so no segment failed.
    expect(h.store.rows.get(TABLE)?.value.status).toBe('done');
    expect(ids.length - 400).toBeLessThanOrEqual(crashes * 20);
  });

  it('never checkpoints a page whose events did not reach Kinesis: a failed publish loses nothing', async () => {
    // Prepare: the 2nd and 3rd publish calls fail before writing anything.
    const h = harness({ items: 120, settings: { segments: 1, pageLimit: 20 } });
    const inner = h.publisher;
    let calls = 0;
    h.deps = {
      ...h.deps,
      publisher: {
        publish: async (events, deadline) => {
          calls++;
          if (calls === 2 || calls === 3) throw new BackfillError('InternalFailure');
          await inner.publish(events);
          void deadline;
        },
      },
    };

    // Act
    await drain(h, await startRun(h), 300_000);

    // Assess
    expect(new Set(publishedIds(h)).size).toBe(120);
    expect(publishedIds(h)).toHaveLength(120);
    expect(h.store.rows.get(TABLE)?.value.segments[0]).toMatchObject({ status: 'done', items: 120, attempts: 0 });
  });

  it('lets two concurrent invocations never both advance one segment', async () => {
    // Prepare
    const h = harness({ items: 200, settings: { segments: 2 } });
    const invocation = await startRun(h);
    // The first invocation holds both segments (lease until its deadline) when the second arrives.
    const first = runBackfillInvocation({ tableName: TABLE, runId: invocation.runId as string }, context(h, 600_000, 'first'), h.deps);
    const second = runBackfillInvocation({ tableName: TABLE, runId: invocation.runId as string }, context(h, 600_000, 'second'), h.deps);

    // Act
    const [a, b] = await Promise.all([first, second]);

    // Assess
    expect([a.outcome, b.outcome]).toContain('finished');
    expect(a.items + b.items).toBe(200);
    expect(new Set(publishedIds(h)).size).toBe(200);
    expect(publishedIds(h)).toHaveLength(200);
    expect(h.store.rows.get(TABLE)?.value.status).toBe('done');
  });

  it('yields when live invocations hold every unfinished segment, and takes over expired leases', async () => {
    // Prepare: another invocation holds both segments until t+60 s.
    const h = harness({ items: 20, settings: { segments: 2 } });
    const invocation = await startRun(h);
    const row = h.store.rows.get(TABLE);
    if (!row) throw new Error('no run');
    const leaseUntil = h.clock.time + 60_000;
    h.store.rows.set(TABLE, {
      ...row,
      value: { ...row.value, segments: row.value.segments.map((segment) => ({ ...segment, status: 'running', owner: 'other', leaseUntil, version: segment.version + 1 })) },
    });

    // Act
    const yielded = await runBackfillInvocation({ tableName: TABLE, runId: invocation.runId as string }, context(h, 30_000, 'me'), h.deps);
    h.clock.time = leaseUntil;
    const tookOver = await runBackfillInvocation({ tableName: TABLE, runId: invocation.runId as string }, context(h, 30_000, 'me-later'), h.deps);

    // Assess
    expect(yielded).toMatchObject({ outcome: 'yielded', items: 0 });
    expect(tookOver).toMatchObject({ outcome: 'finished', status: 'done', items: 20 });
    expect(h.invoker.queue).toHaveLength(0);
  });

  it('backs off on throttling, halves its budget and still completes', async () => {
    // Prepare
    const h = harness({ items: 50, settings: { segments: 1 } });
    let throttles = 3;
    h.source.beforeScan = () => {
      if (throttles-- > 0) throw new ScanThrottledError('ProvisionedThroughputExceededException');
    };

    // Act
    const outcomes = await drain(h, await startRun(h), 300_000);

    // Assess
    expect(outcomes).toEqual(['finished']);
    expect(h.deps.metrics.snapshot()).toMatchObject({ BackfillThrottled: 3, BackfillItems: 50 });
    expect(h.clock.sleeps.slice(0, 3)).toEqual([100, 200, 400]); // full jitter at random 0.5
  });

  it.each([
    { case: 'provisioned 400 RCU x 0.25 = 100 RCU/s', capacity: { billingMode: 'PROVISIONED', readCapacityUnits: 400 } as const, consumed: 150, pauseMs: 500 },
    { case: 'on-demand ceiling 100 RCU/s', capacity: { billingMode: 'PAY_PER_REQUEST', readCapacityUnits: 0 } as const, consumed: 300, pauseMs: 2_000 },
  ])('paces pages to the read budget: $case', async ({ capacity, consumed, pauseMs }) => {
    // Prepare: 2 pages in one segment, each reporting `consumed` RCU.
    const h = harness({ items: 50, settings: { segments: 1 } });
    h.source.info = { ...h.source.info, capacity };
    h.source.consumedRcu = consumed;

    // Act
    await drain(h, await startRun(h), 300_000);

    // Assess: the first page pays the debt beyond the one-second burst.
    expect(h.clock.sleeps[0]).toBe(pauseMs);
  });

  it('fails the run on a terminal error, counts BackfillFailed, and a later start resumes from the checkpoint', async () => {
    // Prepare: the 3rd scan of segment 0 is denied.
    const h = harness({ items: 200, settings: { segments: 1, pageLimit: 20 } });
    let scans = 0;
    h.source.beforeScan = () => {
      if (++scans === 3) throw new TerminalBackfillError('AccessDeniedException');
    };

    // Act
    const outcomes = await drain(h, await startRun(h), 300_000);

    // Assess
    expect(outcomes).toEqual(['finished']);
    const failed = h.store.rows.get(TABLE)?.value;
    expect(failed).toMatchObject({ status: 'failed' });
    expect(failed?.error).toContain('AccessDeniedException');
    expect(h.deps.metrics.snapshot()).toMatchObject({ BackfillFailed: 1 });
    expect(publishedIds(h)).toHaveLength(40);

    // Act: resume
    const resumed = await startRun(h);
    await drain(h, resumed, 300_000);

    // Assess: same run, continued after the 2 committed pages, nothing repeated
    expect(resumed.runId).toBe(failed?.runId);
    expect(publishedIds(h)).toHaveLength(200);
    expect(new Set(publishedIds(h)).size).toBe(200);
    expect(h.store.rows.get(TABLE)?.value.status).toBe('done');
  });

  it('retries a failing page up to maxSegmentAttempts, then fails the segment', async () => {
    // Prepare
    const h = harness({ items: 10, settings: { segments: 1, maxSegmentAttempts: 3 } });
    h.source.beforeScan = () => {
      throw new BackfillError('InternalServerError');
    };

    // Act
    await drain(h, await startRun(h), 300_000);

    // Assess
    const state = h.store.rows.get(TABLE)?.value;
    expect(state?.status).toBe('failed');
    expect(state?.segments[0]).toMatchObject({ status: 'failed', attempts: 3 });
  });

  it.each([
    { case: 'table deleted', change: (h: Harness) => { h.source.describe = async () => { throw new TerminalBackfillError('DescribeTable failed', { cause: Object.assign(new Error('gone'), { name: 'ResourceNotFoundException' }) }); }; }, error: 'no longer exists' },
    { case: 'stream replaced', change: (h: Harness) => { h.source.info = { ...h.source.info, latestStreamArn: `${STREAM}-new` }; }, error: 'stream is now' },
  ])('abandons the run without BackfillFailed when the $case', async ({ change, error }) => {
    // Prepare
    const h = harness({ items: 10 });
    const invocation = await startRun(h);
    change(h);

    // Act
    const result = await runBackfillInvocation({ tableName: TABLE, runId: invocation.runId as string }, context(h, 60_000), h.deps);

    // Assess
    expect(result).toMatchObject({ outcome: 'finished', status: 'failed' });
    expect(h.store.rows.get(TABLE)?.value.error).toContain(error);
    expect(h.deps.metrics.snapshot()).toEqual({ BackfillAbandoned: 1 });
    expect(h.publisher.published).toHaveLength(0);
  });

  it('does nothing for a superseded run (a forced restart replaced it)', async () => {
    // Prepare
    const h = harness({ items: 10 });
    const old = await startRun(h);
    const current = await startRun(h, true);

    // Act
    const result = await runBackfillInvocation({ tableName: TABLE, runId: old.runId as string }, context(h, 60_000), h.deps);

    // Assess
    expect(current.runId).not.toBe(old.runId);
    expect(result.outcome).toBe('superseded');
    expect(h.publisher.published).toHaveLength(0);
  });
});

describe('createBackfillStarter', () => {
  it('starts once; repeated starts report running, then done; force starts over', async () => {
    // Prepare
    const h = harness({ items: 30 });
    const starter = createBackfillStarter(h.deps);
    const request = { tableName: TABLE, tableArn: TABLE_ARN, streamArn: STREAM, reason: 'stream-enabled' } as const;

    // Act / Assess
    expect(await starter.start(request)).toBe('started');
    expect(await starter.start(request)).toBe('already-running');
    expect(await starter.getBackfillStatus(TABLE)).toMatchObject({ state: 'running', progress: { segmentsDone: 0, segmentsTotal: 4 } });
    await drain(h, h.invoker.queue.shift() as BackfillInvocation, 300_000);
    expect(await starter.start(request)).toBe('already-done');
    expect(await starter.getBackfillStatus(TABLE)).toMatchObject({ state: 'done', progress: { items: 30, segmentsDone: 4 } });
    expect(h.invoker.queue).toHaveLength(0);
    expect(await starter.start({ ...request, reason: 'manual', force: true })).toBe('started');
    expect(h.invoker.queue).toHaveLength(1);
  });

  it('reports not-needed for a table never backfilled', async () => {
    expect(await createBackfillStarter(harness().deps).getBackfillStatus('other')).toEqual({ state: 'not-needed' });
  });

  it('creates exactly one run when two starts race', async () => {
    // Prepare
    const h = harness();
    const starter = createBackfillStarter(h.deps);
    const request = { tableName: TABLE, tableArn: TABLE_ARN, streamArn: STREAM, reason: 'stream-enabled' } as const;

    // Act
    const results = await Promise.all([starter.start(request), starter.start(request)]);

    // Assess
    expect(results.sort()).toEqual(['already-running', 'started']);
    expect(h.invoker.queue).toHaveLength(1);
  });

  it('kicks a running backfill that made no progress for staleAfterMs', async () => {
    // Prepare
    const h = harness();
    const starter = createBackfillStarter(h.deps);
    const request = { tableName: TABLE, tableArn: TABLE_ARN, streamArn: STREAM, reason: 'manual' } as const;
    await starter.start(request);
    h.invoker.queue.length = 0;
    h.clock.time += h.deps.settings.staleAfterMs;

    // Act
    const result = await starter.start(request);

    // Assess
    expect(result).toBe('started');
    expect(h.invoker.queue).toEqual([{ action: 'backfill', tableName: TABLE, runId: 'run-1' }]);
  });

  it('records a kick, so starts within the next stall threshold do not kick again', async () => {
    // Prepare
    const h = harness();
    const starter = createBackfillStarter(h.deps);
    const request = { tableName: TABLE, tableArn: TABLE_ARN, streamArn: STREAM, reason: 'stream-enabled' } as const;
    await starter.start(request);
    h.clock.time += h.deps.settings.staleAfterMs;
    await starter.start(request);
    h.invoker.queue.length = 0;
    h.clock.time += h.deps.settings.staleAfterMs - 1;

    // Act
    const soon = await starter.start(request);
    h.clock.time += 1;
    const later = await starter.start(request);

    // Assess
    expect([soon, later]).toEqual(['already-running', 'started']);
    expect(h.invoker.queue).toHaveLength(1);
    expect((await h.store.get(TABLE))!.value.runId).toBe('run-1');
  });

  it('exposes the run summaries the reconciler observes: one table, and all tables page by page', async () => {
    // Prepare
    const h = harness();
    h.store.pageSize = 2;
    const starter = createBackfillStarter(h.deps);
    for (const name of ['a', 'b', 'c']) await starter.start({ tableName: name, tableArn: `${TABLE_ARN}-${name}`, streamArn: `${STREAM}-${name}`, reason: 'stream-enabled' });

    // Act
    const one = await starter.getRun('b');
    const missing = await starter.getRun('zzz');
    const first = await starter.listRuns();
    const second = await starter.listRuns(first.next);

    // Assess
    expect(one).toEqual({ tableName: 'b', streamArn: `${STREAM}-b`, runId: 'run-2', status: 'running', updatedAt: h.clock.time });
    expect(missing).toBeNull();
    expect([...first.items, ...second.items].map((r) => r.tableName)).toEqual(['a', 'b', 'c']);
    expect(second.next).toBeUndefined();
    expect(starter.stallAfterMs).toBe(h.deps.settings.staleAfterMs);
  });
});

describe('stop margin', () => {
  it('keeps at most half the remaining time back, so a margin longer than the timeout still makes progress', async () => {
    // Prepare: margin 20 s, but each invocation only has 10 s; every scan takes 1 s.
    const h = harness({ items: 100, settings: { segments: 1, pageLimit: 10, stopMarginMs: 20_000 } });
    h.source.beforeScan = () => {
      h.clock.time += 1_000;
    };
    const invocation = await startRun(h);

    // Act
    const first = await runBackfillInvocation({ tableName: TABLE, runId: invocation.runId as string }, context(h, 10_000), h.deps);

    // Assess: pages start until half of the 10 s are used
    expect(first).toMatchObject({ outcome: 'continued', pages: 5 });
  });
});
