/**
 * Builds {@link Observed} for a table, either from a sweep-wide snapshot (mappings,
 * scaling targets and policies listed once for all tables) or live for one table.
 */
import { STREAM_LABEL_TAG_KEY, STREAM_TAG_KEY, STREAM_TAG_VALUE, STREAM_VIEW_TYPE, streamLabelOf, tableNameOfResourceId, tableNameOfStreamArn, tableResourceId, indexResourceId, isManagedPolicy } from './model';
import type { Observed, ObservedBackfill, ObservedBackfillRun, ObservedMapping, ObservedPolicy, ObservedTable, ObservedTarget } from './model';
import { backfillStartReason } from './plan';
import type { BackfillStarter, MappingPort, Page, ScalingPort } from './ports';


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
export async function loadSnapshot(mappings: MappingPort, scaling: ScalingPort): Promise<Snapshot> {
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
export async function observeLive(mappings: MappingPort, scaling: ScalingPort, tableName: string, table: ObservedTable | null, backfill?: ObservedBackfill): Promise<Observed> {
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
