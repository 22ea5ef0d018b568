/**
 * Pure checkpoint logic of a backfill: the state of each parallel Scan segment, how a page
 * result, a claim or a failure changes it, and what to do next. No I/O here; the state
 * store persists these values with conditional writes and the runner drives them.
 *
 * A segment's `lastKey` is the ExclusiveStartKey of its next page. It only moves after
 * the page's events are on Kinesis, so a crash repeats at most that one page.
 */
import { SnapshotReason } from '../change-event/change-event';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/** A DynamoDB primary key (LastEvaluatedKey / ExclusiveStartKey), kept verbatim. */
export type ItemKey = Record<string, AttributeValue>;

export const SEGMENT_STATUS = {
  pending: 'pending',
  running: 'running',
  done: 'done',
  failed: 'failed',
} as const;
export type SegmentStatus = (typeof SEGMENT_STATUS)[keyof typeof SEGMENT_STATUS];

export const BACKFILL_STATUS = {
  running: 'running',
  done: 'done',
  failed: 'failed',
} as const;
export type BackfillStatus = (typeof BACKFILL_STATUS)[keyof typeof BACKFILL_STATUS];

/**
 * Why a run was started: its stream was just enabled, an operator asked, or changes were lost
 * (a range the stream no longer holds) and the table is healed.
 */
export type BackfillReason = 'stream-enabled' | 'manual' | 'heal';

/** The `snapshot.reason` the run's snapshot events carry (change-event envelope). */
export function snapshotReasonOf(reason: BackfillReason): SnapshotReason {
  if (reason === 'heal') return SnapshotReason.Heal;
  return reason === 'manual' ? SnapshotReason.Forced : SnapshotReason.Initial;
}

export interface SegmentState {
  readonly segment: number;
  readonly status: SegmentStatus;
  /** ExclusiveStartKey of the next page; undefined before the first page. */
  readonly lastKey: ItemKey | undefined;
  /** Items published (pages repeated after a crash count again). */
  readonly items: number;
  readonly pages: number;
  /** Optimistic-concurrency version: every write expects the value it read. */
  readonly version: number;
  /** The invocation that holds the segment, until `leaseUntil` (epoch ms). */
  readonly owner: string | undefined;
  readonly leaseUntil: number;
  /** Consecutive failed attempts; reset by a committed page. */
  readonly attempts: number;
  readonly error: string | undefined;
}

export interface BackfillState {
  readonly tableName: string;
  readonly tableArn: string;
  /** The stream that was enabled (and attached) before this scan started. */
  readonly streamArn: string;
  readonly runId: string;
  readonly reason: BackfillReason;
  readonly status: BackfillStatus;
  readonly segments: readonly SegmentState[];
  readonly startedAt: number;
  readonly updatedAt: number;
  readonly finishedAt: number | undefined;
  readonly error: string | undefined;
  /**
   * RCU/s the run's scan may consume, fixed by the run's first invocation from the capacity
   * the table had then (snapshot/run-budget.ts); undefined until that invocation stored it.
   */
  readonly readBudgetRcu?: number;
}

/** What one Scan page produced, once its events are on Kinesis. */
export interface PageResult {
  readonly items: number;
  /** LastEvaluatedKey; undefined means the segment is complete. */
  readonly lastKey: ItemKey | undefined;
}

export function newSegment(segment: number): SegmentState {
  return {
    segment,
    status: SEGMENT_STATUS.pending,
    lastKey: undefined,
    items: 0,
    pages: 0,
    version: 0,
    owner: undefined,
    leaseUntil: 0,
    attempts: 0,
    error: undefined,
  };
}

/** A fresh run: every segment pending from the start of its range. */
export function newRun(input: {
  tableName: string;
  tableArn: string;
  streamArn: string;
  runId: string;
  reason: BackfillReason;
  totalSegments: number;
  now: number;
}): BackfillState {
  if (!Number.isInteger(input.totalSegments) || input.totalSegments < 1) {
    throw new RangeError(`totalSegments must be a positive integer, got ${input.totalSegments}`);
  }
  return {
    tableName: input.tableName,
    tableArn: input.tableArn,
    streamArn: input.streamArn,
    runId: input.runId,
    reason: input.reason,
    status: BACKFILL_STATUS.running,
    segments: Array.from({ length: input.totalSegments }, (_, index) => newSegment(index)),
    startedAt: input.now,
    updatedAt: input.now,
    finishedAt: undefined,
    error: undefined,
  };
}

const isFinished = (segment: SegmentState) => segment.status === SEGMENT_STATUS.done || segment.status === SEGMENT_STATUS.failed;

/** True when `owner` may take the segment now: unfinished and not leased by a live invocation. */
export function isClaimable(segment: SegmentState, owner: string, now: number): boolean {
  if (isFinished(segment)) return false;
  return segment.owner === undefined || segment.owner === owner || segment.leaseUntil <= now;
}

/** Segment numbers `owner` may claim now, in order. */
export function claimableSegments(state: BackfillState, owner: string, now: number): number[] {
  if (state.status !== BACKFILL_STATUS.running) return [];
  return state.segments.filter((segment) => isClaimable(segment, owner, now)).map((segment) => segment.segment);
}

/** The segment leased to `owner` until `leaseUntil`. Throws if it is not claimable. */
export function claim(segment: SegmentState, owner: string, leaseUntil: number, now: number): SegmentState {
  if (!isClaimable(segment, owner, now)) {
    throw new RangeError(`segment ${segment.segment} is not claimable (status ${segment.status}, owner ${segment.owner})`);
  }
  return { ...segment, status: SEGMENT_STATUS.running, owner, leaseUntil, version: segment.version + 1 };
}

/** Merges a committed page: advances the key and counts; the last page completes the segment. */
export function applyPage(segment: SegmentState, page: PageResult): SegmentState {
  if (isFinished(segment)) throw new RangeError(`segment ${segment.segment} is already ${segment.status}`);
  if (!Number.isInteger(page.items) || page.items < 0) throw new RangeError(`page.items must be a count, got ${page.items}`);
  const done = page.lastKey === undefined;
  return {
    ...segment,
    status: done ? SEGMENT_STATUS.done : SEGMENT_STATUS.running,
    lastKey: page.lastKey,
    items: segment.items + page.items,
    pages: segment.pages + 1,
    version: segment.version + 1,
    owner: done ? undefined : segment.owner,
    leaseUntil: done ? 0 : segment.leaseUntil,
    attempts: 0,
    error: undefined,
  };
}

/**
 * Records a failed attempt and gives the lease up. The key is kept, so the next attempt
 * repeats only the failed page; `terminal` errors (table gone, access denied) and the
 * `maxAttempts`-th consecutive failure fail the segment.
 */
export function recordFailure(
  segment: SegmentState,
  failure: { message: string; terminal: boolean },
  maxAttempts: number,
): SegmentState {
  const attempts = segment.attempts + 1;
  const failed = failure.terminal || attempts >= maxAttempts;
  return {
    ...segment,
    status: failed ? SEGMENT_STATUS.failed : SEGMENT_STATUS.running,
    owner: undefined,
    leaseUntil: 0,
    attempts,
    error: failure.message,
    version: segment.version + 1,
  };
}

/** Gives the lease up (end of an invocation) so the next invocation can claim at once. */
export function release(segment: SegmentState): SegmentState {
  if (segment.owner === undefined) return segment;
  return { ...segment, owner: undefined, leaseUntil: 0, version: segment.version + 1 };
}

/** The run's status as its segments say: failed if any failed, done if all are done. */
export function overallStatus(segments: readonly SegmentState[]): BackfillStatus {
  if (segments.some((segment) => segment.status === SEGMENT_STATUS.failed)) return BACKFILL_STATUS.failed;
  if (segments.every((segment) => segment.status === SEGMENT_STATUS.done)) return BACKFILL_STATUS.done;
  return BACKFILL_STATUS.running;
}

/** Puts a failed run back to work from its checkpoints: failed segments become pending again. */
export function resumeFailed(state: BackfillState, now: number): BackfillState {
  return {
    ...state,
    status: BACKFILL_STATUS.running,
    updatedAt: now,
    finishedAt: undefined,
    error: undefined,
    segments: state.segments.map((segment) =>
      segment.status === SEGMENT_STATUS.failed
        ? { ...segment, status: SEGMENT_STATUS.pending, attempts: 0, error: undefined, owner: undefined, leaseUntil: 0, version: segment.version + 1 }
        : segment,
    ),
  };
}

export interface Progress {
  readonly segmentsDone: number;
  readonly segmentsTotal: number;
  readonly items: number;
  readonly pages: number;
}

export function progress(state: BackfillState): Progress {
  return {
    segmentsDone: state.segments.filter((segment) => segment.status === SEGMENT_STATUS.done).length,
    segmentsTotal: state.segments.length,
    items: state.segments.reduce((sum, segment) => sum + segment.items, 0),
    pages: state.segments.reduce((sum, segment) => sum + segment.pages, 0),
  };
}

/** The starter's decision for a start request, given what the state table holds. */
export const START_DECISION = {
  /** No usable run: create a new one (fresh state, new runId). */
  create: 'create',
  /** A failed run: resume it from its checkpoints. */
  resume: 'resume',
  /** A running run that has made no progress for too long: kick it with a new invocation. */
  kick: 'kick',
  alreadyRunning: 'already-running',
  alreadyDone: 'already-done',
} as const;
export type StartDecision = (typeof START_DECISION)[keyof typeof START_DECISION];

/**
 * Decides what a start request does. A run belongs to one stream: a new stream ARN (the
 * table was re-created, or its stream re-enabled) always needs a new scan, because rows
 * written while no stream existed may be missing from Kinesis again. `force` starts over.
 */
export function decideStart(
  existing: BackfillState | undefined,
  request: { streamArn: string; force?: boolean },
  now: number,
  staleAfterMs: number,
): StartDecision {
  if (existing === undefined || request.force === true || existing.streamArn !== request.streamArn) return START_DECISION.create;
  switch (existing.status) {
    case BACKFILL_STATUS.done:
      return START_DECISION.alreadyDone;
    case BACKFILL_STATUS.failed:
      return START_DECISION.resume;
    case BACKFILL_STATUS.running:
      return now - existing.updatedAt >= staleAfterMs ? START_DECISION.kick : START_DECISION.alreadyRunning;
  }
}
