/**
 * `--invoke` against a Lambda that throttles the way AWS does: a synchronous Invoke with no
 * free concurrency fails at once with 429 TooManyRequestsException (with a Reason and
 * sometimes retryAfterSeconds), and Lambda never retries a synchronous call itself
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-sync.html,
 * https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html).
 */
import { InvokeCommand, ResourceNotFoundException, TooManyRequestsException, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { invokeWithRetry, retryDelayMs, ThrottledInvokeError, type InvokeRetryOptions } from '../../../cli/invoke';

/** Throttles the first `throttles` calls like Lambda, then answers with `body`. */
class ThrottlingLambda {
  readonly calls: InvokeCommand[] = [];
  constructor(
    private readonly throttles: number,
    private readonly reason = 'ReservedFunctionConcurrentInvocationLimitExceeded',
    private readonly retryAfterSeconds?: string,
  ) {}
  async send(command: InvokeCommand): Promise<InvokeCommandOutput> {
    this.calls.push(command);
    if (this.calls.length <= this.throttles) {
      throw new TooManyRequestsException({
        message: 'Rate Exceeded.',
        $metadata: { httpStatusCode: 429 },
        Reason: this.reason as 'ReservedFunctionConcurrentInvocationLimitExceeded',
        ...(this.retryAfterSeconds ? { retryAfterSeconds: this.retryAfterSeconds } : {}),
      });
    }
    return { $metadata: { httpStatusCode: 200 }, StatusCode: 200, Payload: new TextEncoder().encode('{"status":"ok"}') as InvokeCommandOutput['Payload'] };
  }
}

function options(overrides: Partial<InvokeRetryOptions> = {}) {
  const sleeps: number[] = [];
  const notices: string[] = [];
  const retry: InvokeRetryOptions = {
    attempts: 6,
    baseDelayMs: 1_000,
    maxDelayMs: 20_000,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    onRetry: (notice) => notices.push(notice),
    ...overrides,
  };
  return { retry, sleeps, notices };
}

const request = { functionName: 'dms-event-bus-reconciler', payload: { action: 'sweep' } };

describe('invokeWithRetry', () => {
  it('retries a throttled synchronous invoke with growing waits until it runs', async () => {
    // Prepare
    const lambda = new ThrottlingLambda(3);
    const { retry, sleeps, notices } = options();
    // Act
    const response = await invokeWithRetry(lambda, request, retry);
    // Assess
    expect(new TextDecoder().decode(response.Payload)).toBe('{"status":"ok"}');
    expect(lambda.calls).toHaveLength(4);
    expect(lambda.calls.every((call) => call.input.InvocationType === undefined && call.input.FunctionName === request.functionName)).toBe(true);
    expect(sleeps).toEqual([750, 1_500, 3_000]);
    expect(notices[0]).toMatch(/dms-event-bus-reconciler is throttled \(429 ReservedFunctionConcurrentInvocationLimitExceeded\); retrying in 0\.8 s \(attempt 2 of 6\)/);
  });

  it('gives up after the last attempt and says what happened, what it means and what to do', async () => {
    // Prepare
    const lambda = new ThrottlingLambda(100, 'ConcurrentInvocationLimitExceeded');
    const { retry, sleeps } = options();
    // Act
    const failure = await invokeWithRetry(lambda, request, retry).catch((error: unknown) => error);
    // Assess
    expect(failure).toBeInstanceOf(ThrottledInvokeError);
    expect(lambda.calls).toHaveLength(6);
    expect(sleeps).toHaveLength(5);
    expect((failure as Error).message).toBe(
      `dms-event-bus-reconciler was throttled on all 6 attempts over ${Math.round(sleeps.reduce((a, b) => a + b, 0) / 1_000)} s ` +
        "(429 TooManyRequestsException, ConcurrentInvocationLimitExceeded): the account's concurrency is taken by other invocations " +
        '(new accounts often have a quota of 10). Nothing ran. Try again later, or run the command without --invoke (in-process).',
    );
    expect((failure as Error).cause).toBeInstanceOf(TooManyRequestsException);
  });

  it('names a reservation when the reserved concurrency is what throttles', async () => {
    // Act
    const failure = await invokeWithRetry(new ThrottlingLambda(100), request, options({ attempts: 2 }).retry).catch((error: unknown) => error);
    // Assess
    expect((failure as Error).message).toMatch(/its reserved concurrency is taken by other invocations/);
  });

  it('waits at least the retryAfterSeconds Lambda asks for', async () => {
    // Prepare
    const { retry, sleeps } = options();
    // Act
    await invokeWithRetry(new ThrottlingLambda(1, 'ConcurrentInvocationLimitExceeded', '7'), request, retry);
    // Assess
    expect(sleeps).toEqual([7_000]);
  });

  it('does not retry other errors', async () => {
    // Prepare
    const calls: unknown[] = [];
    const lambda = {
      send: async (command: InvokeCommand): Promise<InvokeCommandOutput> => {
        calls.push(command);
        throw new ResourceNotFoundException({ message: 'Function not found', $metadata: { httpStatusCode: 404 } });
      },
    };
    // Act & Assess
    await expect(invokeWithRetry(lambda, request, options().retry)).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect(calls).toHaveLength(1);
  });
});

describe('retryDelayMs', () => {
  it('grows exponentially with jitter and stays under the cap', () => {
    // Prepare
    const limits = { baseDelayMs: 1_000, maxDelayMs: 20_000 };
    const none = { reason: undefined, retryAfterSeconds: undefined };
    // Act
    const lowest = [1, 2, 3, 4, 5, 6].map((attempt) => retryDelayMs(attempt, none, { ...limits, random: () => 0 }));
    const highest = [1, 2, 3, 4, 5, 6].map((attempt) => retryDelayMs(attempt, none, { ...limits, random: () => 0.999999 }));
    // Assess
    expect(lowest).toEqual([500, 1_000, 2_000, 4_000, 8_000, 10_000]);
    expect(highest).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 20_000]);
  });
});
