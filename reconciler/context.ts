/**
 * What the operator's modules (observe, apply, announce, reconcile, sweep) share: the
 * dependencies, the desired state and the clock, plus the options of a run.
 */
import type { ReconcilerConfig } from '../src/config/reconciler';
import type { Logger } from '../src/observability/logger';
import type { Metrics } from '../src/observability/metrics';
import type { TableFilter } from '../src/table-filter';
import type { Desired } from './model';
import type { AnnouncePort, BackfillStarter, Clock, MappingPort, ScalingPort, StreamPort, TablePort } from './ports';

/** Everything {@link createOperator} needs; the ports are the AWS adapters or test fakes. */
export interface OperatorDeps {
  config: ReconcilerConfig;
  filter: TableFilter;
  tables: TablePort;
  /** DescribeStream of old streams, to know when their mappings have drained. */
  streams: StreamPort;
  mappings: MappingPort;
  scaling: ScalingPort;
  announcer: AnnouncePort;
  /** Omit when the backfill module is not deployed; then no backfill is observed or started. */
  backfill?: BackfillStarter;
  logger: Logger;
  metrics: Metrics;
  clock?: Clock;
}

/** The operator's shared context: ports already wrapped with throttling retries. */
export interface OperatorContext {
  deps: OperatorDeps;
  desired: Desired;
  clock: Clock;
}

export interface RunOptions {
  dryRun?: boolean;
  /** Epoch ms after which no new work starts (the Lambda's timeout minus a reserve). */
  deadline?: number;
  /** The request comes from CreateTable/UpdateTable: a table not found yet is requeued, not treated as gone. */
  expectExists?: boolean;
  /** What triggered the run, copied into announcements. */
  trigger?: string;
}

export interface SweepOptions extends RunOptions {
  /** Carry on after this table name (wrapping round to the start). */
  startAfter?: string;
}
