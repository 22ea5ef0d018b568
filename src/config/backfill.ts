/**
 * Configuration of the snapshot function, which runs backfills: the scan of rows a table
 * held before its stream existed, published as `snapshot` change events. Read once per
 * container from the environment; every reader names the variable in its error. What the
 * reconciler needs to start runs is in ./backfill-starter.ts.
 */
import { ConfigurationError } from '../errors';
import { readInt, readNumber, readOptionalString, readString, type Env } from './env';

/** The environment variable names the backfill reads (the template sets them). */
export const BACKFILL_ENV = {
  /** Name of the DynamoDB table that keeps backfill progress (required). */
  stateTable: 'BACKFILL_STATE_TABLE',
  /** Fraction of a provisioned table's read capacity the scan may use (default 0.25). */
  readCapacityFraction: 'BACKFILL_READ_CAPACITY_FRACTION',
  /** Read capacity units per second the scan may use on an on-demand table (default 100). */
  onDemandMaxRcu: 'BACKFILL_ON_DEMAND_MAX_RCU',
  /** Scan `Limit` (items per page, default 500, 1..1000). */
  pageLimit: 'BACKFILL_PAGE_LIMIT',
  /** Milliseconds before the Lambda deadline at which an invocation stops and hands over (default 20000). */
  stopMarginMs: 'BACKFILL_STOP_MARGIN_MS',
  /** Consecutive failed attempts of one segment before the backfill is marked failed (default 5). */
  maxSegmentAttempts: 'BACKFILL_MAX_SEGMENT_ATTEMPTS',
  /** Kinesis stream the snapshot events go to (required; shared with the forwarder). */
  kinesisStreamName: 'KINESIS_STREAM_NAME',
  /** Largest Kinesis record the publisher may write (shared with the forwarder, default 1 MiB). */
  maxRecordSizeBytes: 'MAX_RECORD_SIZE_BYTES',
  /** Set by Lambda: the function continues a run by invoking itself under this name. */
  lambdaFunctionName: 'AWS_LAMBDA_FUNCTION_NAME',
  /** Set by Lambda; written into the events' `source.region`. */
  region: 'AWS_REGION',
} as const;

/** Defaults, exported so docs and tests quote the same numbers. */
export const BACKFILL_DEFAULTS = {
  readCapacityFraction: 0.25,
  onDemandMaxRcu: 100,
  pageLimit: 500,
  stopMarginMs: 20_000,
  maxSegmentAttempts: 5,
  maxRecordSizeBytes: 1_048_576,
} as const;

export interface BackfillConfig {
  readonly stateTable: string;
  readonly readCapacityFraction: number;
  readonly onDemandMaxRcu: number;
  readonly pageLimit: number;
  readonly stopMarginMs: number;
  readonly maxSegmentAttempts: number;
  readonly kinesisStreamName: string;
  readonly maxRecordSizeBytes: number;
  readonly region: string;
  /** The running function's own name (AWS_LAMBDA_FUNCTION_NAME); undefined outside Lambda. */
  readonly lambdaFunctionName: string | undefined;
}

/** Reads and validates the backfill configuration; throws ConfigurationError naming the bad variable. */
export function loadBackfillConfig(env: Env): BackfillConfig {
  const readCapacityFraction = readNumber(env, BACKFILL_ENV.readCapacityFraction, BACKFILL_DEFAULTS.readCapacityFraction, {
    max: 1,
  });
  if (readCapacityFraction <= 0) {
    throw new ConfigurationError(`${BACKFILL_ENV.readCapacityFraction} must be > 0 and <= 1, got ${readCapacityFraction}`);
  }
  const onDemandMaxRcu = readNumber(env, BACKFILL_ENV.onDemandMaxRcu, BACKFILL_DEFAULTS.onDemandMaxRcu);
  if (onDemandMaxRcu <= 0) {
    throw new ConfigurationError(`${BACKFILL_ENV.onDemandMaxRcu} must be > 0, got ${onDemandMaxRcu}`);
  }
  return {
    stateTable: readString(env, BACKFILL_ENV.stateTable),
    readCapacityFraction,
    onDemandMaxRcu,
    pageLimit: readInt(env, BACKFILL_ENV.pageLimit, BACKFILL_DEFAULTS.pageLimit, { min: 1, max: 1000 }),
    stopMarginMs: readInt(env, BACKFILL_ENV.stopMarginMs, BACKFILL_DEFAULTS.stopMarginMs, { min: 0, max: 600_000 }),
    maxSegmentAttempts: readInt(env, BACKFILL_ENV.maxSegmentAttempts, BACKFILL_DEFAULTS.maxSegmentAttempts, { min: 1, max: 100 }),
    kinesisStreamName: readString(env, BACKFILL_ENV.kinesisStreamName),
    maxRecordSizeBytes: readInt(env, BACKFILL_ENV.maxRecordSizeBytes, BACKFILL_DEFAULTS.maxRecordSizeBytes, {
      min: 1024,
      max: 10 * 1_048_576,
    }),
    region: readString(env, BACKFILL_ENV.region, 'us-east-1'),
    lambdaFunctionName: readOptionalString(env, BACKFILL_ENV.lambdaFunctionName),
  };
}
