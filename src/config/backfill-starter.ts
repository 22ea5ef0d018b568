/**
 * What the reconciler needs to start backfills: the state table it writes runs to, the
 * number of Scan segments a new run gets, and the snapshot function that runs them. Read
 * once per container from the environment; every reader names the variable in its error.
 */
import { readBoolean, readInt, readOptionalString, readString, type Env } from './env';

/** The environment variable names the starter reads (the template sets them). */
export const BACKFILL_STARTER_ENV = {
  /** Turns the automatic backfill after a stream is enabled on or off (default true). */
  enabled: 'BACKFILL_ENABLED',
  /** Name of the DynamoDB table that keeps backfill progress (required). */
  stateTable: 'BACKFILL_STATE_TABLE',
  /** Parallel Scan segments of a new run (default 4, 1..64). */
  segments: 'BACKFILL_SEGMENTS',
  /** The snapshot function, which runs backfills (required to start one). */
  snapshotFunctionName: 'SNAPSHOT_FUNCTION_NAME',
} as const;

/** Defaults, exported so docs and tests quote the same numbers. */
export const BACKFILL_STARTER_DEFAULTS = {
  enabled: true,
  segments: 4,
  /**
   * A running backfill whose state was not written for this long gets a new invocation from
   * the next start(): longer than Lambda's maximum timeout, so no live invocation is doubted.
   */
  staleAfterMs: 15 * 60_000,
} as const;

export interface BackfillStarterConfig {
  readonly enabled: boolean;
  readonly stateTable: string;
  readonly segments: number;
  readonly staleAfterMs: number;
  /** Undefined when unset: starting a run then fails with a ConfigurationError naming the variable. */
  readonly snapshotFunctionName: string | undefined;
}

/** Reads and validates the starter's configuration; throws ConfigurationError naming the bad variable. */
export function loadBackfillStarterConfig(env: Env): BackfillStarterConfig {
  return {
    enabled: readBoolean(env, BACKFILL_STARTER_ENV.enabled, BACKFILL_STARTER_DEFAULTS.enabled),
    stateTable: readString(env, BACKFILL_STARTER_ENV.stateTable),
    segments: readInt(env, BACKFILL_STARTER_ENV.segments, BACKFILL_STARTER_DEFAULTS.segments, { min: 1, max: 64 }),
    staleAfterMs: BACKFILL_STARTER_DEFAULTS.staleAfterMs,
    snapshotFunctionName: readOptionalString(env, BACKFILL_STARTER_ENV.snapshotFunctionName),
  };
}
