/**
 * The forwarder's configuration, read once per container from its environment.
 */
import { parseLogLevel, type LogLevel } from '../observability/logger';
import { readInt, readOptionalString, readString, type Env } from './env';

/** Every environment variable the forwarder reads (the template check compares against it). */
export const FORWARDER_ENV = [
  'KINESIS_STREAM_NAME',
  'MAX_RECORD_SIZE_BYTES',
  'PUBLISH_MAX_ATTEMPTS',
  'LOG_LEVEL',
  'METRICS_NAMESPACE',
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
  /** CloudWatch namespace of the EMF metrics; the shared default when unset. */
  readonly metricsNamespace: string | undefined;
  /** Time kept in reserve before the Lambda timeout for reporting the batch result. */
  readonly safetyMarginMs: number;
}

const MIB = 1_048_576;

export function loadForwarderConfig(env: Env): ForwarderConfig {
  const maxRecordBytes = readInt(env, 'MAX_RECORD_SIZE_BYTES', MIB, { min: 1024, max: 10 * MIB });
  return {
    streamName: readString(env, 'KINESIS_STREAM_NAME'),
    maxRecordBytes,
    // Kinesis allows 10 MiB requests since the 2025 large-record change; streams still on
    // 1 MiB records keep the long-standing 5 MiB request size.
    maxRequestBytes: maxRecordBytes > MIB ? 10 * MIB : 5 * MIB,
    publishMaxAttempts: readInt(env, 'PUBLISH_MAX_ATTEMPTS', 6, { min: 1, max: 50 }),
    logLevel: parseLogLevel(readOptionalString(env, 'LOG_LEVEL')),
    metricsNamespace: readOptionalString(env, 'METRICS_NAMESPACE'),
    safetyMarginMs: 3_000,
  };
}
