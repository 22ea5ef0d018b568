/**
 * Observe: reads a table's real state into {@link Observed}, either from a sweep-wide
 * snapshot (mappings, scaling targets, policies and backfill runs listed once for all
 * tables) or live for one table. {@link createObserver} is the operator's observe step.
 */
import { describeError } from '../src/errors';
import type { Logger } from '../src/observability/logger';
import type { OperatorContext } from './context';
import { withRetry, waitUntilActive } from './retry';
import { STREAM_LABEL_TAG_KEY, STREAM_TAG_KEY, STREAM_TAG_VALUE, STREAM_VIEW_TYPE, streamLabelOf, tableNameOfResourceId, tableNameOfStreamArn, tableResourceId, indexResourceId, isManagedPolicy } from './model';
import type { Observed, ObservedBackfill, ObservedBackfillRun, ObservedMapping, ObservedPolicy, ObservedStream, ObservedTable, ObservedTarget } from './model';
import { backfillStartReason } from './plan';
import type { BackfillStarter, MappingPort, Page, ScalingPort, StreamPort, TablePort } from './ports';

/** Reads every page of a paginated call. Guards against a server that repeats its token. */
export async function readAll<T>(fetch: (next?: string) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  const seen = new Set<string>();
  let next: string | undefined;
  do {
    const page = await fetch(next);
    items.push(...page.items);
    next = page.next;
    if (next !== undefined) {
      if (seen.has(next)) throw new Error(`pagination token repeated (${next}); the service returned a cycle`);
      seen.add(next);
    }
  } while (next !== undefined);
  return items;
}

function groupBy<T>(items: T[], key: (item: T) => string | undefined): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k === undefined) continue;
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
}

/** The forwarder's mappings and all DynamoDB scaling targets and policies, grouped by table name. */
export interface Snapshot {
  mappings: Map<string, ObservedMapping[]>;
  targets: Map<string, ObservedTarget[]>;
  policies: Map<string, ObservedPolicy[]>;
  /** Every table's backfill run (one paginated Scan of the state table); undefined when not read. */
  backfills?: Map<string, ObservedBackfillRun>;
}

/** Reads every backfill run once (a sweep), keyed by table name. */
export async function loadBackfillRuns(backfill: Pick<BackfillStarter, 'listRuns'>): Promise<Map<string, ObservedBackfillRun>> {
  const runs = await readAll((next) => backfill.listRuns(next));
  return new Map(runs.map(({ tableName, ...run }) => [tableName, { streamArn: run.streamArn, runId: run.runId, status: run.status, updatedAt: run.updatedAt }]));
}

/** True when the tags say the reconciler enabled the stream `streamArn` (owner tag, and the label when recorded). */
export function streamEnabledByReconciler(tags: Record<string, string>, streamArn: string): boolean {
  if (tags[STREAM_TAG_KEY] !== STREAM_TAG_VALUE) return false;
  const label = tags[STREAM_LABEL_TAG_KEY];
  return label === undefined || label === streamLabelOf(streamArn);
}

/** Whether a table's backfill is part of its desired state at all: ACTIVE, with a NEW_AND_OLD_IMAGES stream. */
export function backfillObservable(table: ObservedTable | null): table is ObservedTable & { stream: { latestArn: string } } {
  return table !== null && table.status === 'ACTIVE' && table.stream.enabled && table.stream.viewType === STREAM_VIEW_TYPE && table.stream.latestArn !== undefined;
}

/**
 * Builds the observed backfill of a table from its run. The tags (who enabled the stream)
 * are read only when the run does not already satisfy the desired state, so a converged
 * table costs no extra call.
 */
export async function observeBackfill(
  table: ObservedTable & { stream: { latestArn: string } },
  run: ObservedBackfillRun | null,
  now: number,
  stallMs: number,
  ownsStream: (table: ObservedTable, streamArn: string) => Promise<boolean>,
): Promise<ObservedBackfill> {
  const observed: ObservedBackfill = { run, ...(run ? { idleMs: Math.max(0, now - run.updatedAt) } : {}) };
  if (backfillStartReason(observed, table.stream.latestArn, stallMs) === undefined) return observed;
  return { ...observed, streamEnabledByReconciler: await ownsStream(table, table.stream.latestArn) };
}

export async function loadSnapshot(mappings: Pick<MappingPort, 'list'>, scaling: Pick<ScalingPort, 'listTargets' | 'listPolicies'>): Promise<Snapshot> {
  const [allMappings, allTargets, allPolicies] = await Promise.all([
    readAll((next) => mappings.list({}, next)),
    readAll((next) => scaling.listTargets({}, next)),
    readAll((next) => scaling.listPolicies({}, next)),
  ]);
  return {
    mappings: groupBy(allMappings, (m) => tableNameOfStreamArn(m.streamArn)),
    targets: groupBy(allTargets, (t) => tableNameOfResourceId(t.resourceId)),
    policies: groupBy(allPolicies, (p) => tableNameOfResourceId(p.resourceId)),
  };
}

/** Tables the reconciler has left something behind for: a forwarder mapping or a target with one of its policies. */
export function managedTableNames(snapshot: Snapshot): Set<string> {
  const names = new Set(snapshot.mappings.keys());
  for (const [name, policies] of snapshot.policies) if (policies.some(isManagedPolicy)) names.add(name);
  return names;
}

export function observeFromSnapshot(snapshot: Snapshot, tableName: string, table: ObservedTable | null, backfill?: ObservedBackfill): Observed {
  return {
    tableName,
    table,
    mappings: snapshot.mappings.get(tableName) ?? [],
    targets: snapshot.targets.get(tableName) ?? [],
    policies: snapshot.policies.get(tableName) ?? [],
    ...(backfill ? { backfill } : {}),
  };
}

/**
 * Observes one table with per-table calls: the forwarder's mappings (all pages, filtered by
 * the table named in the stream ARN), the table's and its indexes' targets, and the
 * policies of each resource that has a target.
 */
export async function observeLive(mappings: Pick<MappingPort, 'list'>, scaling: Pick<ScalingPort, 'listTargets' | 'listPolicies'>, tableName: string, table: ObservedTable | null, backfill?: ObservedBackfill): Promise<Observed> {
  const mappingsPromise = readAll((next) => mappings.list({}, next)).then((all) => all.filter((m) => tableNameOfStreamArn(m.streamArn) === tableName));
  let targets: ObservedTarget[];
  if (table) {
    const ids = [tableResourceId(tableName), ...table.indexes.map((i) => indexResourceId(tableName, i.name))];
    targets = [];
    for (let i = 0; i < ids.length; i += 50) {
      const chunk = ids.slice(i, i + 50);
      targets.push(...(await readAll((next) => scaling.listTargets({ resourceIds: chunk }, next))));
    }
  } else {
    // The index names of a deleted table are unknown: look through all targets.
    targets = (await readAll((next) => scaling.listTargets({}, next))).filter((t) => tableNameOfResourceId(t.resourceId) === tableName);
  }
  const resourceIds = [...new Set(targets.map((t) => t.resourceId))];
  const policies = (await Promise.all(resourceIds.map((id) => readAll((next) => scaling.listPolicies({ resourceId: id }, next))))).flat();
  return { tableName, table, mappings: await mappingsPromise, targets, policies, ...(backfill ? { backfill } : {}) };
}

/**
 * DescribeStream of every stream a live mapping reads other than the table's current
 * enabled stream (none in a converged table, so this costs nothing there). A stream whose
 * description fails is left out: unobserved, its mapping is kept (never deleted on a guess),
 * and the rest of the table still converges.
 */
export async function observeOldStreams(streams: StreamPort, observed: Observed, onError: (streamArn: string, error: unknown) => void = () => undefined): Promise<Record<string, ObservedStream>> {
  const current = observed.table?.stream.enabled ? observed.table.stream.latestArn : undefined;
  const arns = [...new Set(observed.mappings.filter((m) => m.state !== 'Deleting' && m.streamArn !== current).map((m) => m.streamArn))].sort();
  const described = await Promise.all(arns.map(async (arn) => {
    try {
      return [[arn, await streams.describeStream(arn)] as const];
    } catch (error) {
      onError(arn, error);
      return [];
    }
  }));
  return Object.fromEntries(described.flat());
}

/** Stream ARN -> whether the reconciler enabled it (from the tags); a stream's owner does not change. */
export interface StreamOwnership {
  /** Whether the tags say the reconciler enabled `streamArn` (ListTagsOfResource once per stream and container). */
  owns(table: ObservedTable, streamArn: string): Promise<boolean>;
  /** Records a stream the reconciler just enabled and tagged. */
  recordOwned(streamArn: string): void;
}

export function createStreamOwnership(tables: Pick<TablePort, 'listTags'>): StreamOwnership {
  const known = new Map<string, boolean>();
  return {
    async owns(table, streamArn) {
      const cached = known.get(streamArn);
      if (cached !== undefined) return cached;
      const owned = streamEnabledByReconciler(await tables.listTags(table.arn), streamArn);
      known.set(streamArn, owned);
      return owned;
    },
    recordOwned(streamArn) {
      known.set(streamArn, true);
    },
  };
}

export interface ObserveOptions {
  dryRun: boolean;
  deadline: number;
  log: Logger;
  /** The sweep's listings; undefined reads this table live. */
  snapshot?: Snapshot;
}

/** The operator's observe step. */
export interface Observer {
  /** DescribeTable (waiting out CREATING/UPDATING unless a dry run), the backfill, then mappings and scaling. */
  observeTable(tableName: string, options: ObserveOptions): Promise<Observed>;
  /** The sweep's listings: every mapping, scaling target and policy, and (when wired) every backfill run. */
  loadSweepSnapshot(): Promise<Snapshot>;
}

export function createObserver(ctx: OperatorContext, ownership: StreamOwnership): Observer {
  const { deps, desired, clock } = ctx;

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
    return observeBackfill(table, run, clock.now(), desired.backfillStallMs, (t, arn) => ownership.owns(t, arn));
  }

  return {
    async observeTable(tableName, { dryRun, deadline, log, snapshot }) {
      let table = await deps.tables.describeTable(tableName);
      if (table && (table.status === 'CREATING' || table.status === 'UPDATING') && !dryRun) table = await waitUntilActive(deps.tables, clock, tableName, deadline);
      const backfill = await observeTableBackfill(tableName, table, snapshot, log);
      const observed = snapshot ? observeFromSnapshot(snapshot, tableName, table, backfill) : await observeLive(deps.mappings, deps.scaling, tableName, table, backfill);
      const streams = await observeOldStreams(deps.streams, observed, (streamArn, error) => {
        log.warn('old stream not describable; its mapping is kept', { streamArn, error: describeError(error) });
        deps.metrics.add('StreamObserveErrors');
      });
      return { ...observed, ...(Object.keys(streams).length > 0 ? { streams } : {}), observedAt: clock.now() };
    },

    async loadSweepSnapshot() {
      const snapshot = await withRetry(clock, () => loadSnapshot(deps.mappings, deps.scaling));
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
      return snapshot;
    },
  };
}
