/**
 * Builds {@link Observed} for a table, either from a sweep-wide snapshot (mappings,
 * scaling targets and policies listed once for all tables) or live for one table.
 */
import { tableNameOfResourceId, tableNameOfStreamArn, tableResourceId, indexResourceId, isManagedPolicy } from './model';
import type { Observed, ObservedMapping, ObservedPolicy, ObservedTable, ObservedTarget } from './model';
import type { MappingPort, Page, ScalingPort } from './ports';

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

export function observeFromSnapshot(snapshot: Snapshot, tableName: string, table: ObservedTable | null): Observed {
  return {
    tableName,
    table,
    mappings: snapshot.mappings.get(tableName) ?? [],
    targets: snapshot.targets.get(tableName) ?? [],
    policies: snapshot.policies.get(tableName) ?? [],
  };
}

/**
 * Observes one table with per-table calls: the forwarder's mappings (all pages, filtered by
 * the table named in the stream ARN), the table's and its indexes' targets, and the
 * policies of each resource that has a target.
 */
export async function observeLive(mappings: MappingPort, scaling: ScalingPort, tableName: string, table: ObservedTable | null): Promise<Observed> {
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
  return { tableName, table, mappings: await mappingsPromise, targets, policies };
}
