/**
 * The operator: reconcile requests carry only a table name; each one observes the table,
 * plans against the desired state and applies the plan through the ports. Level-triggered:
 * after a transient failure it observes again and re-plans rather than resuming a script.
 *
 * Public API (used by the handler, the CLI and the local run): {@link createOperator}.
 */
import type { ReconcilerConfig } from '../src/config/reconciler';
import { describeError } from '../src/errors';
import type { Logger } from '../src/observability/logger';
import type { Metrics } from '../src/observability/metrics';
import type { TableFilter } from '../src/table-filter';
import { AwsCallError, ErrorKind } from './errors';
import { retryThrottled } from './throttle';
import {
  NEW_STREAM,
  PlanState,
  STREAM_LABEL_TAG_KEY,
  STREAM_TAG_KEY,
  STREAM_TAG_VALUE,
  type Action,
  type Conflict,
  type Desired,
  type Observed,
  type ObservedBackfill,
  type ObservedTable,
  type Plan,
} from './model';
import {
  backfillObservable,
  loadBackfillRuns,
  loadSnapshot,
  managedTableNames,
  observeBackfill,
  observeFromSnapshot,
  observeLive,
  readAll,
  streamEnabledByReconciler,
  type Snapshot,
} from './observe';
import { desiredMappingFields, mappingDrift, observedMappingFields, plan as planTable } from './plan';
import {
  AnnouncementType,
  systemClock,
  type AnnouncePort,
  type Announcement,
  type BackfillStarter,
  type Clock,
  type MappingPort,
  type ScalingPort,
  type TablePort,
} from './ports';

export { STREAM_LABEL_TAG_KEY } from './model';

export interface OperatorDeps {
  config: ReconcilerConfig;
  filter: TableFilter;
  tables: TablePort;
  mappings: MappingPort;
  scaling: ScalingPort;
  announcer: AnnouncePort;
  /** Omit when the backfill module is not deployed; then no backfill is observed or started. */
  backfill?: BackfillStarter;
  logger: Logger;
  metrics: Metrics;
  clock?: Clock;
}

/** Outcome of one table's reconcile. */
export const Outcome = {
  /** Nothing to do: already converged. */
  Converged: 'converged',
  /** Actions applied; the table is converged. */
  Changed: 'changed',
  /** Dry run: `actions` is the plan, nothing was changed. */
  Planned: 'planned',
  /** Something must be looked at again: retry soon (`retry: 'now'`) or in a later run (`'later'`). */
  Requeue: 'requeue',
  /** The table is gone; what the reconciler left behind was removed (or nothing was). */
  Removed: 'removed',
  /** A failure retrying will not fix (validation, access denied). */
  Error: 'error',
} as const;
export type Outcome = (typeof Outcome)[keyof typeof Outcome];

export interface TableResult {
  table: string;
  outcome: Outcome;
  /** Applied actions, or in a dry run the planned ones. */
  actions: Action[];
  conflicts: Conflict[];
  /** Set when outcome is `requeue`. */
  retry?: 'now' | 'later';
  reason?: string;
  error?: { name: string; message: string };
  /** Only in dry runs / status: what was observed. */
  observed?: Observed;
}

export interface RunSummary {
  dryRun: boolean;
  counts: { seen: number; converged: number; changed: number; conflicts: number; requeued: number; removed: number; errors: number };
  tables: TableResult[];
}

export interface SweepSummary extends RunSummary {
  /** False when the sweep stopped before the deadline; `cursor` says where to carry on. */
  complete: boolean;
  cursor?: string;
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

export interface Operator {
  reconcileTables(names: readonly string[], options?: RunOptions): Promise<RunSummary>;
  sweep(options?: SweepOptions): Promise<SweepSummary>;
  /** Observed state and plan per table, changing nothing (a dry run that includes what was observed). */
  status(names: readonly string[]): Promise<RunSummary>;
}

const MAX_ATTEMPTS = 5;
const BASE_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 5_000;
const ACTIVE_POLL_MS = [500, 1_000, 2_000, 3_000, 5_000];
const CONFLICT_ANNOUNCE_TTL_MS = 24 * 3600_000;

/** Raised inside apply when the table did not become ACTIVE before the deadline. */
class NotReadyInTime extends Error {
  override readonly name = 'NotReadyInTime';
}

/** The backfill starter's stall threshold when none is given (BACKFILL_DEFAULTS.staleAfterMs). */
export const DEFAULT_BACKFILL_STALL_MS = 15 * 60_000;

/**
 * The desired state from the configuration. `backfill`: whether the backfill module is wired
 * (true, or its starter, whose stall threshold the plan must share so that a run the plan
 * calls stalled is one start() kicks).
 */
export function desiredFromConfig(config: ReconcilerConfig, backfill: boolean | Pick<BackfillStarter, 'stallAfterMs'>): Desired {
  return {
    streamConflictPolicy: config.streamConflictPolicy,
    capacity: config.capacity,
    mapping: config.mapping,
    backfillEnabled: config.backfillEnabled && backfill !== false,
    backfillStallMs: typeof backfill === 'object' ? backfill.stallAfterMs : DEFAULT_BACKFILL_STALL_MS,
  };
}

export function createOperator(input: OperatorDeps): Operator {
  const clock = input.clock ?? systemClock;
  // Throttled calls are retried where they happen; everything else is the operator's to handle.
  const deps: OperatorDeps = {
    ...input,
    tables: retryThrottled(input.tables, clock),
    mappings: retryThrottled(input.mappings, clock),
    scaling: retryThrottled(input.scaling, clock),
    ...(input.backfill ? { backfill: retryThrottled(input.backfill, clock) } : {}),
  };
  const desired = desiredFromConfig(deps.config, deps.backfill ?? false);
  /** Stream ARN -> whether the reconciler enabled it (from the tags); a stream's owner does not change. */
  const streamOwnership = new Map<string, boolean>();
  const announcedConflicts = new Map<string, number>();
  let sweepCursor: string | undefined;

  async function backoff(attempt: number): Promise<void> {
    const cap = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** attempt);
    await clock.sleep(cap / 2 + Math.random() * (cap / 2));
  }

  /** Retries transient failures of a read that is not part of a table's reconcile (snapshot, ListTables). */
  async function withRetry<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (!(error instanceof AwsCallError && error.kind === ErrorKind.Retryable) || attempt + 1 >= MAX_ATTEMPTS) throw error;
        await backoff(attempt);
      }
    }
  }

  async function waitUntilActive(tableName: string, deadline: number): Promise<ObservedTable | null> {
    for (let i = 0; ; i++) {
      const table = await deps.tables.describeTable(tableName);
      if (!table || table.status === 'ACTIVE' || table.status === 'DELETING') return table;
      const delay = ACTIVE_POLL_MS[Math.min(i, ACTIVE_POLL_MS.length - 1)]!;
      if (clock.now() + delay > deadline) throw new NotReadyInTime(`table ${tableName} is ${table.status}`);
      await clock.sleep(delay);
    }
  }

  function logAction(log: Logger, action: Action, after: Record<string, unknown> = {}): void {
    const { type, ...rest } = action;
    const before = 'before' in rest ? rest.before : undefined;
    log.info('reconciler action', { action: type, before, after: { ...rest, before: undefined, ...after } });
    deps.metrics.add(`Action.${type}`);
  }

  /** Applies a plan; returns the mapping kept on the latest stream (when there is one). */
  async function apply(planned: Plan, observed: Observed, deadline: number, log: Logger, applied: Action[]): Promise<{ streamArn?: string; mappingUuid?: string }> {
    const tableName = planned.tableName;
    const tableArn = observed.table?.arn ?? '';
    let streamArn = observed.table?.stream.latestArn;
    let streamLabel: string | undefined;
    let mappingUuid: string | undefined;
    let backfillFailure: { error: unknown } | undefined;
    for (const action of planned.actions) {
      switch (action.type) {
        case 'enable-stream': {
          await deps.tables.enableStream(tableName, action.viewType);
          const table = await waitUntilActive(tableName, deadline);
          streamArn = table?.stream.latestArn;
          streamLabel = streamArn?.split('/stream/')[1];
          logAction(log, action, { streamArn });
          break;
        }
        case 'disable-stream':
          await deps.tables.disableStream(tableName);
          await waitUntilActive(tableName, deadline);
          logAction(log, action);
          break;
        case 'tag-stream-owner': {
          const tags = { [STREAM_TAG_KEY]: STREAM_TAG_VALUE, ...(streamLabel ? { [STREAM_LABEL_TAG_KEY]: streamLabel } : {}) };
          await deps.tables.tagTable(tableArn, tags);
          if (streamArn) streamOwnership.set(streamArn, true);
          logAction(log, action, { tags });
          break;
        }
        case 'set-billing-mode':
          await deps.tables.setBillingMode(tableName, action.billingMode);
          await waitUntilActive(tableName, deadline);
          logAction(log, action);
          break;
        case 'delete-mapping':
          await deps.mappings.delete(action.uuid);
          logAction(log, action);
          break;
        case 'create-mapping': {
          const target = action.streamArn === NEW_STREAM ? streamArn : action.streamArn;
          if (!target) throw new AwsCallError(ErrorKind.Retryable, 'CreateEventSourceMapping', 'StreamNotReady', `table ${tableName} has no stream ARN yet`);
          mappingUuid = await createMappingOnce(target, log);
          logAction(log, action, { streamArn: target, uuid: mappingUuid });
          break;
        }
        case 'update-mapping':
          await deps.mappings.update(action.uuid, action.changes);
          mappingUuid = action.uuid;
          logAction(log, action);
          break;
        case 'start-backfill': {
          // Planned after the mapping actions: the forwarder reads the stream before the scan starts.
          if (!deps.backfill || !streamArn) break;
          try {
            const result = await startBackfill({ tableName, tableArn, streamArn }, log);
            logAction(log, action, { result });
          } catch (error) {
            // Capacity does not wait for the backfill: apply the rest, then report this failure.
            backfillFailure = { error };
            continue;
          }
          break;
        }
        case 'register-target':
          await deps.scaling.registerTarget({ resourceId: action.resourceId, dimension: action.dimension, minCapacity: action.minCapacity, maxCapacity: action.maxCapacity });
          logAction(log, action);
          break;
        case 'put-policy':
          await deps.scaling.putPolicy(action);
          logAction(log, action);
          break;
        case 'delete-policy':
          await deps.scaling.deletePolicy(action);
          logAction(log, action);
          break;
        case 'deregister-target':
          await deps.scaling.deregisterTarget(action);
          logAction(log, action);
          break;
      }
      applied.push(action);
    }
    if (backfillFailure) throw backfillFailure.error;
    return { ...(streamArn ? { streamArn } : {}), ...(mappingUuid ? { mappingUuid } : {}) };
  }

  /**
   * Hands the table to the backfill, retrying a few times. A start that still fails is
   * reported (error outcome, `BackfillStartErrors` metric); the backfill is desired state, so
   * the next reconcile or sweep observes no run for the stream and starts it again.
   */
  async function startBackfill(request: { tableName: string; tableArn: string; streamArn: string }, log: Logger) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await deps.backfill!.start({ ...request, reason: 'stream-enabled' });
      } catch (error) {
        log.warn('backfill start failed', { attempt, error: describeError(error) });
        if (attempt + 1 >= 3) {
          deps.metrics.add('BackfillStartErrors');
          throw error;
        }
        await backoff(attempt);
      }
    }
  }

  /**
   * Creates the mapping, then lists the stream's mappings again and keeps only the lowest
   * UUID: two concurrent runs that both created one converge on the same survivor.
   * ResourceConflict (AWS refuses a second mapping) means another run won: adopt its mapping.
   */
  async function createMappingOnce(streamArn: string, log: Logger): Promise<string> {
    const spec = { ...desiredMappingFields(desired), streamArn };
    try {
      await deps.mappings.create(spec);
    } catch (error) {
      if (!(error instanceof AwsCallError && error.kind === ErrorKind.Conflict)) throw error;
      log.info('mapping already exists (another run won); converging on it', { streamArn });
      deps.metrics.add('MappingCreateConflict');
    }
    const onStream = (await readAll((next) => deps.mappings.list({ eventSourceArn: streamArn }, next)))
      .filter((m) => m.state !== 'Deleting')
      .sort((a, b) => (a.uuid < b.uuid ? -1 : 1));
    const [keeper, ...duplicates] = onStream;
    if (!keeper) throw new AwsCallError(ErrorKind.Retryable, 'ListEventSourceMappings', 'MappingNotVisible', `mapping for ${streamArn} not listed yet`);
    for (const duplicate of duplicates) {
      await deps.mappings.delete(duplicate.uuid);
      log.info('reconciler action', { action: 'delete-mapping', before: { uuid: duplicate.uuid }, after: { reason: 'duplicate-after-create', kept: keeper.uuid } });
      deps.metrics.add('Action.delete-mapping');
    }
    const { changes } = mappingDrift(observedMappingFields(keeper), desiredMappingFields(desired));
    if (Object.keys(changes).length > 0) await deps.mappings.update(keeper.uuid, changes);
    return keeper.uuid;
  }

  function shouldAnnounceConflict(tableName: string, conflicts: Conflict[], trigger: string): boolean {
    const key = `${tableName}|${conflicts.map((c) => c.kind).sort().join(',')}`;
    const last = announcedConflicts.get(key);
    // Sweeps run every few minutes: announce a standing conflict once a day per container, events always.
    if (trigger === 'sweep' && last !== undefined && clock.now() - last < CONFLICT_ANNOUNCE_TTL_MS) return false;
    announcedConflicts.set(key, clock.now());
    return true;
  }

  async function announce(result: TableResult, observed: Observed | undefined, extra: { streamArn?: string; mappingUuid?: string }, trigger: string): Promise<void> {
    const announcements: Announcement[] = [];
    const base = { tableName: result.table, tableArn: observed?.table?.arn, trigger };
    if (result.conflicts.length > 0 && shouldAnnounceConflict(result.table, result.conflicts, trigger)) {
      announcements.push({ detailType: AnnouncementType.TableConflict, detail: { ...base, conflicts: result.conflicts, policy: deps.config.streamConflictPolicy } });
    }
    if (result.outcome === Outcome.Changed) {
      announcements.push({
        detailType: AnnouncementType.TableReady,
        detail: { ...base, streamArn: extra.streamArn, mappingUuid: extra.mappingUuid, capacityMode: deps.config.capacity.mode, actions: result.actions.map((a) => a.type) },
      });
    }
    if (result.outcome === Outcome.Removed && result.actions.length > 0) {
      announcements.push({
        detailType: AnnouncementType.TableResourcesRemoved,
        detail: {
          ...base,
          deletedMappings: result.actions.flatMap((a) => (a.type === 'delete-mapping' ? [a.uuid] : [])),
          deregisteredTargets: result.actions.flatMap((a) => (a.type === 'deregister-target' ? [{ resourceId: a.resourceId, dimension: a.dimension }] : [])),
        },
      });
    }
    if (announcements.length === 0) return;
    try {
      await deps.announcer.announce(announcements);
      deps.metrics.add('Announcements', announcements.length);
    } catch (error) {
      // The table is converged; a lost announcement must not undo or retry that.
      deps.logger.warn('announcement failed', { table: result.table, error: describeError(error) });
      deps.metrics.add('AnnouncementErrors');
    }
  }

  /** Whether the tags say the reconciler enabled `streamArn` (ListTagsOfResource once per stream and container). */
  async function ownsStream(table: ObservedTable, streamArn: string): Promise<boolean> {
    const known = streamOwnership.get(streamArn);
    if (known !== undefined) return known;
    const owned = streamEnabledByReconciler(await deps.tables.listTags(table.arn), streamArn);
    streamOwnership.set(streamArn, owned);
    return owned;
  }

  /**
   * Observes the table's backfill: the run from the sweep's snapshot, else one GetItem. A
   * failed state read leaves the backfill unobserved (no backfill action this time) rather
   * than failing the table's stream, mapping and capacity.
   */
  async function observeTableBackfill(tableName: string, table: ObservedTable | null, snapshot: Snapshot | undefined, log: Logger): Promise<ObservedBackfill | undefined> {
    const backfill = deps.backfill;
    if (!desired.backfillEnabled || !backfill || !backfillObservable(table)) return undefined;
    let run;
    if (snapshot?.backfills) {
      run = snapshot.backfills.get(tableName) ?? null;
    } else {
      try {
        run = await backfill.getRun(tableName);
      } catch (error) {
        log.warn('backfill state not readable; backfill left for a later run', { error: describeError(error) });
        deps.metrics.add('BackfillObserveErrors');
        return undefined;
      }
    }
    return observeBackfill(table, run, clock.now(), desired.backfillStallMs, ownsStream);
  }

  async function reconcileOne(tableName: string, options: RunOptions, snapshot?: Snapshot): Promise<TableResult> {
    const log = deps.logger.child({ table: tableName });
    const dryRun = options.dryRun ?? false;
    const deadline = options.deadline ?? clock.now() + 60_000;
    const trigger = options.trigger ?? 'direct';
    const applied: Action[] = [];
    let observed: Observed | undefined;
    let lastError: AwsCallError | undefined;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      try {
        let table = await deps.tables.describeTable(tableName);
        if (table && (table.status === 'CREATING' || table.status === 'UPDATING') && !dryRun) table = await waitUntilActive(tableName, deadline);
        const fromSnapshot = attempt === 0 ? snapshot : undefined;
        const backfill = await observeTableBackfill(tableName, table, fromSnapshot, log);
        observed = fromSnapshot ? observeFromSnapshot(fromSnapshot, tableName, table, backfill) : await observeLive(deps.mappings, deps.scaling, tableName, table, backfill);
        const planned = planTable(observed, desired);
        if (dryRun) {
          return { table: tableName, outcome: Outcome.Planned, actions: planned.actions, conflicts: planned.conflicts, observed, ...(planned.state === PlanState.NotReady ? { reason: 'table not ACTIVE' } : {}) };
        }
        const extra = await apply(planned, observed, deadline, log, applied);
        if (planned.state === PlanState.Gone && options.expectExists) {
          // DescribeTable is eventually consistent right after CreateTable: leftovers of an older
          // table of that name are removed, and the new one is looked at again.
          return { table: tableName, outcome: Outcome.Requeue, retry: 'now', reason: 'table not found yet', actions: applied, conflicts: [] };
        }
        const outcome = planned.state === PlanState.Gone ? Outcome.Removed : applied.length > 0 ? Outcome.Changed : Outcome.Converged;
        const result: TableResult = { table: tableName, outcome, actions: applied, conflicts: planned.conflicts };
        if (planned.revisitLater) Object.assign(result, { outcome: Outcome.Requeue, retry: 'later', reason: 'an index is not ACTIVE yet' });
        await announce(result, observed, extra, trigger);
        return result;
      } catch (error) {
        if (error instanceof NotReadyInTime) {
          return { table: tableName, outcome: Outcome.Requeue, retry: 'now', reason: error.message, actions: applied, conflicts: [] };
        }
        if (!(error instanceof AwsCallError)) {
          log.error('reconcile failed', { error: describeError(error) });
          return { table: tableName, outcome: Outcome.Error, error: describeError(error), actions: applied, conflicts: [] };
        }
        lastError = error;
        log.warn('reconcile attempt failed', { attempt, kind: error.kind, error: describeError(error) });
        deps.metrics.add(`AwsError.${error.kind}`);
        if (error.kind === ErrorKind.Terminal) {
          return { table: tableName, outcome: Outcome.Error, error: describeError(error), actions: applied, conflicts: [] };
        }
        if (error.kind === ErrorKind.RetryLater) {
          return { table: tableName, outcome: Outcome.Requeue, retry: 'later', reason: error.message, actions: applied, conflicts: [] };
        }
        // Retryable, conflict or not-found (something changed under us): observe again.
        if (clock.now() >= deadline) break;
        await backoff(attempt);
      }
    }
    return { table: tableName, outcome: Outcome.Requeue, retry: 'now', reason: lastError?.message ?? 'deadline reached', actions: applied, conflicts: [] };
  }

  function summarize(dryRun: boolean, tables: TableResult[]): RunSummary {
    const counts = { seen: tables.length, converged: 0, changed: 0, conflicts: 0, requeued: 0, removed: 0, errors: 0 };
    for (const t of tables) {
      if (t.outcome === Outcome.Converged) counts.converged++;
      if (t.outcome === Outcome.Changed || (t.outcome === Outcome.Planned && t.actions.length > 0)) counts.changed++;
      if (t.outcome === Outcome.Planned && t.actions.length === 0) counts.converged++;
      if (t.outcome === Outcome.Requeue) counts.requeued++;
      if (t.outcome === Outcome.Removed) counts.removed++;
      if (t.outcome === Outcome.Error) counts.errors++;
      if (t.conflicts.length > 0) counts.conflicts++;
    }
    for (const [name, value] of Object.entries(counts)) deps.metrics.add(`Tables.${name}`, value);
    return { dryRun, counts, tables };
  }

  async function pool<T>(items: AsyncIterable<T>, concurrency: number, worker: (item: T) => Promise<void>, stop: () => boolean): Promise<boolean> {
    const iterator = items[Symbol.asyncIterator]();
    let stopped = false;
    const run = async () => {
      for (;;) {
        if (stop()) {
          stopped = true;
          return;
        }
        const next = await iterator.next();
        if (next.done) return;
        await worker(next.value);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, run));
    return !stopped;
  }

  return {
    async reconcileTables(names, options = {}) {
      const results: TableResult[] = [];
      for (const name of names) {
        const rejection = deps.filter.includesName(name) ? undefined : 'excluded by TABLE_INCLUDE_PATTERNS/TABLE_EXCLUDE_PATTERNS';
        if (rejection) {
          deps.logger.info('table ignored', { table: name, reason: rejection });
          continue;
        }
        results.push(await reconcileOne(name, options));
      }
      return summarize(options.dryRun ?? false, results);
    },

    async status(names) {
      return this.reconcileTables(names, { dryRun: true, trigger: 'status' });
    },

    async sweep(options = {}) {
      const dryRun = options.dryRun ?? false;
      const deadline = options.deadline ?? clock.now() + 240_000;
      const startAfter = options.startAfter ?? sweepCursor;
      const snapshot = await withRetry(() => loadSnapshot(deps.mappings, deps.scaling));
      if (desired.backfillEnabled && deps.backfill) {
        // Every run once per sweep (a few Scan pages of a small table), not a GetItem per table.
        const backfill = deps.backfill;
        try {
          snapshot.backfills = await loadBackfillRuns(backfill);
        } catch (error) {
          deps.logger.warn('backfill states not readable; this sweep reads them per table', { error: describeError(error) });
          deps.metrics.add('BackfillObserveErrors');
        }
      }
      const managed = managedTableNames(snapshot);
      const seen = new Set<string>();
      const results: TableResult[] = [];
      let lastLaunched: string | undefined;

      // Names from startAfter to the end, then from the start up to startAfter (wrap round).
      async function* names(): AsyncGenerator<string> {
        for (const [from, upTo] of startAfter === undefined ? [[undefined, undefined]] : [[startAfter, undefined], [undefined, startAfter]]) {
          let next: string | undefined = from;
          do {
            const page = await withRetry(() => deps.tables.listTables(next));
            for (const name of page.items) {
              if (upTo !== undefined && name > upTo) return;
              yield name;
            }
            next = page.next;
          } while (next !== undefined);
        }
      }
      const selected = async function* (): AsyncGenerator<string> {
        for await (const name of names()) {
          seen.add(name);
          if (!deps.filter.includesName(name)) continue;
          // With a creator filter the sweep cannot know the creator: it keeps managed tables converged only.
          if (deps.filter.checksCreator && !managed.has(name)) continue;
          yield name;
        }
      };
      const stopAt = deadline - deps.config.sweepTimeReserveSeconds * 1000;
      const complete = await pool(selected(), deps.config.sweepConcurrency, async (name) => {
        lastLaunched = name;
        results.push(await reconcileOne(name, { dryRun, deadline, trigger: 'sweep' }, snapshot));
      }, () => clock.now() >= stopAt);

      if (complete) {
        // Managed tables that no longer exist: clean up after them.
        const gone = [...managed].filter((name) => !seen.has(name) && deps.filter.includesName(name)).sort();
        await pool((async function* () { yield* gone; })(), deps.config.sweepConcurrency, async (name) => {
          results.push(await reconcileOne(name, { dryRun, deadline, trigger: 'sweep' }, snapshot));
        }, () => clock.now() >= deadline);
      }
      sweepCursor = complete ? undefined : lastLaunched;
      const summary = summarize(dryRun, results);
      return { ...summary, complete, ...(sweepCursor !== undefined ? { cursor: sweepCursor } : {}) };
    },
  };
}
