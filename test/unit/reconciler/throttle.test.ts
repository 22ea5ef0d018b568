import { AwsCallError, ErrorKind } from '../../../reconciler/errors';
import { retryThrottled } from '../../../reconciler/throttle';
import { fakeClock } from './fake-aws';

describe('retryThrottled', () => {
  const failing = (errors: AwsCallError[]) => {
    let calls = 0;
    return {
      calls: () => calls,
      port: {
        async read(x: number) {
          calls += 1;
          const error = errors.shift();
          if (error) throw error;
          return x * 2;
        },
      },
    };
  };

  it('repeats a throttled call until it succeeds', async () => {
    // Prepare
    const throttled = new AwsCallError(ErrorKind.Retryable, 'Op', 'ThrottlingException', 'Rate exceeded');
    const { port, calls } = failing([throttled, throttled]);
    // Act
    const result = await retryThrottled(port, fakeClock()).read(21);
    // Assess
    expect(result).toBe(42);
    expect(calls()).toBe(3);
  });

  it.each([
    ['a non-throttling retryable error', new AwsCallError(ErrorKind.Retryable, 'Op', 'ResourceInUseException', 'busy')],
    ['a terminal error', new AwsCallError(ErrorKind.Terminal, 'Op', 'ValidationException', 'bad')],
  ])('passes %s straight through to the operator', async (_name, error) => {
    // Prepare
    const { port, calls } = failing([error]);
    // Act / Assess
    await expect(retryThrottled(port, fakeClock()).read(1)).rejects.toBe(error);
    expect(calls()).toBe(1);
  });

  it('gives up after maxAttempts', async () => {
    // Prepare
    const throttled = () => new AwsCallError(ErrorKind.Retryable, 'Op', 'TooManyRequestsException', 'slow down');
    const { port, calls } = failing([throttled(), throttled(), throttled()]);
    // Act / Assess
    await expect(retryThrottled(port, fakeClock(), { maxAttempts: 2 }).read(1)).rejects.toMatchObject({ code: 'TooManyRequestsException' });
    expect(calls()).toBe(2);
  });
});
