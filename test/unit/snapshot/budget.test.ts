import fc from 'fast-check';
import { consume, createBucket, estimateScanRcu, MIN_BUDGET_RCU, readBudgetRcu, slowDown, throttleBackoffMs } from '../../../snapshot/budget';

describe('readBudgetRcu', () => {
  it.each([
    { case: 'provisioned: fraction of current RCU', capacity: { billingMode: 'PROVISIONED', readCapacityUnits: 400 }, fraction: 0.25, onDemandMaxRcu: 100, expected: 100 },
    { case: 'provisioned (autoscaled, now 40)', capacity: { billingMode: 'PROVISIONED', readCapacityUnits: 40 }, fraction: 0.5, onDemandMaxRcu: 100, expected: 20 },
    { case: 'provisioned tiny: floor', capacity: { billingMode: 'PROVISIONED', readCapacityUnits: 1 }, fraction: 0.25, onDemandMaxRcu: 100, expected: MIN_BUDGET_RCU },
    { case: 'provisioned 0 RCU reported: floor', capacity: { billingMode: 'PROVISIONED', readCapacityUnits: 0 }, fraction: 0.25, onDemandMaxRcu: 100, expected: MIN_BUDGET_RCU },
    { case: 'on-demand: configured ceiling', capacity: { billingMode: 'PAY_PER_REQUEST', readCapacityUnits: 0 }, fraction: 0.25, onDemandMaxRcu: 300, expected: 300 },
    { case: 'on-demand with table max: fraction of it', capacity: { billingMode: 'PAY_PER_REQUEST', readCapacityUnits: 0, maxReadRequestUnits: 400 }, fraction: 0.25, onDemandMaxRcu: 300, expected: 100 },
    { case: 'on-demand with high table max: ceiling', capacity: { billingMode: 'PAY_PER_REQUEST', readCapacityUnits: 0, maxReadRequestUnits: 40_000 }, fraction: 0.25, onDemandMaxRcu: 300, expected: 300 },
    { case: 'on-demand with max -1 (unset)', capacity: { billingMode: 'PAY_PER_REQUEST', readCapacityUnits: 0, maxReadRequestUnits: -1 }, fraction: 0.25, onDemandMaxRcu: 300, expected: 300 },
  ] as const)('$case -> $expected', ({ capacity, fraction, onDemandMaxRcu, expected }) => {
    expect(readBudgetRcu(capacity, { fraction, onDemandMaxRcu })).toBe(expected);
  });
});

describe('token bucket', () => {
  it.each([
    { case: 'within the burst: no pause', rate: 10, consumed: 10, elapsedMs: 0, waitMs: 0 },
    { case: 'beyond the burst: pause for the debt', rate: 10, consumed: 15, elapsedMs: 0, waitMs: 500 },
    { case: 'refilled after a second', rate: 10, consumed: 20, elapsedMs: 1_000, waitMs: 1_000 },
    { case: 'refill never exceeds one second of burst', rate: 10, consumed: 20, elapsedMs: 60_000, waitMs: 1_000 },
    { case: 'a 128 RCU page at 4 RCU/s', rate: 4, consumed: 128, elapsedMs: 0, waitMs: 31_000 },
  ])('$case', ({ rate, consumed, elapsedMs, waitMs }) => {
    // Prepare
    const bucket = createBucket(rate, 0);

    // Act
    const result = consume(bucket, consumed, elapsedMs);

    // Assess
    expect(result.waitMs).toBe(waitMs);
  });

  it('keeps the average consumption at or below the rate when callers honour the pauses (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1, max: 1000, noNaN: true }),
        fc.array(fc.double({ min: 0, max: 500, noNaN: true }), { minLength: 1, maxLength: 50 }),
        (rate, pages) => {
          let bucket = createBucket(rate, 0);
          let now = 0;
          let total = 0;
          for (const consumed of pages) {
            const result = consume(bucket, consumed, now);
            bucket = result.bucket;
            total += consumed;
            now += result.waitMs;
          }
          // By `now` the scan may have used the initial burst plus `rate` per elapsed second.
          expect(total).toBeLessThanOrEqual(rate + (rate * now) / 1000 + 1e-9 * (total + rate));
        },
      ),
    );
  });

  it('slowDown halves the rate but never below the floor', () => {
    // Prepare
    const bucket = createBucket(8, 0);

    // Act
    const slower = slowDown(bucket, 0);
    const floor = [1, 2, 3, 4, 5].reduce((b) => slowDown(b, 0), bucket);

    // Assess
    expect(slower.rate).toBe(4);
    expect(slower.tokens).toBeLessThanOrEqual(4);
    expect(floor.rate).toBe(MIN_BUDGET_RCU);
  });

  it('rejects a non-positive rate', () => {
    expect(() => createBucket(0, 0)).toThrow(RangeError);
  });
});

describe('throttleBackoffMs', () => {
  it.each([
    { attempt: 0, random: 0.999999, expected: 199 },
    { attempt: 3, random: 0.5, expected: 800 },
    { attempt: 20, random: 0.5, expected: 10_000 },
    { attempt: 0, random: 0, expected: 0 },
  ])('attempt $attempt, random $random -> $expected ms', ({ attempt, random, expected }) => {
    expect(throttleBackoffMs(attempt, random)).toBe(expected);
  });

  it('stays within [0, max] (property)', () => {
    fc.assert(
      fc.property(fc.nat({ max: 100 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, random) => {
        const ms = throttleBackoffMs(attempt, random);
        expect(ms).toBeGreaterThanOrEqual(0);
        expect(ms).toBeLessThanOrEqual(20_000);
      }),
    );
  });
});

describe('estimateScanRcu', () => {
  it.each([
    { bytes: 0, expected: 1 },
    { bytes: 4096, expected: 1 },
    { bytes: 4097, expected: 2 },
    { bytes: 1_048_576, expected: 256 },
  ])('$bytes bytes -> $expected RCU', ({ bytes, expected }) => {
    expect(estimateScanRcu(bytes)).toBe(expected);
  });
});
