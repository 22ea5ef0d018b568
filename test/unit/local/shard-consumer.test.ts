import type { DynamoDBStreamEvent } from 'aws-lambda';
import {
  DiscardCondition,
  interpretResponse,
  ShardConsumer,
  type DiscardedBatch,
  type ShardConsumerSettings,
} from '../../../local/poller/shard-consumer';
import { record, records, seqOf } from './poller-fixtures';

const defaults: ShardConsumerSettings = {
  batchSize: 10,
  maximumBatchingWindowMs: 0,
  maximumRetryAttempts: -1,
  maximumRecordAgeSeconds: -1,
  bisectBatchOnFunctionError: false,
  reportBatchItemFailures: true,
};

/** A consumer whose function answers with `respond(batchSeqs, call)`; records every call. */
function harness(settings: Partial<ShardConsumerSettings>, respond: (seqs: string[], call: number) => unknown, clock = { now: 1_700_000_000_000 }) {
  const calls: string[][] = [];
  const discarded: DiscardedBatch[] = [];
  const consumer = new ShardConsumer(
    { ...defaults, ...settings },
    {
      invoke: async (event: DynamoDBStreamEvent) => {
        const seqs = event.Records.map((r) => r.dynamodb!.SequenceNumber!);
        calls.push(seqs);
        const answer = respond(seqs, calls.length);
        if (answer instanceof Error) throw answer;
        return answer;
      },
      discard: async (batch) => {
        discarded.push(batch);
      },
      now: () => clock.now,
    },
  );
  const drain = async (maxSteps = 200) => {
    for (let i = 0; i < maxSteps && consumer.pending > 0; i += 1) await consumer.step();
  };
  return { consumer, calls, discarded, drain, clock };
}

describe('interpretResponse', () => {
  const batch = records(3); // sequence numbers 1001..1003
  it.each([
    ['undefined response', undefined, true, { kind: 'ok' }],
    ['null response', null, true, { kind: 'ok' }],
    ['no batchItemFailures key', {}, true, { kind: 'ok' }],
    ['null batchItemFailures', { batchItemFailures: null }, true, { kind: 'ok' }],
    ['empty list', { batchItemFailures: [] }, true, { kind: 'ok' }],
    ['failures ignored without ReportBatchItemFailures', { batchItemFailures: [{ itemIdentifier: '1002' }] }, false, { kind: 'ok' }],
    ['one failure', { batchItemFailures: [{ itemIdentifier: '1002' }] }, true, { kind: 'partial', failedIndex: 1 }],
    ['lowest of several wins', { batchItemFailures: [{ itemIdentifier: '1003' }, { itemIdentifier: '1002' }] }, true, { kind: 'partial', failedIndex: 1 }],
    ['first record', { batchItemFailures: [{ itemIdentifier: '1001' }] }, true, { kind: 'partial', failedIndex: 0 }],
  ])('%s', (_name, response, report, expected) => {
    // Act
    const outcome = interpretResponse(response, batch, report);
    // Assess
    expect(outcome).toEqual(expected);
  });

  it.each([
    ['empty itemIdentifier', { batchItemFailures: [{ itemIdentifier: '' }] }],
    ['null itemIdentifier', { batchItemFailures: [{ itemIdentifier: null }] }],
    ['wrong key name', { batchItemFailures: [{ itemId: '1002' }] }],
    ['unknown sequence number', { batchItemFailures: [{ itemIdentifier: '999999' }] }],
    ['not a list', { batchItemFailures: 'all' }],
  ])('%s fails the whole batch', (_name, response) => {
    // Act
    const outcome = interpretResponse(response, batch, true);
    // Assess
    expect(outcome.kind).toBe('error');
  });
});

describe('ShardConsumer', () => {
  it('delivers records in sequence order in batches of BatchSize', async () => {
    // Prepare
    const { consumer, calls, drain } = harness({ batchSize: 4 }, () => ({ batchItemFailures: [] }));
    consumer.enqueue(records(10));
    // Act
    await drain();
    // Assess
    expect(calls.map((c) => c.length)).toEqual([4, 4, 2]);
    expect(calls.flat()).toEqual(records(10).map(seqOf));
    expect(consumer.checkpoint).toBe('1010');
  });

  it('checkpoints at the first reported failure and retries from it', async () => {
    // Prepare: the first call reports 1003 and 1005 failed; later calls succeed
    const { consumer, calls, drain } = harness({ batchSize: 5 }, (_seqs, call) =>
      call === 1 ? { batchItemFailures: [{ itemIdentifier: '1005' }, { itemIdentifier: '1003' }] } : {},
    );
    consumer.enqueue(records(5));
    // Act
    await consumer.step();
    // Assess: 1001 and 1002 are checkpointed; 1003.. is retried
    expect(consumer.checkpoint).toBe('1002');
    await drain();
    expect(calls).toEqual([
      ['1001', '1002', '1003', '1004', '1005'],
      ['1003', '1004', '1005'],
    ]);
  });

  it('retries the whole batch when the function throws and keeps order', async () => {
    // Prepare
    const { consumer, calls, drain } = harness({ batchSize: 3 }, (_s, call) => (call < 3 ? new Error('boom') : {}));
    consumer.enqueue(records(3));
    // Act
    await drain();
    // Assess
    expect(calls).toEqual([['1001', '1002', '1003'], ['1001', '1002', '1003'], ['1001', '1002', '1003']]);
    expect(consumer.checkpoint).toBe('1003');
  });

  it('bisects a failing batch down to the poison record without using retries', async () => {
    // Prepare: record 1006 always fails; one retry allowed
    const { consumer, calls, discarded, drain } = harness(
      { batchSize: 8, bisectBatchOnFunctionError: true, maximumRetryAttempts: 1 },
      (seqs) => (seqs.includes('1006') ? new Error('poison') : {}),
    );
    consumer.enqueue(records(8));
    // Act
    await drain();
    // Assess: halves of 8 -> 4 ok, 4 fail -> 2 ok, 2 fail -> 1 fails twice -> discarded, then 1007..1008
    expect(calls).toEqual([
      ['1001', '1002', '1003', '1004', '1005', '1006', '1007', '1008'],
      ['1001', '1002', '1003', '1004'],
      ['1005', '1006', '1007', '1008'],
      ['1005', '1006'],
      ['1005'],
      ['1006'],
      ['1006'],
      ['1007', '1008'],
    ]);
    expect(discarded).toHaveLength(1);
    expect(discarded[0]!.records.map(seqOf)).toEqual(['1006']);
    expect(discarded[0]!.condition).toBe(DiscardCondition.RetryAttemptsExhausted);
    expect(discarded[0]!.invokeCount).toBe(2);
    expect(consumer.checkpoint).toBe('1008');
  });

  it.each([
    [0, 1],
    [2, 3],
  ])('with MaximumRetryAttempts %i it invokes %i times, then sends the batch to on-failure', async (retries, invocations) => {
    // Prepare
    const { consumer, calls, discarded, drain } = harness({ batchSize: 2, maximumRetryAttempts: retries }, () => new Error('down'));
    consumer.enqueue(records(2));
    // Act
    await drain();
    // Assess
    expect(calls).toHaveLength(invocations);
    expect(discarded).toEqual([
      expect.objectContaining({ condition: 'RetryAttemptsExhausted', invokeCount: invocations, lastError: 'Error: down' }),
    ]);
    expect(discarded[0]!.records.map(seqOf)).toEqual(['1001', '1002']);
    expect(consumer.pending).toBe(0);
  });

  it('discards records older than MaximumRecordAgeInSeconds before invoking', async () => {
    // Prepare: two old records (written 120 s ago) then a fresh one; limit 60 s
    const nowMs = 1_700_000_000_000;
    const { consumer, calls, discarded, drain } = harness({ maximumRecordAgeSeconds: 60 }, () => ({}), { now: nowMs });
    consumer.enqueue([record(1, nowMs / 1000 - 120), record(2, nowMs / 1000 - 120), record(3, nowMs / 1000 - 1)]);
    // Act
    await drain();
    // Assess
    expect(discarded).toEqual([expect.objectContaining({ condition: 'RecordAgeExceeded', invokeCount: 0 })]);
    expect(discarded[0]!.records.map(seqOf)).toEqual(['1001', '1002']);
    expect(calls).toEqual([['1003']]);
  });

  it('record age also ends an infinite retry loop', async () => {
    // Prepare: the function always fails, retries are infinite, records expire after 60 s
    const clock = { now: 1_700_000_000_000 };
    const { consumer, calls, discarded } = harness({ maximumRecordAgeSeconds: 60 }, () => new Error('down'), clock);
    consumer.enqueue([record(1, clock.now / 1000)]);
    // Act
    await consumer.step();
    await consumer.step();
    clock.now += 61_000;
    await consumer.step();
    // Assess
    expect(calls).toHaveLength(2);
    expect(discarded).toEqual([expect.objectContaining({ condition: 'RecordAgeExceeded', invokeCount: 2 })]);
    expect(consumer.pending).toBe(0);
  });

  it('waits for the batching window unless the batch is full', async () => {
    // Prepare
    const clock = { now: 0 };
    const { consumer, calls } = harness({ batchSize: 3, maximumBatchingWindowMs: 1_000 }, () => ({}), clock);
    consumer.enqueue(records(2));
    // Act / Assess
    expect((await consumer.step()).kind).toBe('waiting');
    clock.now = 1_000;
    expect(await consumer.step()).toEqual({ kind: 'processed', count: 2 });
    consumer.enqueue([record(3), record(4), record(5)]);
    expect(await consumer.step()).toEqual({ kind: 'processed', count: 3 });
    expect(calls).toHaveLength(2);
  });

  it('never reorders records for any failure pattern (per-shard order)', async () => {
    // Prepare: a pseudo-random failure pattern, bisect on, infinite retries
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const { consumer, calls, drain } = harness({ batchSize: 7, bisectBatchOnFunctionError: true }, (seqs) => {
      const roll = random();
      if (roll < 0.2) return new Error('flaky');
      if (roll < 0.4) return { batchItemFailures: [{ itemIdentifier: seqs[Math.floor(random() * seqs.length)] }] };
      return {};
    });
    consumer.enqueue(records(60));
    // Act
    await drain(10_000);
    // Assess: the first time each record is delivered, sequence numbers only increase,
    // and once a record is checkpointed it is never delivered again.
    const firstSeen: string[] = [];
    const seen = new Set<string>();
    for (const call of calls) for (const seq of call) if (!seen.has(seq)) { seen.add(seq); firstSeen.push(seq); }
    expect(firstSeen).toEqual(records(60).map(seqOf));
    for (const call of calls) expect([...call].sort()).toEqual(call);
    expect(consumer.checkpoint).toBe('1060');
  });
});
