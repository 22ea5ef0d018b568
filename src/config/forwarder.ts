/**
 * The forwarder's configuration, read once per container from its environment.
 */
import type { OriginOptions } from '../change-event/origin';
import type { LogLevel } from '../observability/logger';
import { readBoolean, readInt, readList, readString, type Env } from './env';
import { loadObservabilityConfig, OBSERVABILITY_ENV } from './observability';
import { loadOriginOptions, ORIGIN_ENV } from './origin';

/** Every environment variable the forwarder reads (the template check compares against it). */
export const FORWARDER_ENV = [
  'KINESIS_STREAM_NAME',
  'MAX_RECORD_SIZE_BYTES',
  'PUBLISH_MAX_ATTEMPTS',
  ...OBSERVABILITY_ENV,
  ...ORIGIN_ENV,
  'LAG_METRICS_PER_TABLE',
  'HEARTBEAT_TABLE_PATTERNS',
  'HEARTBEAT_PUBLISH',
] as const;

export interface ForwarderConfig {
  /** The Kinesis stream every change event goes to. */
  readonly streamName: string;
  /** Maximum Kinesis record size (data + partition key); larger events are degraded. */
  readonly maxRecordBytes: number;
  /** PutRecords request size limit, derived: 5 MiB, or 10 MiB when records may exceed 1 MiB. */
  readonly maxRequestBytes: number;
  /** Sends per record before the batch reports it as failed. */
  readonly publishMaxAttempts: number;
  readonly logLevel: LogLevel;
  /** The `service` of its logs and metrics. */
  readonly serviceName: string;
  /** CloudWatch namespace of the EMF metrics. */
  readonly metricsNamespace: string;
  /** Time kept in reserve before the Lambda timeout for reporting the batch result. */
  readonly safetyMarginMs: number;
  /** Which item attributes hold the DMS header columns, and whether they stay in the images. */
  readonly origin: OriginOptions;
  /** Also emit the lag metrics with a `table` dimension (one custom metric per table and lag metric). */
  readonly lagMetricsPerTable: boolean;
  /** Globs (`*`, `?`) naming the heartbeat tables; empty = no heartbeat table. */
  readonly heartbeatTablePatterns: readonly string[];
  /** Put heartbeat tables' events on the change stream (false keeps them off it; they still feed the lag metrics). */
  readonly heartbeatPublish: boolean;
}

const MIB = 1_048_576;

export function loadForwarderConfig(env: Env): ForwarderConfig {
  const observability = loadObservabilityConfig(env, 'forwarder');
  const maxRecordBytes = readInt(env, 'MAX_RECORD_SIZE_BYTES', MIB, { min: 1024, max: 10 * MIB });
  return {
    streamName: readString(env, 'KINESIS_STREAM_NAME'),
    maxRecordBytes,
    // Kinesis allows 10 MiB requests since the 2025 large-record change; streams still on
    // 1 MiB records keep the long-standing 5 MiB request size.
    maxRequestBytes: maxRecordBytes > MIB ? 10 * MIB : 5 * MIB,
    publishMaxAttempts: readInt(env, 'PUBLISH_MAX_ATTEMPTS', 6, { min: 1, max: 50 }),
    ...observability,
    safetyMarginMs: 3_000,
    origin: loadOriginOptions(env),
    lagMetricsPerTable: readBoolean(env, 'LAG_METRICS_PER_TABLE', false),
    heartbeatTablePatterns: readList(env, 'HEARTBEAT_TABLE_PATTERNS', []),
    heartbeatPublish: readBoolean(env, 'HEARTBEAT_PUBLISH', true),
  };
}
