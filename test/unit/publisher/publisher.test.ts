import fc from 'fast-check';
import { createPublisher, PublishOutcome, type PublisherOptions, type PublishRecord } from '../../../src/publisher';
import { fakeKinesis, indexOf, records, type Step } from '../../fixtures/forwarder/fake-kinesis';

/** Deterministic time: sleep advances the clock; every delay is recorded. */
function fakeTime(start = 1_000_000) {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    advance: (ms: number) => (now += ms),
  };
}

function publisherWith(script: Step[], options: Partial<PublisherOptions> = {}) {
  const kinesis = fakeKinesis(script);
  const time = fakeTime();
  const publisher = createPublisher({ port: kinesis, now: time.now, sleep: time.sleep, random: () => 1, ...options });
  return { kinesis, time, publisher };
}

describe('createPublisher', () => {
  it('writes everything in input order when nothing fails', async () => {
    // Prepare
    const { kinesis, publisher } = publisherWith([]);
    const input = records(['a', 'b', 'c']);
    // Act
    const result = await publisher.publish(input);
    // Assess
    expect(result).toMatchObject({ outcome: PublishOutcome.Complete, written: 3, total: 3, requests: 1, retries: 0 });
    expect(kinesis.stream.map(indexOf)).toEqual([0, 1, 2]);
  });

  it('retries a failed entry and holds back the later records of its key until it is written', async () => {
    // Prepare: a1 fails in the first request; b1 succeeds
    const { kinesis, publisher, time } = publisherWith([{ kind: 'entries', fail: [true, false] }]);
    const input = records(['a', 'b', 'a', 'b']);
    // Act
    const result = await publisher.publish(input);
    // Assess
    expect(result).toMatchObject({ outcome: PublishOutcome.Complete, written: 4, retries: 1 });
    expect(kinesis.calls.map((call) => call.map(indexOf))).toEqual([[0, 1], [0, 3], [2]]);
    expect(kinesis.stream.map(indexOf)).toEqual([1, 0, 3, 2]);
    expect(time.sleeps).toEqual([50]);
    expect(result.errors).toEqual({ ProvisionedThroughputExceededException: 1 });
  });

  it('retries a throttled whole request with exponential backoff and full jitter', async () => {
    // Prepare
    const random = jest.fn().mockReturnValueOnce(0.5).mockReturnValueOnce(0.25).mockReturnValueOnce(1);
    const { kinesis, publisher, time } = publisherWith(
      [{ kind: 'request-error' }, { kind: 'request-error' }, { kind: 'request-error' }],
      { random, baseDelayMs: 100, maxDelayMs: 300 },
    );
    // Act
    const result = await publisher.publish(records(['a']));
    // Assess: 0.5*100, 0.25*200, 1*min(300, 400)
    expect(time.sleeps).toEqual([50, 50, 300]);
    expect(result).toMatchObject({ outcome: PublishOutcome.Complete, written: 1, requests: 4, retries: 3 });
    expect(kinesis.stream.map(indexOf)).toEqual([0]);
  });

  it('gives up after maxAttempts sends of a record and reports the written prefix', async () => {
    // Prepare: b fails every time (alone in the retries)
    const { kinesis, publisher } = publisherWith(
      [{ kind: 'entries', fail: [false, true, false, false] }, { kind: 'entries', fail: [true] }, { kind: 'entries', fail: [true] }],
      { maxAttempts: 3 },
    );
    const input = records(['a', 'b', 'c', 'd']);
    // Act
    const result = await publisher.publish(input);
    // Assess
    expect(result.outcome).toBe(PublishOutcome.AttemptsExhausted);
    expect(result.written).toBe(1);
    expect(kinesis.calls.filter((call) => call.some((record) => indexOf(record) === 1))).toHaveLength(3);
    expect(result.lastError?.code).toBe('ProvisionedThroughputExceededException');
  });

  it('stops at once on an error retrying cannot fix', async () => {
    // Prepare
    const { kinesis, publisher } = publisherWith([{ kind: 'request-error', retryable: false, code: 'ResourceNotFoundException' }]);
    // Act
    const result = await publisher.publish(records(['a', 'b']));
    // Assess
    expect(result).toMatchObject({ outcome: PublishOutcome.Fatal, written: 0, lastError: { code: 'ResourceNotFoundException' } });
    expect(kinesis.calls).toHaveLength(1);
  });

  it('stops when the backoff would pass the deadline', async () => {
    // Prepare
    const { publisher, time } = publisherWith(Array(10).fill({ kind: 'request-error' }), { baseDelayMs: 1_000, maxDelayMs: 1_000 });
    // Act
    const result = await publisher.publish(records(['a']), { deadline: time.now() + 2_500 });
    // Assess: 1,000 + 1,000 slept, the third would end at 3,000 > 2,500
    expect(result.outcome).toBe(PublishOutcome.Deadline);
    expect(time.sleeps).toEqual([1_000, 1_000]);
    expect(result.written).toBe(0);
  });

  it('sends nothing once the deadline has passed', async () => {
    // Prepare
    const { kinesis, publisher, time } = publisherWith([]);
    // Act
    const result = await publisher.publish(records(['a']), { deadline: time.now() });
    // Assess
    expect(result).toMatchObject({ outcome: PublishOutcome.Deadline, written: 0, requests: 0 });
    expect(kinesis.calls).toHaveLength(0);
  });

  it('sends no further request of a wave once the deadline has passed', async () => {
    // Prepare: one entry per request, one request at a time; the first request takes 2 s
    const time = fakeTime();
    const kinesis = fakeKinesis();
    const slow = { putRecords: async (entries: readonly PublishRecord[]) => { time.advance(2_000); return kinesis.putRecords(entries); } };
    const publisher = createPublisher({ port: slow, limits: { maxEntriesPerRequest: 1 }, maxConcurrentRequests: 1, now: time.now, sleep: time.sleep });
    // Act
    const result = await publisher.publish(records(['a', 'b', 'c']), { deadline: time.now() + 1_000 });
    // Assess
    expect(result).toMatchObject({ outcome: PublishOutcome.Deadline, written: 1, requests: 1 });
    expect(kinesis.calls).toHaveLength(1);
  });

  it('aborts an in-flight request at the deadline', async () => {
    // Prepare: a port that only answers when aborted
    let seenSignal: AbortSignal | undefined;
    const publisher = createPublisher({
      port: {
        putRecords: (_entries, signal) =>
          new Promise((_resolve, reject) => {
            seenSignal = signal;
            signal?.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })));
          }),
      },
      maxAttempts: 5,
    });
    // Act
    const result = await publisher.publish(records(['a']), { deadline: Date.now() + 50 });
    // Assess
    expect(seenSignal?.aborted).toBe(true);
    expect(result.outcome).toBe(PublishOutcome.Deadline);
    expect(result.written).toBe(0);
  });

  it('publishes the records before one that exceeds the maximum record size, and stops there', async () => {
    // Prepare
    const { kinesis, publisher } = publisherWith([], { limits: { maxRecordBytes: 100 } });
    const input: PublishRecord[] = [...records(['a', 'b']), { partitionKey: 'c', data: new Uint8Array(200) }, ...records(['d'])];
    // Act
    const result = await publisher.publish(input);
    // Assess
    expect(result).toMatchObject({ outcome: PublishOutcome.RecordTooLarge, written: 2 });
    expect(kinesis.stream).toHaveLength(2);
  });

  it('treats a result count that does not match the request as a failed request', async () => {
    // Prepare
    let calls = 0;
    const publisher = createPublisher({
      port: { putRecords: async (entries) => (calls++ === 0 ? [] : entries.map(() => ({ ok: true as const }))) },
      sleep: async () => undefined,
    });
    // Act
    const result = await publisher.publish(records(['a', 'b']));
    // Assess
    expect(result).toMatchObject({ outcome: PublishOutcome.Complete, written: 2, retries: 2, errors: { ResultCountMismatch: 1 } });
  });
});

describe('createPublisher: properties under any failure pattern', () => {
  const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 3, arbitrary: fc.constant<Step>({ kind: 'ok' }) },
    { weight: 3, arbitrary: fc.array(fc.boolean(), { minLength: 1, maxLength: 7 }).map((fail): Step => ({ kind: 'entries', fail })) },
    { weight: 1, arbitrary: fc.constant<Step>({ kind: 'request-error' }) },
    { weight: 1, arbitrary: fc.array(fc.boolean(), { minLength: 1, maxLength: 7 }).map((wrote): Step => ({ kind: 'ambiguous', wrote })) },
  );

  it('keeps per-key order, sends each record at most once per attempt, and writes everything or reports the first unwritten record', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 40 }),
        fc.array(step, { maxLength: 40 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 5 }),
        async (keys, script, maxAttempts, maxEntriesPerRequest) => {
          // Prepare
          const kinesis = fakeKinesis(script);
          const time = fakeTime();
          const publisher = createPublisher({
            port: kinesis,
            maxAttempts,
            limits: { maxEntriesPerRequest },
            now: time.now,
            sleep: time.sleep,
            random: () => 0.5,
          });
          const input = records(keys);
          // Act
          const result = await publisher.publish(input);
          // Assess: never two records of one key in one request (partial failures cannot reorder them)
          for (const call of kinesis.calls) {
            expect(new Set(call.map((record) => record.partitionKey)).size).toBe(call.length);
            expect(call.length).toBeLessThanOrEqual(maxEntriesPerRequest);
          }
          // each record sent at most maxAttempts times
          const sends = new Map<number, number>();
          for (const call of kinesis.calls) for (const record of call) sends.set(indexOf(record), (sends.get(indexOf(record)) ?? 0) + 1);
          for (const count of sends.values()) expect(count).toBeLessThanOrEqual(maxAttempts);
          // per key, the stream never shows a record after a later record of that key
          const lastByKey = new Map<string, number>();
          for (const record of kinesis.stream) {
            const index = indexOf(record);
            expect(index).toBeGreaterThanOrEqual(lastByKey.get(record.partitionKey) ?? -1);
            lastByKey.set(record.partitionKey, index);
          }
          // everything before `written` is on the stream
          const onStream = new Set(kinesis.stream.map(indexOf));
          for (let index = 0; index < result.written; index++) expect(onStream.has(index)).toBe(true);
          // complete means all written; otherwise `written` names an unwritten record
          if (result.outcome === PublishOutcome.Complete) {
            expect(result.written).toBe(input.length);
          } else {
            expect(result.written).toBeLessThan(input.length);
            expect(result.outcome).toBe(PublishOutcome.AttemptsExhausted);
          }
          // a record never lands on the stream without having been sent
          for (const index of onStream) expect(sends.has(index)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
