/**
 * What the backfill needs from the outside world, as one object of small ports. The
 * reconciler handler builds the AWS version once per container (createBackfillAwsDeps);
 * tests, the benchmark and the local run pass fakes or their own invoker.
 */
import type { Logger } from '../../src/observability/logger';
import type { Metrics } from '../../src/observability/metrics';
import type { BackfillStateStore } from './state-store';
import type { SnapshotPublisher } from './snapshot-publisher';
import type { SourceTable } from './source-table';

/** The payload of a backfill invocation of the reconciler function. */
export interface BackfillInvocation {
  readonly action: 'backfill';
  readonly tableName: string;
  /** The run to continue; absent on a manual invocation, which starts (or resumes) one. */
  readonly runId?: string;
  /** Manual only: start over even if a backfill finished. */
  readonly force?: boolean;
}

/** Port: continues a backfill in a new invocation (Lambda Invoke, InvocationType Event). */
export interface BackfillInvoker {
  invoke(payload: BackfillInvocation): Promise<void>;
}

/** Tuning of a run (from BackfillConfig). */
export interface BackfillSettings {
  readonly segments: number;
  readonly pageLimit: number;
  readonly readCapacityFraction: number;
  readonly onDemandMaxRcu: number;
  readonly stopMarginMs: number;
  readonly maxSegmentAttempts: number;
  readonly maxRecordSizeBytes: number;
  /** A running backfill without a state write for this long is kicked by the next start(). */
  readonly staleAfterMs: number;
}

export interface BackfillClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export interface BackfillDeps {
  readonly settings: BackfillSettings;
  readonly store: BackfillStateStore;
  readonly source: SourceTable;
  readonly publisher: SnapshotPublisher;
  readonly invoker: BackfillInvoker;
  /** Region written into the events' `source.region`. */
  readonly region: string;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly clock: BackfillClock;
  /** In [0, 1): jitter of throttling backoff. */
  readonly random: () => number;
  readonly newRunId: () => string;
}

/** The metric names the backfill emits (namespace DmsEventBus, dimension service). */
export const BACKFILL_METRICS = {
  /** Items published as snapshot events. */
  items: 'BackfillItems',
  /** Scan pages committed. */
  pages: 'BackfillPages',
  /** Backfill runs that ended failed (alarm on Sum > 0). */
  failed: 'BackfillFailed',
  /** Runs given up because their table was deleted or its stream replaced (no alarm: a new run covers the new stream). */
  abandoned: 'BackfillAbandoned',
  /** Backfill runs that completed. */
  completed: 'BackfillCompleted',
  /** Scan pages DynamoDB throttled. */
  throttled: 'BackfillThrottled',
} as const;
