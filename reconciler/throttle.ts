/**
 * Per-call retry of throttled AWS calls (exponential backoff with full jitter), wrapped
 * around the ports. Throttling is about call rate, not state, so the call itself is
 * repeated; other transient failures (ResourceInUse, conflicts) go back to the operator,
 * which observes again. The SDK's own retries come on top in production.
 */
import { AwsCallError, ErrorKind } from './errors';
import type { Clock } from './ports';

const THROTTLING = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException', 'RequestLimitExceeded', 'ProvisionedThroughputExceededException']);

export interface ThrottleRetryOptions {
  maxAttempts?: number;
  baseMs?: number;
  maxMs?: number;
  random?: () => number;
}

export function isThrottling(error: unknown): boolean {
  return error instanceof AwsCallError && error.kind === ErrorKind.Retryable && THROTTLING.has(error.code);
}

/** Returns a copy of `port` whose methods retry throttled calls. */
export function retryThrottled<T extends object>(port: T, clock: Clock, options: ThrottleRetryOptions = {}): T {
  const maxAttempts = options.maxAttempts ?? 10;
  const baseMs = options.baseMs ?? 100;
  const maxMs = options.maxMs ?? 5_000;
  const random = options.random ?? Math.random;
  const wrapped: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(port)) {
    if (typeof value !== 'function') {
      wrapped[name] = value;
      continue;
    }
    wrapped[name] = async (...args: unknown[]) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(port, args);
        } catch (error) {
          if (!isThrottling(error) || attempt >= maxAttempts) throw error;
          await clock.sleep(random() * Math.min(maxMs, baseMs * 2 ** attempt));
        }
      }
    };
  }
  return wrapped as T;
}
