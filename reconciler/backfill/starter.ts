/**
 * Starting a backfill, and reading its status. The reconciler calls start() after it
 * enabled a table's stream and attached the forwarder; `dms-event-bus backfill <table>`
 * calls it by hand. start() writes the run (a conditional write, so two concurrent
 * starts create one run) and hands the work to an asynchronous invocation of the snapshot
 * function, which scans and publishes; the reconciler only observes the state table.
 */
import {
  decideStart,
  newRun,
  progress,
  resumeFailed,
  START_DECISION,
  type BackfillReason,
  type BackfillState,
  type Progress,
} from '../../src/backfill-state/checkpoint';
import { StateConflictError } from '../../src/backfill-state/errors';
import type { BackfillClock, BackfillInvoker, BackfillStartSettings } from '../../src/backfill-state/ports';
import { toRunSummary, type BackfillRunSummary, type RunSummaryPage, type StarterStore } from '../../src/backfill-state/state-store';
import type { Logger } from '../../src/observability/logger';

/**
 * What starting a run needs: the state table (to write the run), the invoker (to hand it to
 * the snapshot function), and the two settings a start reads. No Scan, no Kinesis.
 */
export interface StarterDeps {
  readonly settings: BackfillStartSettings;
  readonly store: StarterStore;
  readonly invoker: BackfillInvoker;
  readonly logger: Logger;
  readonly clock: Pick<BackfillClock, 'now'>;
  readonly newRunId: () => string;
}

export interface BackfillStartRequest {
  readonly tableName: string;
  readonly tableArn: string;
  /** The table's current stream (enabled, with the forwarder attached at TRIM_HORIZON). */
  readonly streamArn: string;
  readonly reason: BackfillReason;
  /** Start over even if a backfill of this stream finished. */
  readonly force?: boolean;
}

export type BackfillStartResult = 'started' | 'already-running' | 'already-done';

/** Structurally the reconciler's BackfillStarter port (reconciler/ports.ts). */
export interface BackfillStarter {
  start(request: BackfillStartRequest): Promise<BackfillStartResult>;
}

/** What `dms-event-bus status` shows for a table's backfill. */
export type BackfillStatusView =
  | { readonly state: 'not-needed' }
  | {
      readonly state: 'running' | 'done' | 'failed';
      readonly runId: string;
      readonly reason: BackfillReason;
      readonly streamArn: string;
      readonly progress: Progress;
      readonly startedAt: string;
      readonly updatedAt: string;
      readonly finishedAt?: string;
      readonly error?: string;
    };

/** The status view of a stored run (pure). `not-needed`: no backfill was ever recorded. */
export function toStatusView(state: BackfillState | undefined): BackfillStatusView {
  if (state === undefined) return { state: 'not-needed' };
  return {
    state: state.status,
    runId: state.runId,
    reason: state.reason,
    streamArn: state.streamArn,
    progress: progress(state),
    startedAt: new Date(state.startedAt).toISOString(),
    updatedAt: new Date(state.updatedAt).toISOString(),
    ...(state.finishedAt === undefined ? {} : { finishedAt: new Date(state.finishedAt).toISOString() }),
    ...(state.error === undefined ? {} : { error: state.error }),
  };
}

/** Reads a table's backfill status. */
export async function getBackfillStatus(tableName: string, deps: Pick<StarterDeps, 'store'>): Promise<BackfillStatusView> {
  return toStatusView((await deps.store.get(tableName))?.value);
}

/** Concurrent starts retry this often on a lost conditional write before reporting `already-running`. */
const MAX_START_ATTEMPTS = 3;

/**
 * A starter plus the reads, for the reconciler and the CLI. The reconciler observes runs
 * (getRun for one table, listRuns for a sweep) and calls start() when its plan says so; the
 * decision what start() does (create, resume, kick, nothing) stays here, in decideStart.
 */
export interface BackfillController extends BackfillStarter {
  getBackfillStatus(tableName: string): Promise<BackfillStatusView>;
  /** The table's run summary (one GetItem), or null when none was ever started. */
  getRun(tableName: string): Promise<BackfillRunSummary | null>;
  /** One page of all runs' summaries (one Scan page of the state table). */
  listRuns(next?: string): Promise<RunSummaryPage>;
  /** A running run without a state write for this long is kicked by start() (settings.staleAfterMs). */
  readonly stallAfterMs: number;
}

export { toRunSummary };

export function createBackfillStarter(deps: StarterDeps): BackfillController {
  const { store, clock, settings } = deps;
  return {
    getBackfillStatus: (tableName) => getBackfillStatus(tableName, deps),
    getRun: async (tableName) => {
      const stored = await store.get(tableName);
      return stored === undefined ? null : toRunSummary(stored.value);
    },
    listRuns: (next) => store.list(next),
    stallAfterMs: settings.staleAfterMs,

    async start(request) {
      const log = deps.logger.child({ tableName: request.tableName, reason: request.reason });
      for (let attempt = 1; ; attempt++) {
        const existing = await store.get(request.tableName);
        const now = clock.now();
        const decision = decideStart(existing?.value, request, now, settings.staleAfterMs);
        let runId: string;
        try {
          switch (decision) {
            case START_DECISION.alreadyRunning:
            case START_DECISION.alreadyDone:
              log.info('backfill not started', { decision, runId: existing?.value.runId });
              return decision;
            case START_DECISION.create: {
              const run = newRun({ ...request, runId: deps.newRunId(), totalSegments: settings.segments, now });
              await store.putRun(run, existing?.version);
              runId = run.runId;
              break;
            }
            case START_DECISION.resume: {
              const resumed = resumeFailed((existing as NonNullable<typeof existing>).value, now);
              await store.putRun(resumed, existing?.version);
              runId = resumed.runId;
              break;
            }
            case START_DECISION.kick: {
              // Record the kick (a conditional write, so a concurrent checkpoint wins): the run
              // counts as stalled again only after another full threshold, so the reconciler's
              // sweeps do not pile up invocations while this one waits in Lambda's queue.
              const current = existing as NonNullable<typeof existing>;
              await store.putRun({ ...current.value, updatedAt: now }, current.version);
              runId = current.value.runId;
              break;
            }
          }
        } catch (error) {
          // Another start (or the run itself) wrote first: decide again on what is there now.
          if (error instanceof StateConflictError && attempt < MAX_START_ATTEMPTS) continue;
          if (error instanceof StateConflictError) return 'already-running';
          throw error;
        }
        await deps.invoker.invoke({ action: 'backfill', tableName: request.tableName, runId });
        log.info('backfill started', { decision, runId, previousRunId: existing?.value.runId, segments: settings.segments });
        return 'started';
      }
    },
  };
}
