/**
 * The contract between the reconciler (which starts backfills) and the snapshot function
 * (which runs them): the invocation payload, the port that sends it, and the settings and
 * clock both sides read. Types only; the Lambda adapter is in ./invocation.ts.
 */

/** The payload of an invocation of the snapshot function: run (or continue) one backfill run. */
export interface BackfillInvocation {
  readonly action: 'backfill';
  readonly tableName: string;
  /** The run to continue; absent on a manual start request (handled by the reconciler). */
  readonly runId?: string;
  /** Manual start only: start over even if a backfill finished. */
  readonly force?: boolean;
}

/** Port: hands a run to a new snapshot function invocation (Lambda Invoke, InvocationType Event). */
export interface BackfillInvoker {
  invoke(payload: BackfillInvocation): Promise<void>;
}

/** What starting a run reads (from BackfillStarterConfig). */
export interface BackfillStartSettings {
  /** Parallel Scan segments of a new run. */
  readonly segments: number;
  /** A running backfill without a state write for this long is kicked by the next start(). */
  readonly staleAfterMs: number;
}

/** Tuning of a running invocation (from BackfillConfig). */
export interface BackfillRunSettings {
  readonly pageLimit: number;
  readonly readCapacityFraction: number;
  readonly onDemandMaxRcu: number;
  readonly stopMarginMs: number;
  readonly maxSegmentAttempts: number;
  readonly maxRecordSizeBytes: number;
}

/** Both, for tests and tools that start and run in one process. */
export type BackfillSettings = BackfillStartSettings & BackfillRunSettings;

/** Time, injectable so tests run a long backfill in no time. */
export interface BackfillClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}
