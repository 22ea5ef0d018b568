/**
 * Text and JSON views of the reconciler's observations for `status` and `plan`. Pure.
 */
import type { Action, Conflict, DrainingMapping, Observed } from '../reconciler/model';
import type { ReleaseAction } from '../reconciler/release/model';

/** One row of `dms-event-bus status`. */
export interface StatusRow {
  table: string;
  exists: boolean;
  stream: { enabled: boolean; viewType: string | null; arn: string | null };
  mappings: {
    uuid: string;
    state: string;
    lastProcessingResult: string | null;
    onLatestStream: boolean;
    /** Kept on a disabled or superseded stream until drained; `until` null: until DynamoDB deletes the stream. */
    draining: { until: string | null; reason: string } | null;
  }[];
  capacity: { billingMode: string | null; targets: { resourceId: string; dimension: string; min: number; max: number }[] };
  /** Actions the reconciler would take (drift); empty when converged. */
  drift: (Action | ReleaseAction)[];
  conflicts: Conflict[];
  backfill: { state: string; detail?: string };
  converged: boolean;
}

export function toStatusRow(input: {
  table: string;
  observed: Observed | undefined;
  actions: (Action | ReleaseAction)[];
  conflicts: Conflict[];
  lastProcessingResults: Record<string, string | undefined>;
  backfill: { state: string; detail?: string };
  draining?: readonly DrainingMapping[];
}): StatusRow {
  const draining = new Map((input.draining ?? []).map((d) => [d.uuid, d]));
  const table = input.observed?.table ?? null;
  const latest = table?.stream.enabled ? (table.stream.latestArn ?? null) : null;
  return {
    table: input.table,
    exists: table !== null,
    stream: { enabled: table?.stream.enabled ?? false, viewType: table?.stream.viewType ?? null, arn: latest },
    mappings: (input.observed?.mappings ?? []).map((m) => ({
      uuid: m.uuid,
      state: m.state,
      lastProcessingResult: input.lastProcessingResults[m.uuid] ?? null,
      onLatestStream: m.streamArn === latest,
      draining: drainingView(draining.get(m.uuid)),
    })),
    capacity: {
      billingMode: table?.billingMode ?? null,
      targets: (input.observed?.targets ?? []).map((t) => ({ resourceId: t.resourceId, dimension: t.dimension, min: t.minCapacity, max: t.maxCapacity })),
    },
    drift: input.actions,
    conflicts: input.conflicts,
    backfill: input.backfill,
    converged: input.actions.length === 0 && input.conflicts.length === 0,
  };
}

function drainingView(d: DrainingMapping | undefined): { until: string | null; reason: string } | null {
  return d ? { until: d.removeAfter === undefined ? null : new Date(d.removeAfter).toISOString(), reason: d.reason } : null;
}

/** `draining until <ISO time>`, or until the stream is deleted (24 h after DeleteTable). */
function drainingText(d: { until: string | null }): string {
  return `draining until ${d.until ?? 'the stream is deleted'}`;
}

/** Short text of one planned action. */
export function describeAction(action: Action | ReleaseAction): string {
  switch (action.type) {
    case 'enable-stream':
      return `enable stream (${action.viewType})`;
    case 'disable-stream':
      return 'before' in action ? `disable stream (${action.before}, to replace it)` : `disable stream ${action.streamArn} (the reconciler enabled it)`;
    case 'untag-table':
      return `remove tags ${action.keys.join(', ')}`;
    case 'tag-stream-owner':
      return 'tag the table as stream owner';
    case 'set-billing-mode':
      return `switch billing mode ${action.before} -> ${action.billingMode}`;
    case 'delete-mapping':
      return `delete mapping ${action.uuid} (${action.reason}${'drained' in action && action.drained ? `, ${action.drained}` : ''})`;
    case 'create-mapping':
      return `create mapping to the forwarder${action.streamArn === 'new-stream' ? ' on the new stream' : ''}`;
    case 'update-mapping':
      return `update mapping ${action.uuid}: ${Object.entries(action.changes).map(([k, v]) => `${k} ${JSON.stringify((action.before as Record<string, unknown>)[k])} -> ${JSON.stringify(v)}`).join(', ')}`;
    case 'start-backfill':
      return 'start backfill';
    case 'register-target':
      return `register scaling target ${action.resourceId} ${action.dimension} ${action.minCapacity}-${action.maxCapacity}`;
    case 'put-policy':
      return `put scaling policy ${action.policyName} (${action.metricType} ${action.targetValue}%)`;
    case 'delete-policy':
      return `delete scaling policy ${action.policyName}`;
    case 'deregister-target':
      return `deregister scaling target ${action.resourceId} ${action.dimension} (${action.reason})`;
    default:
      return (action as { type: string }).type;
  }
}

function pad(cells: string[][]): string {
  const widths = cells[0]!.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  return cells.map((row) => row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()).join('\n');
}

/** The `status` table. */
export function formatStatusTable(rows: readonly StatusRow[]): string {
  if (rows.length === 0) return 'No tables in scope (check TABLE_INCLUDE_PATTERNS / TABLE_EXCLUDE_PATTERNS, region and endpoint).';
  const header = ['TABLE', 'STREAM', 'MAPPING', 'CAPACITY', 'DRIFT', 'CONFLICTS', 'BACKFILL'];
  const body = rows.map((row) => {
    const mapping =
      row.mappings.length === 0
        ? 'none'
        : row.mappings.map((m) => `${m.state}${m.lastProcessingResult ? ` (${m.lastProcessingResult})` : ''}${m.draining ? ` [${drainingText(m.draining)}]` : m.onLatestStream ? '' : ' [old stream]'}`).join('; ');
    const tableTargets = row.capacity.targets.filter((t) => !t.resourceId.includes('/index/'));
    const indexTargets = row.capacity.targets.length - tableTargets.length;
    const capacity = !row.exists
      ? '-'
      : row.capacity.billingMode === 'PAY_PER_REQUEST'
        ? 'on-demand'
        : `provisioned, ${tableTargets.length === 0 ? 'no autoscaling' : `autoscaling ${tableTargets.map((t) => `${t.dimension.endsWith('ReadCapacityUnits') ? 'R' : 'W'} ${t.min}-${t.max}`).join(' ')}`}${indexTargets > 0 ? ` +${indexTargets} index targets` : ''}`;
    return [
      row.table,
      !row.exists ? 'table gone' : row.stream.enabled ? (row.stream.viewType ?? 'on') : 'off',
      mapping,
      capacity,
      row.converged ? 'in sync' : row.drift.length === 0 ? '-' : `${row.drift.length} change${row.drift.length === 1 ? '' : 's'}`,
      row.conflicts.length === 0 ? '-' : row.conflicts.map((c) => c.kind).join(', '),
      row.backfill.detail ? `${row.backfill.state} (${row.backfill.detail})` : row.backfill.state,
    ];
  });
  return pad([header, ...body]);
}

/** The `plan` listing. */
export function formatPlan(rows: readonly StatusRow[]): string {
  if (rows.length === 0) return 'No tables in scope.';
  return rows
    .map((row) => {
      const drains = row.mappings.flatMap((m) => (m.draining ? [`  ~ mapping ${m.uuid} ${drainingText(m.draining)}`] : []));
      if (row.converged) return [`${row.table}: in sync, nothing to do`, ...drains].join('\n');
      const lines = [`${row.table}:`, ...row.drift.map((a) => `  + ${describeAction(a)}`), ...row.conflicts.map((c) => `  ! conflict ${c.kind}: ${c.message}`), ...drains];
      return lines.join('\n');
    })
    .join('\n');
}
