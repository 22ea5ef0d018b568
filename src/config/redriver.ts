/**
 * The redriver's configuration (the function on the forwarder's dead-letter queue), read
 * once per container from its environment. It converts as the forwarder does, so it reads
 * the same origin settings (where the DMS header columns are).
 */
import type { OriginOptions } from '../change-event/origin';
import type { LogLevel } from '../observability/logger';
import { readInt, readString, type Env } from './env';
import { loadObservabilityConfig, OBSERVABILITY_ENV } from './observability';
import { loadOriginOptions, ORIGIN_ENV } from './origin';

/** Every environment variable the redriver reads (the template check compares against it). */
export const REDRIVER_ENV = [
  'DEAD_LETTER_QUEUE_URL',
  'KINESIS_STREAM_NAME',
  'MAX_RECORD_SIZE_BYTES',
  'PUBLISH_MAX_ATTEMPTS',
  'EVENT_BUS_NAME',
  ...OBSERVABILITY_ENV,
  ...ORIGIN_ENV,
] as const;

export interface RedriverConfig {
  /** The forwarder's dead-letter queue the function is mapped to (for ChangeMessageVisibility). */
  readonly queueUrl: string;
  /** The Kinesis stream the forwarder writes (the redriven events go to the same one). */
  readonly streamName: string;
  readonly maxRecordBytes: number;
  readonly maxRequestBytes: number;
  /** Sends per record before a message is kept for a later attempt. */
  readonly publishMaxAttempts: number;
  /** The bus `Changes Lost` is announced on. */
  readonly eventBusName: string;
  readonly logLevel: LogLevel;
  /** The `service` of its logs and metrics. */
  readonly serviceName: string;
  readonly metricsNamespace: string;
  /** Which item attributes hold the DMS header columns (as the forwarder reads them). */
  readonly origin: OriginOptions;
  /** Time kept in reserve before the Lambda timeout for answering. */
  readonly safetyMarginMs: number;
}

const MIB = 1_048_576;

export function loadRedriverConfig(env: Env): RedriverConfig {
  const maxRecordBytes = readInt(env, 'MAX_RECORD_SIZE_BYTES', MIB, { min: 1024, max: 10 * MIB });
  const observability = loadObservabilityConfig(env, 'redriver');
  return {
    queueUrl: readString(env, 'DEAD_LETTER_QUEUE_URL'),
    streamName: readString(env, 'KINESIS_STREAM_NAME'),
    maxRecordBytes,
    maxRequestBytes: maxRecordBytes > MIB ? 10 * MIB : 5 * MIB,
    publishMaxAttempts: readInt(env, 'PUBLISH_MAX_ATTEMPTS', 6, { min: 1, max: 50 }),
    eventBusName: readString(env, 'EVENT_BUS_NAME', 'default'),
    logLevel: observability.logLevel,
    serviceName: observability.serviceName,
    metricsNamespace: observability.metricsNamespace,
    origin: loadOriginOptions(env),
    safetyMarginMs: 5_000,
  };
}
