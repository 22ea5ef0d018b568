/**
 * Configuration of the reconciler, read once per container from the environment.
 * Every variable it reads is listed in {@link RECONCILER_ENV} (the template and the
 * local run declare exactly these).
 */
import { ConfigurationError } from '../errors';
import type { LogLevel } from '../observability/logger';
import { readBoolean, readEnum, readInt, readList, readNumber, readOptionalString, readString, type Env } from './env';
import { loadObservabilityConfig, OBSERVABILITY_ENV } from './observability';

export const CapacityMode = { Autoscale: 'autoscale', OnDemand: 'on-demand', Off: 'off' } as const;
export type CapacityMode = (typeof CapacityMode)[keyof typeof CapacityMode];

export const StreamConflictPolicy = { Report: 'report', Replace: 'replace' } as const;
export type StreamConflictPolicy = (typeof StreamConflictPolicy)[keyof typeof StreamConflictPolicy];

/** Names of every environment variable {@link loadReconcilerConfig} reads. */
export const RECONCILER_ENV = [
  'FORWARDER_FUNCTION_ARN',
  'FORWARDER_DLQ_ARN',
  'TABLE_INCLUDE_PATTERNS',
  'TABLE_EXCLUDE_PATTERNS',
  'CREATOR_ROLE_PATTERN',
  'CAPACITY_MODE',
  'SCALING_MIN_CAPACITY',
  'SCALING_MAX_CAPACITY',
  'SCALING_TARGET_UTILIZATION',
  'ESM_BATCH_SIZE',
  'ESM_BATCHING_WINDOW_SECONDS',
  'ESM_PARALLELIZATION_FACTOR',
  'ESM_MAX_RETRY_ATTEMPTS',
  'ESM_MAX_RECORD_AGE_SECONDS',
  'ESM_BISECT_ON_ERROR',
  'STREAM_CONFLICT_POLICY',
  'EVENT_BUS_NAME',
  'BACKFILL_ENABLED',
  'BACKFILL_STATE_TABLE',
  'SWEEP_CONCURRENCY',
  'SWEEP_TIME_RESERVE_SECONDS',
  ...OBSERVABILITY_ENV,
] as const;

export interface MappingSettings {
  batchSize: number;
  batchingWindowSeconds: number;
  parallelizationFactor: number;
  maxRetryAttempts: number;
  maxRecordAgeSeconds: number;
  bisectOnError: boolean;
  /** On-failure destination (the forwarder's DLQ); undefined = none. */
  onFailureDestination?: string;
}

export interface ReconcilerConfig {
  forwarderFunctionArn: string;
  /** Account and region parsed from the forwarder ARN (the function's own). */
  account: string;
  region: string;
  partition: string;
  include: string[];
  exclude: string[];
  creatorRolePattern?: string;
  capacity: { mode: CapacityMode; minCapacity: number; maxCapacity: number; targetUtilization: number };
  mapping: MappingSettings;
  streamConflictPolicy: StreamConflictPolicy;
  eventBusName: string;
  backfillEnabled: boolean;
  sweepConcurrency: number;
  /** Seconds before the function's timeout at which a sweep stops taking new tables. */
  sweepTimeReserveSeconds: number;
  logLevel: LogLevel;
  /** The `service` of its logs and metrics. */
  serviceName: string;
  /** CloudWatch namespace of the EMF metrics. */
  metricsNamespace: string;
}

/**
 * The project's own tables (the backfill state table) are never managed, whatever the
 * include patterns say: with the default include "*" the reconciler would otherwise put a
 * stream and the forwarder on its own bookkeeping.
 */
function withOwnTablesExcluded(exclude: string[], env: Env): string[] {
  const stateTable = readOptionalString(env, 'BACKFILL_STATE_TABLE');
  // Table names hold no glob characters, so the name is a pattern matching only itself.
  return stateTable === undefined ? exclude : [...exclude, stateTable];
}

const FUNCTION_ARN = /^arn:(aws[a-z-]*):lambda:([a-z0-9-]+):(\d{12}):function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?$/;

export function loadReconcilerConfig(env: Env): ReconcilerConfig {
  const forwarderFunctionArn = readString(env, 'FORWARDER_FUNCTION_ARN');
  const arnMatch = FUNCTION_ARN.exec(forwarderFunctionArn);
  if (!arnMatch) {
    throw new ConfigurationError(`FORWARDER_FUNCTION_ARN must be a Lambda function ARN, got "${forwarderFunctionArn}"`);
  }
  const minCapacity = readInt(env, 'SCALING_MIN_CAPACITY', 5, { min: 1, max: 40_000 });
  const maxCapacity = readInt(env, 'SCALING_MAX_CAPACITY', 1_000, { min: 1, max: 40_000 });
  if (maxCapacity < minCapacity) {
    throw new ConfigurationError(`SCALING_MAX_CAPACITY (${maxCapacity}) must be >= SCALING_MIN_CAPACITY (${minCapacity})`);
  }
  const maxRecordAgeSeconds = readInt(env, 'ESM_MAX_RECORD_AGE_SECONDS', -1, { min: -1, max: 604_800 });
  if (maxRecordAgeSeconds >= 0 && maxRecordAgeSeconds < 60) {
    throw new ConfigurationError(`ESM_MAX_RECORD_AGE_SECONDS must be -1 or 60..604800, got ${maxRecordAgeSeconds}`);
  }
  const creatorRolePattern = readOptionalString(env, 'CREATOR_ROLE_PATTERN');
  const onFailureDestination = readOptionalString(env, 'FORWARDER_DLQ_ARN');
  return {
    forwarderFunctionArn,
    partition: arnMatch[1]!,
    region: arnMatch[2]!,
    account: arnMatch[3]!,
    include: readList(env, 'TABLE_INCLUDE_PATTERNS', ['*']),
    exclude: withOwnTablesExcluded(readList(env, 'TABLE_EXCLUDE_PATTERNS', ['awsdms_*']), env),
    ...(creatorRolePattern === undefined ? {} : { creatorRolePattern }),
    capacity: {
      mode: readEnum(env, 'CAPACITY_MODE', Object.values(CapacityMode), CapacityMode.Autoscale),
      minCapacity,
      maxCapacity,
      targetUtilization: readNumber(env, 'SCALING_TARGET_UTILIZATION', 70, { min: 20, max: 90 }),
    },
    mapping: {
      batchSize: readInt(env, 'ESM_BATCH_SIZE', 100, { min: 1, max: 10_000 }),
      batchingWindowSeconds: readInt(env, 'ESM_BATCHING_WINDOW_SECONDS', 0, { min: 0, max: 300 }),
      parallelizationFactor: readInt(env, 'ESM_PARALLELIZATION_FACTOR', 1, { min: 1, max: 10 }),
      maxRetryAttempts: readInt(env, 'ESM_MAX_RETRY_ATTEMPTS', -1, { min: -1, max: 10_000 }),
      maxRecordAgeSeconds,
      bisectOnError: readBoolean(env, 'ESM_BISECT_ON_ERROR', false),
      ...(onFailureDestination === undefined ? {} : { onFailureDestination }),
    },
    streamConflictPolicy: readEnum(env, 'STREAM_CONFLICT_POLICY', Object.values(StreamConflictPolicy), StreamConflictPolicy.Report),
    eventBusName: readString(env, 'EVENT_BUS_NAME', 'default'),
    backfillEnabled: readBoolean(env, 'BACKFILL_ENABLED', true),
    sweepConcurrency: readInt(env, 'SWEEP_CONCURRENCY', 4, { min: 1, max: 32 }),
    sweepTimeReserveSeconds: readInt(env, 'SWEEP_TIME_RESERVE_SECONDS', 20, { min: 1, max: 600 }),
    ...loadObservabilityConfig(env, 'reconciler'),
  };
}
