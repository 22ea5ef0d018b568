/**
 * The synchronous invocation behind `--invoke` (like `aws lambda invoke`), retried while
 * Lambda throttles it. What AWS does: a synchronous Invoke that finds no concurrency free (the
 * account's quota is used up, or the function's reserved concurrency is) fails at once with
 * HTTP 429 TooManyRequestsException and a Reason such as ConcurrentInvocationLimitExceeded or
 * ReservedFunctionConcurrentInvocationLimitExceeded; Lambda retries only asynchronous
 * invocations itself, a synchronous caller must retry.
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-sync.html
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html
 * https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html (Errors: TooManyRequestsException)
 */
import { InvokeCommand, LambdaClient, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { UserFacingError } from './errors';

/** The one call this module makes (a LambdaClient, or a fake in tests). */
export interface InvokeClient {
  send(command: InvokeCommand): Promise<InvokeCommandOutput>;
}

export interface InvokeRetryOptions {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  /** In [0, 1): jitter. */
  readonly random: () => number;
  /** Told before each retry, in a sentence for the user. */
  readonly onRetry?: (notice: string) => void;
}

/** The CLI's defaults: 6 attempts, waits doubling from about 1 s, at most 20 s each (or what Lambda asks for). */
export const INVOKE_RETRY = { attempts: 6, baseDelayMs: 1_000, maxDelayMs: 20_000 } as const;

/** Every attempt was throttled; the message says what happened and what to do. */
export class ThrottledInvokeError extends UserFacingError {
  override readonly name = 'ThrottledInvokeError';
}

interface ThrottleDetails {
  readonly reason: string | undefined;
  readonly retryAfterSeconds: number | undefined;
}

/** The throttle details of `error` if it is Lambda's 429, else undefined. */
export function throttleOf(error: unknown): ThrottleDetails | undefined {
  const candidate = error as { name?: string; $metadata?: { httpStatusCode?: number }; Reason?: string; retryAfterSeconds?: string } | null;
  if (candidate?.name !== 'TooManyRequestsException' && candidate?.$metadata?.httpStatusCode !== 429) return undefined;
  const after = Number(candidate?.retryAfterSeconds);
  return { reason: candidate?.Reason, retryAfterSeconds: Number.isFinite(after) && after > 0 ? after : undefined };
}

/** Wait before retry `attempt` (1-based): exponential with full jitter, at least Lambda's retryAfterSeconds, capped. */
export function retryDelayMs(attempt: number, throttle: ThrottleDetails, options: Pick<InvokeRetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'>): number {
  const exponential = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  const jittered = Math.round(exponential / 2 + (options.random() * exponential) / 2);
  const floor = throttle.retryAfterSeconds === undefined ? 0 : throttle.retryAfterSeconds * 1_000;
  return Math.min(options.maxDelayMs, Math.max(jittered, floor));
}

function giveUpMessage(functionName: string, attempts: number, waitedMs: number, reason: string | undefined): string {
  const cause = reason?.startsWith('Reserved')
    ? 'its reserved concurrency is taken by other invocations'
    : "the account's concurrency is taken by other invocations (new accounts often have a quota of 10)";
  return (
    `${functionName} was throttled on all ${attempts} attempts over ${Math.round(waitedMs / 1_000)} s ` +
    `(429 TooManyRequestsException${reason ? `, ${reason}` : ''}): ${cause}. ` +
    'Nothing ran. Try again later, or run the command without --invoke (in-process).'
  );
}

/**
 * Invokes `functionName` synchronously with `payload`, retrying throttled attempts; any other
 * error is thrown at once (it is not a matter of waiting).
 */
export async function invokeWithRetry(
  client: InvokeClient,
  request: { readonly functionName: string; readonly payload: unknown },
  options: InvokeRetryOptions,
): Promise<InvokeCommandOutput> {
  let waitedMs = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.send(new InvokeCommand({ FunctionName: request.functionName, Payload: Buffer.from(JSON.stringify(request.payload)) }));
    } catch (error) {
      const throttle = throttleOf(error);
      if (throttle === undefined) throw error;
      if (attempt >= options.attempts) throw new ThrottledInvokeError(giveUpMessage(request.functionName, attempt, waitedMs, throttle.reason), { cause: error });
      const delay = retryDelayMs(attempt, throttle, options);
      options.onRetry?.(`${request.functionName} is throttled (429${throttle.reason ? ` ${throttle.reason}` : ''}); retrying in ${(delay / 1_000).toFixed(1)} s (attempt ${attempt + 1} of ${options.attempts})…`);
      await options.sleep(delay);
      waitedMs += delay;
    }
  }
}

/**
 * A Lambda client for synchronous invocations: no SDK retries (invokeWithRetry retries and
 * says so), and a socket timeout longer than the longest function run (15 minutes), since the
 * connection stays silent until the function returns.
 */
export function createSyncInvokeClient(): LambdaClient {
  return new LambdaClient({ maxAttempts: 1, requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000, requestTimeout: 16 * 60_000 }) });
}
