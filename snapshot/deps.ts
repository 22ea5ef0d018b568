/**
 * What the snapshot function's runner needs from the outside world, as one object of small
 * ports. The handler builds the AWS version once per container (createBackfillAwsDeps);
 * tests, the benchmark and the local run pass fakes or their own invoker.
 */
import type { CompiledOriginOptions } from '../src/change-event';
import type { Logger } from '../src/observability/logger';
import type { Metrics } from '../src/observability/metrics';
import type { RunnerStore } from '../src/backfill-state/state-store';
import type { SnapshotPublisher } from './snapshot-publisher';
import type { SourceTable } from './source-table';
import type { BackfillClock, BackfillInvocation, BackfillInvoker, BackfillRunSettings, BackfillSettings } from '../src/backfill-state/ports';

export type { BackfillClock, BackfillInvocation, BackfillInvoker, BackfillRunSettings, BackfillSettings };

/** Everything a run needs: the shared state store and invoker, plus the scan and publish ports. */
export interface BackfillDeps {
  readonly settings: BackfillRunSettings;
  readonly store: RunnerStore;
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
  /** Where the DMS header columns are in the items (default: the documented names, removed from `new`). */
  readonly origin?: CompiledOriginOptions;
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
