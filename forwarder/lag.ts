/**
 * Replication lag of one forwarder invocation, measured when its events are on Kinesis:
 * - record age: now minus the stream record's ApproximateCreationDateTime (how long the
 *   change waited in the DynamoDB stream and the forwarder), oldest and newest record;
 * - source lag: now minus the source transaction's commit time (`origin.commitTime`), the
 *   whole way from the source database to Kinesis, where the item carries the DMS header;
 * - heartbeats: how many heartbeat-table changes arrived, and the lag of the newest one.
 * Pure: the caller passes the clock reading, so tests use a fake clock.
 */

/** Metric names (EMF, unit Milliseconds except HeartbeatsReceived). */
export const LagMetric = {
  OldestRecordAgeMs: 'OldestRecordAgeMs',
  NewestRecordAgeMs: 'NewestRecordAgeMs',
  SourceLagMaxMs: 'SourceLagMaxMs',
  SourceLagMinMs: 'SourceLagMinMs',
  HeartbeatsReceived: 'HeartbeatsReceived',
  HeartbeatLagMs: 'HeartbeatLagMs',
} as const;
export type LagMetric = (typeof LagMetric)[keyof typeof LagMetric];

/** One change that reached Kinesis (or, for a heartbeat kept off the stream, was handled). */
export interface LagSample {
  readonly table: string;
  /** ApproximateCreationDateTime in epoch ms, when the record had one. */
  readonly createdMs: number | undefined;
  /** origin.commitTime in epoch ms, when the item carried a well-formed one. */
  readonly commitMs: number | undefined;
  readonly heartbeat: boolean;
}

/** The figures of a set of samples; a figure is absent when no sample had what it needs. */
export interface LagFigures {
  readonly oldestRecordAgeMs?: number;
  readonly newestRecordAgeMs?: number;
  readonly sourceLagMaxMs?: number;
  readonly sourceLagMinMs?: number;
  /** Present (possibly 0) only when heartbeat tables are configured. */
  readonly heartbeatsReceived?: number;
  /** Lag of the newest heartbeat: from its commit time, or its stream record's creation when it has none. */
  readonly heartbeatLagMs?: number;
}

/** A clock difference clamped at 0: a source clock ahead of Lambda's must not show a negative lag. */
const age = (nowMs: number, thenMs: number) => Math.max(0, nowMs - thenMs);

/** The lag figures of `samples` at `nowMs`. */
export function lagFigures(samples: readonly LagSample[], nowMs: number, heartbeatsConfigured: boolean): LagFigures {
  let oldestCreated = Infinity;
  let newestCreated = -Infinity;
  let oldestCommit = Infinity;
  let newestCommit = -Infinity;
  let heartbeats = 0;
  let newestHeartbeat = -Infinity;
  for (const sample of samples) {
    if (sample.createdMs !== undefined) {
      if (sample.createdMs < oldestCreated) oldestCreated = sample.createdMs;
      if (sample.createdMs > newestCreated) newestCreated = sample.createdMs;
    }
    if (sample.commitMs !== undefined) {
      if (sample.commitMs < oldestCommit) oldestCommit = sample.commitMs;
      if (sample.commitMs > newestCommit) newestCommit = sample.commitMs;
    }
    if (sample.heartbeat) {
      heartbeats++;
      const at = sample.commitMs ?? sample.createdMs;
      if (at !== undefined && at > newestHeartbeat) newestHeartbeat = at;
    }
  }
  return {
    ...(oldestCreated !== Infinity ? { oldestRecordAgeMs: age(nowMs, oldestCreated), newestRecordAgeMs: age(nowMs, newestCreated) } : {}),
    ...(oldestCommit !== Infinity ? { sourceLagMaxMs: age(nowMs, oldestCommit), sourceLagMinMs: age(nowMs, newestCommit) } : {}),
    ...(heartbeatsConfigured ? { heartbeatsReceived: heartbeats } : {}),
    ...(newestHeartbeat !== -Infinity ? { heartbeatLagMs: age(nowMs, newestHeartbeat) } : {}),
  };
}

/** The samples grouped by table (a batch comes from one table's stream, so usually one group). */
export function samplesByTable(samples: readonly LagSample[]): Map<string, LagSample[]> {
  const groups = new Map<string, LagSample[]>();
  for (const sample of samples) {
    const group = groups.get(sample.table);
    if (group) group.push(sample);
    else groups.set(sample.table, [sample]);
  }
  return groups;
}

/** The figures as metric name, value and unit, in a fixed order. */
export function lagMetricValues(figures: LagFigures): Array<{ name: LagMetric; value: number; unit: 'Milliseconds' | 'Count' }> {
  const values: Array<{ name: LagMetric; value: number; unit: 'Milliseconds' | 'Count' }> = [];
  const ms = (name: LagMetric, value: number | undefined) => {
    if (value !== undefined) values.push({ name, value, unit: 'Milliseconds' });
  };
  ms(LagMetric.OldestRecordAgeMs, figures.oldestRecordAgeMs);
  ms(LagMetric.NewestRecordAgeMs, figures.newestRecordAgeMs);
  ms(LagMetric.SourceLagMaxMs, figures.sourceLagMaxMs);
  ms(LagMetric.SourceLagMinMs, figures.sourceLagMinMs);
  if (figures.heartbeatsReceived !== undefined) values.push({ name: LagMetric.HeartbeatsReceived, value: figures.heartbeatsReceived, unit: 'Count' });
  ms(LagMetric.HeartbeatLagMs, figures.heartbeatLagMs);
  return values;
}
