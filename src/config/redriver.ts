/**
 * The redriver's configuration (the function on the forwarder's dead-letter queue), read
 * once per container from its environment.
 */
import { parseLogLevel, type LogLevel } from '../observability/logger';
import { readInt, readOptionalString, readString, type Env } from './env';

/** Every environment variable the redriver reads (the template check compares against it). */
export const REDRIVER_ENV = ['DEAD_LETTER_QUEUE_URL', 'KINESIS_STREAM_NAME', 'MAX_RECORD_SIZE_BYTES', 'PUBLISH_MAX_ATTEMPTS', 'EVENT_BUS_NAME', 'LOG_LEVEL', 'METRICS_NAMESPACE'] as const;

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
  readonly metricsNamespace: string | undefined;
  /** Time kept in reserve before the Lambda timeout for answering. */
  readonly safetyMarginMs: number;
}

const MIB = 1_048_576;

export function loadRedriverConfig(env: Env): RedriverConfig {
  const maxRecordBytes = readInt(env, 'MAX_RECORD_SIZE_BYTES', MIB, { min: 1024, max: 10 * MIB });
  return {
    queueUrl: readString(env, 'DEAD_LETTER_QUEUE_URL'),
    streamName: readString(env, 'KINESIS_STREAM_NAME'),
    maxRecordBytes,
    maxRequestBytes: maxRecordBytes > MIB ? 10 * MIB : 5 * MIB,
    publishMaxAttempts: readInt(env, 'PUBLISH_MAX_ATTEMPTS', 6, { min: 1, max: 50 }),
    eventBusName: readString(env, 'EVENT_BUS_NAME', 'default'),
    logLevel: parseLogLevel(readOptionalString(env, 'LOG_LEVEL')),
    metricsNamespace: readOptionalString(env, 'METRICS_NAMESPACE'),
    safetyMarginMs: 5_000,
  };
}
