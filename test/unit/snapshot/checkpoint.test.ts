import fc from 'fast-check';
import {
  applyPage,
  claim,
  claimableSegments,
  decideStart,
  newRun,
  newSegment,
  overallStatus,
  progress,
  recordFailure,
  release,
  resumeFailed,
  SEGMENT_STATUS,
  type BackfillState,
  type ItemKey,
  type SegmentState,
} from '../../../src/backfill-state/checkpoint';

const key = (id: string): ItemKey => ({ id: { S: id } });
const run = (overrides: Partial<BackfillState> = {}): BackfillState => ({
  ...newRun({ tableName: 't', tableArn: 'arn:t', streamArn: 'arn:s1', runId: 'r1', reason: 'stream-enabled', totalSegments: 3, now: 1_000 }),
  ...overrides,
});
const segment = (overrides: Partial<SegmentState>): SegmentState => ({ ...newSegment(0), ...overrides });

describe('newRun', () => {
  it('creates one pending segment per Scan segment, from the start of each range', () => {
    // Act
    const state = run();

    // Assess
    expect(state.status).toBe('running');
    expect(state.segments.map((s) => [s.segment, s.status, s.lastKey, s.version])).toEqual([
      [0, 'pending', undefined, 0],
      [1, 'pending', undefined, 0],
      [2, 'pending', undefined, 0],
    ]);
  });

  it.each([0, -1, 1.5])('rejects %p segments', (totalSegments) => {
    expect(() => newRun({ tableName: 't', tableArn: 'a', streamArn: 's', runId: 'r', reason: 'manual', totalSegments, now: 0 })).toThrow(RangeError);
  });
});

describe('claim and leases', () => {
  it.each([
    { case: 'pending, no owner', seg: segment({}), owner: 'me', now: 10, claimable: true },
    { case: 'leased by another, lease live', seg: segment({ status: 'running', owner: 'other', leaseUntil: 20 }), owner: 'me', now: 10, claimable: false },
    { case: 'leased by another, lease expired', seg: segment({ status: 'running', owner: 'other', leaseUntil: 10 }), owner: 'me', now: 10, claimable: true },
    { case: 'leased by me', seg: segment({ status: 'running', owner: 'me', leaseUntil: 20 }), owner: 'me', now: 10, claimable: true },
    { case: 'done', seg: segment({ status: 'done' }), owner: 'me', now: 10, claimable: false },
    { case: 'failed', seg: segment({ status: 'failed' }), owner: 'me', now: 10, claimable: false },
  ])('$case -> claimable $claimable', ({ seg, owner, now, claimable }) => {
    // Prepare
    const state = run({ segments: [seg] });

    // Act
    const result = claimableSegments(state, owner, now);

    // Assess
    expect(result).toEqual(claimable ? [0] : []);
    if (claimable) {
      const claimed = claim(seg, owner, 99, now);
      expect(claimed).toMatchObject({ status: 'running', owner, leaseUntil: 99, version: seg.version + 1 });
    } else {
      expect(() => claim(seg, owner, 99, now)).toThrow(RangeError);
    }
  });

  it('offers nothing of a run that is no longer running', () => {
    expect(claimableSegments(run({ status: 'done' }), 'me', 0)).toEqual([]);
  });

  it('release gives the lease up and bumps the version, once', () => {
    // Prepare
    const leased = segment({ status: 'running', owner: 'me', leaseUntil: 50, version: 3 });

    // Act
    const released = release(leased);

    // Assess
    expect(released).toMatchObject({ owner: undefined, leaseUntil: 0, version: 4, status: 'running' });
    expect(release(released)).toBe(released);
  });
});

describe('applyPage', () => {
  it.each([
    { case: 'middle page keeps running and moves the key', lastKey: key('b'), status: 'running', owner: 'me' },
    { case: 'last page completes the segment and frees it', lastKey: undefined, status: 'done', owner: undefined },
  ])('$case', ({ lastKey, status, owner }) => {
    // Prepare
    const before = segment({ status: 'running', owner: 'me', leaseUntil: 50, lastKey: key('a'), items: 10, pages: 1, version: 2, attempts: 2, error: 'x' });

    // Act
    const after = applyPage(before, { items: 5, lastKey });

    // Assess
    expect(after).toMatchObject({ status, owner, lastKey, items: 15, pages: 2, version: 3, attempts: 0, error: undefined });
  });

  it.each(['done', 'failed'] as const)('refuses to advance a %s segment', (status) => {
    expect(() => applyPage(segment({ status }), { items: 1, lastKey: undefined })).toThrow(RangeError);
  });

  it('refuses a negative count', () => {
    expect(() => applyPage(segment({}), { items: -1, lastKey: undefined })).toThrow(RangeError);
  });

  it('counts every item of any sequence of pages and ends done exactly at the last page (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 1000 }), { minLength: 1, maxLength: 30 }), (counts) => {
        let state = segment({});
        counts.forEach((items, index) => {
          const last = index === counts.length - 1;
          state = applyPage(state, { items, lastKey: last ? undefined : key(String(index)) });
          expect(state.status).toBe(last ? 'done' : 'running');
        });
        expect(state.items).toBe(counts.reduce((a, b) => a + b, 0));
        expect(state.pages).toBe(counts.length);
        expect(state.version).toBe(counts.length);
      }),
    );
  });
});

describe('recordFailure', () => {
  it.each([
    { case: 'retryable, attempts left', attempts: 0, terminal: false, max: 3, status: 'running' },
    { case: 'retryable, last attempt', attempts: 2, terminal: false, max: 3, status: 'failed' },
    { case: 'terminal on first attempt', attempts: 0, terminal: true, max: 3, status: 'failed' },
  ])('$case -> $status, key kept, lease given up', ({ attempts, terminal, max, status }) => {
    // Prepare
    const before = segment({ status: 'running', owner: 'me', leaseUntil: 9, lastKey: key('k'), attempts, version: 7 });

    // Act
    const after = recordFailure(before, { message: 'boom', terminal }, max);

    // Assess
    expect(after).toMatchObject({ status, lastKey: key('k'), owner: undefined, leaseUntil: 0, attempts: attempts + 1, error: 'boom', version: 8 });
  });
});

describe('overallStatus and progress', () => {
  it.each([
    { statuses: ['done', 'done'], expected: 'done' },
    { statuses: ['done', 'running'], expected: 'running' },
    { statuses: ['pending', 'pending'], expected: 'running' },
    { statuses: ['done', 'failed'], expected: 'failed' },
    { statuses: ['running', 'failed'], expected: 'failed' },
  ] as const)('$statuses -> $expected', ({ statuses, expected }) => {
    expect(overallStatus(statuses.map((status, i) => segment({ segment: i, status })))).toBe(expected);
  });

  it('sums items and pages and counts done segments', () => {
    // Prepare
    const state = run({
      segments: [segment({ segment: 0, status: 'done', items: 3, pages: 1 }), segment({ segment: 1, status: 'running', items: 4, pages: 2 })],
    });

    // Act / Assess
    expect(progress(state)).toEqual({ segmentsDone: 1, segmentsTotal: 2, items: 7, pages: 3 });
  });
});

describe('resumeFailed', () => {
  it('puts failed segments back to pending at their checkpoint and leaves done ones alone', () => {
    // Prepare
    const state = run({
      status: 'failed',
      error: 'x',
      finishedAt: 5,
      segments: [segment({ segment: 0, status: 'done', version: 4 }), segment({ segment: 1, status: 'failed', lastKey: key('m'), attempts: 5, version: 9, error: 'e' })],
    });

    // Act
    const resumed = resumeFailed(state, 2_000);

    // Assess
    expect(resumed.status).toBe('running');
    expect(resumed.finishedAt).toBeUndefined();
    expect(resumed.segments[0]).toBe(state.segments[0]);
    expect(resumed.segments[1]).toMatchObject({ status: SEGMENT_STATUS.pending, lastKey: key('m'), attempts: 0, error: undefined, version: 10 });
  });
});

describe('decideStart', () => {
  const staleAfter = 60_000;
  it.each([
    { case: 'nothing recorded', existing: undefined, req: { streamArn: 'arn:s1' }, now: 2_000, expected: 'create' },
    { case: 'done, same stream', existing: run({ status: 'done' }), req: { streamArn: 'arn:s1' }, now: 2_000, expected: 'already-done' },
    { case: 'done, forced', existing: run({ status: 'done' }), req: { streamArn: 'arn:s1', force: true }, now: 2_000, expected: 'create' },
    { case: 'done, new stream (table re-created)', existing: run({ status: 'done' }), req: { streamArn: 'arn:s2' }, now: 2_000, expected: 'create' },
    { case: 'running, fresh', existing: run(), req: { streamArn: 'arn:s1' }, now: 2_000, expected: 'already-running' },
    { case: 'running, stale', existing: run(), req: { streamArn: 'arn:s1' }, now: 1_000 + staleAfter, expected: 'kick' },
    { case: 'running, new stream', existing: run(), req: { streamArn: 'arn:s2' }, now: 2_000, expected: 'create' },
    { case: 'failed, same stream', existing: run({ status: 'failed' }), req: { streamArn: 'arn:s1' }, now: 2_000, expected: 'resume' },
  ])('$case -> $expected', ({ existing, req, now, expected }) => {
    expect(decideStart(existing, req, now, staleAfter)).toBe(expected);
  });
});
