/**
 * One invocation of a backfill run: claims the segments no live invocation holds, scans
 * them in parallel, publishes each page as snapshot events, and commits the page's
 * LastEvaluatedKey only after the events are on Kinesis. It stops `stopMarginMs` (at most
 * half the remaining time) before the Lambda deadline, gives its leases back and re-invokes itself asynchronously until
 * every segment is done; then it marks the run done (or failed).
 */
import { encodeSnapshotEvent } from '../src/change-event';
import { describeError, MalformedInputError } from '../src/errors';
import { consume, createBucket, estimateScanRcu, slowDown, throttleBackoffMs, type TokenBucket } from './budget';
import { runReadBudget } from './run-budget';
import {
  applyPage,
  BACKFILL_STATUS,
  claim,
  claimableSegments,
  overallStatus,
  progress,
  recordFailure,
  release,
  snapshotReasonOf,
  SEGMENT_STATUS,
  type BackfillState,
  type BackfillStatus,
  type Progress,
  type SegmentState,
} from '../src/backfill-state/checkpoint';
import { BACKFILL_METRICS, type BackfillDeps } from './deps';
import { ScanThrottledError, StateConflictError, TerminalBackfillError } from '../src/backfill-state/errors';
import { PublishDeadlineError } from './snapshot-publisher';
import type { ScanPage, SourceTableInfo } from './source-table';

const causeName = (error: Error): string | undefined => (error.cause instanceof Error ? error.cause.name : undefined);

/** Extra lease time past the deadline, for clock skew between Lambda hosts. */
export const LEASE_GRACE_MS = 5_000;

/** What the invocation needs from the Lambda context. */
export interface RunContext {
  /** A unique id of this invocation (Lambda: awsRequestId); owns the leases. */
  readonly invocationId: string;
  getRemainingTimeInMillis(): number;
}

export const RUN_OUTCOME = {
  /** The run ended (done or failed) in this invocation, or had already ended. */
  finished: 'finished',
  /** Work remains; a new invocation was requested. */
  continued: 'continued',
  /** Work remains but live invocations hold every unfinished segment; they continue it. */
  yielded: 'yielded',
  /** The run no longer exists or was replaced by a newer one (force, new stream). */
  superseded: 'superseded',
} as const;
export type RunOutcome = (typeof RUN_OUTCOME)[keyof typeof RUN_OUTCOME];

export interface RunResult {
  readonly tableName: string;
  readonly runId: string;
  readonly outcome: RunOutcome;
  readonly status: BackfillStatus | undefined;
  /** Items and pages this invocation published. */
  readonly items: number;
  readonly pages: number;
  readonly progress: Progress | undefined;
}

/** Runs one invocation's share of run `runId` of `tableName`. */
export async function runBackfillInvocation(
  request: { tableName: string; runId: string },
  context: RunContext,
  deps: BackfillDeps,
): Promise<RunResult> {
  const { settings, store, clock } = deps;
  const { tableName, runId } = request;
  const owner = context.invocationId;
  const remainingMs = context.getRemainingTimeInMillis();
  const deadline = clock.now() + remainingMs;
  // Never keep back more than half the invocation: a stop margin as long as the function's
  // timeout would otherwise make every invocation hand over without reading a page, forever.
  const stopAt = deadline - Math.min(settings.stopMarginMs, remainingMs / 2);
  const log = deps.logger.child({ tableName, runId, invocationId: owner });
  let items = 0;
  let pages = 0;
  const result = (outcome: RunOutcome, state: BackfillState | undefined, status = state?.status): RunResult => ({
    tableName,
    runId,
    outcome,
    status,
    items,
    pages,
    progress: state ? progress(state) : undefined,
  });

  const initial = await store.get(tableName);
  if (initial === undefined || initial.value.runId !== runId) {
    log.info('backfill run superseded; nothing to do', { currentRunId: initial?.value.runId });
    return result(RUN_OUTCOME.superseded, initial?.value);
  }
  if (initial.value.status !== BACKFILL_STATUS.running) return result(RUN_OUTCOME.finished, initial.value);

  let table: SourceTableInfo;
  try {
    table = await deps.source.describe(tableName);
  } catch (error) {
    if (!(error instanceof TerminalBackfillError)) throw error; // Lambda's async retry repeats the invocation
    if (causeName(error) === 'ResourceNotFoundException') {
      return finishRun(BACKFILL_STATUS.failed, `abandoned: table ${tableName} no longer exists`, undefined, 'abandoned');
    }
    return finishRun(BACKFILL_STATUS.failed, describeError(error).message);
  }
  if (table.latestStreamArn !== initial.value.streamArn) {
    // Re-created table or replaced stream: this run's guarantee (its stream existed before the scan)
    // no longer holds for the table that is there now; the reconciler starts a run for the new stream.
    return finishRun(
      BACKFILL_STATUS.failed,
      `abandoned: the table's stream is now ${table.latestStreamArn ?? 'none'}, not ${initial.value.streamArn}`,
      undefined,
      'abandoned',
    );
  }

  // Fixed for the whole run (see run-budget.ts): never re-derived from a capacity auto scaling shrank.
  const budget = await runReadBudget(initial, table.capacity, { fraction: settings.readCapacityFraction, onDemandMaxRcu: settings.onDemandMaxRcu }, { ...deps, logger: log });
  let bucket: TokenBucket = createBucket(budget.budgetRcu, clock.now());
  const totalSegments = initial.value.segments.length;
  const leaseUntil = deadline + LEASE_GRACE_MS;
  const claimable = claimableSegments(initial.value, owner, clock.now());
  log.info('backfill invocation started', { segments: claimable, totalSegments, budgetRcu: bucket.rate, budgetSource: budget.source, remainingMs: deadline - clock.now() });

  /** Writes `next` expecting `previous`'s version; null when another invocation won the segment. */
  const commit = async (previous: SegmentState, next: SegmentState): Promise<SegmentState | null> => {
    if (next === previous) return previous;
    try {
      const saved = await store.saveSegment(tableName, runId, next, previous.version, clock.now());
      return saved.value.segments[next.segment] ?? null;
    } catch (error) {
      if (error instanceof StateConflictError) {
        log.info('segment taken over or run superseded; leaving it', { segment: next.segment });
        return null;
      }
      throw error;
    }
  };

  const scanWithBackoff = async (segment: SegmentState): Promise<ScanPage | undefined> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await deps.source.scanPage({
          tableName,
          segment: segment.segment,
          totalSegments,
          exclusiveStartKey: segment.lastKey,
          limit: settings.pageLimit,
        });
      } catch (error) {
        if (!(error instanceof ScanThrottledError)) throw error;
        bucket = slowDown(bucket, clock.now());
        deps.metrics.add(BACKFILL_METRICS.throttled);
        const pause = throttleBackoffMs(attempt, deps.random());
        log.warn('scan throttled; backing off', { segment: segment.segment, attempt, pauseMs: pause, budgetRcu: bucket.rate });
        if (clock.now() + pause >= stopAt) return undefined;
        await clock.sleep(pause);
      }
    }
  };

  // Every event of the run says why it ran and when the run started (before its first Scan page).
  const snapshot = { reason: snapshotReasonOf(initial.value.reason), runStartedAt: new Date(initial.value.startedAt).toISOString() };
  const publishPage = async (page: ScanPage): Promise<void> => {
    const readAt = new Date(clock.now());
    const events = page.items.map((item) =>
      encodeSnapshotEvent(
        {
          tableName,
          tableArn: table.tableArn,
          region: deps.region,
          keyAttributeNames: table.keyAttributeNames,
          item,
          readAt,
          streamArn: initial.value.streamArn,
          snapshot,
        },
        { maxRecordBytes: settings.maxRecordSizeBytes },
        deps.origin,
      ),
    );
    // Leave a second before the hard deadline to commit the checkpoint.
    await deps.publisher.publish(events, deadline - 1_000);
  };

  /** Scans one segment until it is done, the time is up, or it fails. */
  const work = async (segmentNumber: number): Promise<void> => {
    const start = initial.value.segments[segmentNumber];
    if (start === undefined) return;
    let segment = await commit(start, claim(start, owner, leaseUntil, clock.now()));
    while (segment !== null && segment.status !== SEGMENT_STATUS.done && segment.status !== SEGMENT_STATUS.failed) {
      if (clock.now() >= stopAt) break;
      let page: ScanPage | undefined;
      try {
        page = await scanWithBackoff(segment);
        if (page === undefined) break;
        await publishPage(page);
      } catch (error) {
        if (error instanceof PublishDeadlineError) {
          // Not a failure of the segment: the next invocation repeats the page. If this shows up
          // every time, pages take longer than the invocation's window: lower BACKFILL_PAGE_LIMIT.
          log.warn('page not published before the deadline; it is repeated by the next invocation', { segment: segment.segment, error: describeError(error) });
          break;
        }
        const terminal = error instanceof TerminalBackfillError || error instanceof MalformedInputError;
        const failed = recordFailure(segment, { message: describeError(error).message, terminal }, settings.maxSegmentAttempts);
        log.warn('backfill page failed', { segment: segment.segment, attempts: failed.attempts, segmentStatus: failed.status, error: describeError(error) });
        segment = await commit(segment, failed);
        if (segment === null || segment.status === SEGMENT_STATUS.failed) return;
        const pause = Math.min(throttleBackoffMs(segment.attempts, deps.random(), { baseMs: 500, maxMs: 30_000 }), Math.max(0, stopAt - clock.now()));
        await clock.sleep(pause);
        if (clock.now() >= stopAt) return; // the lease is already given up
        segment = await commit(segment, claim(segment, owner, leaseUntil, clock.now()));
        continue;
      }
      segment = await commit(segment, applyPage(segment, { items: page.items.length, lastKey: page.lastKey }));
      if (segment === null) return;
      items += page.items.length;
      pages += 1;
      deps.metrics.add(BACKFILL_METRICS.items, page.items.length);
      deps.metrics.add(BACKFILL_METRICS.pages);
      if (segment.status === SEGMENT_STATUS.done) {
        log.info('backfill segment done', { segment: segment.segment, items: segment.items, pages: segment.pages });
        return;
      }
      const { bucket: next, waitMs } = consume(bucket, page.consumedRcu ?? estimateScanRcu(JSON.stringify(page.items).length), clock.now());
      bucket = next;
      if (waitMs > 0) await clock.sleep(Math.min(waitMs, Math.max(0, stopAt - clock.now())));
    }
    // Out of time: give the lease back so the next invocation can take the segment at once.
    if (segment !== null && segment.owner === owner) await commit(segment, release(segment));
  };

  // Let every worker end (each stops by itself at stopAt) before reporting a failure, so no
  // worker goes on in the background of a failed invocation.
  const settled = await Promise.allSettled(claimable.map((segmentNumber) => work(segmentNumber)));
  const crashed = settled.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (crashed) {
    log.error('backfill invocation failed; Lambda retries it, the leases expire at the deadline', { error: describeError(crashed.reason) });
    throw crashed.reason;
  }

  const latest = await store.get(tableName);
  if (latest === undefined || latest.value.runId !== runId) return result(RUN_OUTCOME.superseded, latest?.value);
  if (latest.value.status !== BACKFILL_STATUS.running) return result(RUN_OUTCOME.finished, latest.value);
  const status = overallStatus(latest.value.segments);
  if (status !== BACKFILL_STATUS.running) {
    const failedSegments = latest.value.segments.filter((segment) => segment.status === SEGMENT_STATUS.failed);
    const error = failedSegments.map((segment) => `segment ${segment.segment}: ${segment.error ?? 'failed'}`).join('; ') || undefined;
    return finishRun(status, error, latest.value);
  }
  // Continue only if this invocation took part, or a lease expired: otherwise a live invocation holds
  // every unfinished segment and will continue the run itself (no chain of idle invocations).
  if (claimable.length === 0 && claimableSegments(latest.value, owner, clock.now()).length === 0) {
    log.info('every unfinished segment is held by a live invocation', { ...progress(latest.value) });
    return result(RUN_OUTCOME.yielded, latest.value);
  }
  await deps.invoker.invoke({ action: 'backfill', tableName, runId });
  log.info('backfill continues in a new invocation', { ...progress(latest.value), itemsThisInvocation: items });
  return result(RUN_OUTCOME.continued, latest.value);

  async function finishRun(
    status: 'done' | 'failed',
    error: string | undefined,
    state?: BackfillState,
    kind: 'finished' | 'abandoned' = 'finished',
  ): Promise<RunResult> {
    try {
      await store.finish(tableName, runId, status, error, clock.now());
    } catch (caught) {
      if (!(caught instanceof StateConflictError)) throw caught;
      // Another invocation finished (or replaced) the run first: report what is there.
      const current = await store.get(tableName);
      return result(current?.value.runId === runId ? RUN_OUTCOME.finished : RUN_OUTCOME.superseded, current?.value);
    }
    if (kind === 'abandoned') {
      // Nothing is missing from Kinesis that a backfill could still deliver: no BackfillFailed alarm.
      deps.metrics.add(BACKFILL_METRICS.abandoned);
      log.warn('backfill abandoned', { error });
    } else if (status === BACKFILL_STATUS.failed) {
      deps.metrics.add(BACKFILL_METRICS.failed);
      log.error('backfill failed', { error, ...(state ? progress(state) : {}) });
    } else {
      deps.metrics.add(BACKFILL_METRICS.completed);
      log.info('backfill done', state ? { ...progress(state) } : {});
    }
    return result(RUN_OUTCOME.finished, state, status);
  }
}
