/**
 * Pure read-capacity budget of a backfill: how many read capacity units per second the
 * scan may consume, and the pause that keeps it there, given the ConsumedCapacity each
 * Scan page reports (ReturnConsumedCapacity TOTAL). All segments of one invocation share
 * one token bucket, so adding segments adds parallelism, not load.
 */

/** What DescribeTable says about the table's read capacity. */
export interface TableReadCapacity {
  readonly billingMode: 'PROVISIONED' | 'PAY_PER_REQUEST';
  /**
   * Provisioned read capacity units when the run started (the run keeps the budget derived from
   * it: run-budget.ts). Not the maximum of an auto-scaled table: the scan must not push auto
   * scaling upwards on its own.
   */
  readonly readCapacityUnits: number;
  /** On-demand maximum read request units per second, when the table sets one. */
  readonly maxReadRequestUnits?: number;
}

export interface BudgetSettings {
  /** Fraction (0, 1] of the table's capacity the scan may use. */
  readonly fraction: number;
  /** RCU/s ceiling on on-demand tables, which have no capacity to take a fraction of. */
  readonly onDemandMaxRcu: number;
}

/** Below this the scan would crawl: a single 1 MB page (256 RCU, strongly consistent) would take minutes. */
export const MIN_BUDGET_RCU = 1;

/**
 * Read capacity units per second the scan may consume.
 * - provisioned: `fraction` x current provisioned RCU;
 * - on-demand: `onDemandMaxRcu`, but never above `fraction` of the table's own
 *   MaxReadRequestUnits when the table caps itself (else the scan would be throttled by it).
 * Never below MIN_BUDGET_RCU.
 */
export function readBudgetRcu(capacity: TableReadCapacity, settings: BudgetSettings): number {
  let budget: number;
  if (capacity.billingMode === 'PAY_PER_REQUEST') {
    budget = settings.onDemandMaxRcu;
    const cap = capacity.maxReadRequestUnits;
    if (cap !== undefined && cap > 0) budget = Math.min(budget, cap * settings.fraction);
  } else {
    budget = capacity.readCapacityUnits * settings.fraction;
  }
  return Math.max(MIN_BUDGET_RCU, Number.isFinite(budget) ? budget : MIN_BUDGET_RCU);
}

/** A token bucket in RCU: refills at `rate` per second up to `capacity` (one second of burst). */
export interface TokenBucket {
  readonly rate: number;
  readonly capacity: number;
  readonly tokens: number;
  /** Epoch ms of the last refill. */
  readonly at: number;
}

export function createBucket(rate: number, now: number): TokenBucket {
  if (!(rate > 0)) throw new RangeError(`rate must be > 0, got ${rate}`);
  return { rate, capacity: rate, tokens: rate, at: now };
}

function refill(bucket: TokenBucket, now: number): TokenBucket {
  const elapsed = Math.max(0, now - bucket.at) / 1000;
  return { ...bucket, tokens: Math.min(bucket.capacity, bucket.tokens + elapsed * bucket.rate), at: Math.max(now, bucket.at) };
}

/**
 * Debits the capacity a page consumed and returns how long the caller must pause before
 * its next page so that consumption averages at most `rate` RCU/s. Debt may go below
 * zero: a page's cost is known only after it was read.
 */
export function consume(bucket: TokenBucket, consumed: number, now: number): { bucket: TokenBucket; waitMs: number } {
  const refilled = refill(bucket, now);
  const tokens = refilled.tokens - Math.max(0, consumed);
  const waitMs = tokens < 0 ? Math.ceil((-tokens / refilled.rate) * 1000) : 0;
  return { bucket: { ...refilled, tokens }, waitMs };
}

/** After a throttling error: halve the rate (not below MIN_BUDGET_RCU) for the rest of the invocation. */
export function slowDown(bucket: TokenBucket, now: number): TokenBucket {
  const refilled = refill(bucket, now);
  const rate = Math.max(MIN_BUDGET_RCU, refilled.rate / 2);
  return { ...refilled, rate, capacity: rate, tokens: Math.min(refilled.tokens, rate) };
}

export const BACKOFF = { baseMs: 200, maxMs: 20_000 } as const;

/**
 * Pause before retrying a throttled page: exponential backoff with full jitter
 * (random in [0, min(max, base * 2^attempt)]), the scheme AWS recommends so parallel
 * segments do not retry in lockstep. `attempt` starts at 0; `random` is in [0, 1).
 */
export function throttleBackoffMs(attempt: number, random: number, limits: { baseMs: number; maxMs: number } = BACKOFF): number {
  const ceiling = Math.min(limits.maxMs, limits.baseMs * 2 ** Math.max(0, attempt));
  return Math.floor(Math.min(Math.max(random, 0), 1) * ceiling);
}

/**
 * Read capacity a page used when the response did not report it: a strongly consistent
 * Scan (what the backfill does) costs 1 RCU per started 4 KB of data read.
 */
export function estimateScanRcu(bytesRead: number): number {
  return Math.max(1, Math.ceil(Math.max(0, bytesRead) / 4096));
}
