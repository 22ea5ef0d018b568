import { ApplyOutcome, decide, Decision, Materializer, streamGeneration, versionOf, type ChangeEvent } from '../../../src/consumer';
import { change, snapshot, STREAM_1, STREAM_2 } from './events';

const v = (event: ChangeEvent) => versionOf(event)!;

describe('merge rule', () => {
  it.each<[string, ChangeEvent, ChangeEvent, Decision]>([
    ['1. a newer stream wins, even a snapshot over a later change', snapshot('2026-03-05T01:00:00Z', 'initial', undefined, { source: { ...change('1', '').source, streamArn: STREAM_2 } }), change('9', '2026-03-06T00:00:00Z'), Decision.Wins],
    ['1. an older stream loses', change('9', '2026-03-01T00:00:00Z'), change('1', '2026-03-05T00:00:00Z', { source: { ...change('1', '').source, streamArn: STREAM_2 } }), Decision.Loses],
    ['1. a null stream ARN is the oldest', snapshot('2026-03-09T00:00:00Z', 'initial', undefined, { source: { ...change('1', '').source, streamArn: null } }), change('1', '2026-03-01T00:00:00Z'), Decision.Loses],
    ['2. a higher sequence number wins (as big integers, not text)', change('100000000000000000000', '2026-03-01T00:00:02Z'), change('99999999999999999999', '2026-03-01T00:00:01Z'), Decision.Wins],
    ['2. a late redriven change loses to a newer one', change('5', '2026-03-01T00:00:00Z', { redriven: true }), change('7', '2026-03-01T00:00:09Z'), Decision.Loses],
    ['2. the same sequence number is the same record', change('5', '2026-03-01T00:00:00Z', { id: 'other-id' }), change('5', '2026-03-01T00:00:00Z'), Decision.Duplicate],
    ['3. a change wins over an initial snapshot', change('5', '2026-03-01T00:00:00Z'), snapshot('2026-03-02T00:00:00Z', 'initial'), Decision.Wins],
    ['3. a change wins over a forced snapshot', change('5', '2026-03-01T00:00:00Z'), snapshot('2026-03-02T00:00:00Z', 'forced'), Decision.Wins],
    ['3. a heal beats a change older than its run start minus 15 min', change('5', '2026-03-01T11:44:59Z'), snapshot('2026-03-01T12:30:00Z', 'heal', '2026-03-01T12:00:00Z'), Decision.Loses],
    ['3. a change within the heal margin wins', change('5', '2026-03-01T11:45:00Z'), snapshot('2026-03-01T12:30:00Z', 'heal', '2026-03-01T12:00:00Z'), Decision.Wins],
    ['3. an incoming heal replaces an old change', snapshot('2026-03-01T12:30:00Z', 'heal', '2026-03-01T12:00:00Z'), change('5', '2026-03-01T10:00:00Z'), Decision.Wins],
    ['3. an incoming heal loses to a recent change', snapshot('2026-03-01T12:30:00Z', 'heal', '2026-03-01T12:00:00Z'), change('5', '2026-03-01T11:50:00Z'), Decision.Loses],
    ['3. a snapshot without `snapshot` is initial', snapshot('2026-03-02T00:00:00Z', undefined), change('5', '2026-03-01T00:00:00Z'), Decision.Loses],
    ['4. the later snapshot wins', snapshot('2026-03-02T00:00:01Z', 'forced'), snapshot('2026-03-02T00:00:00Z', 'heal', '2026-03-01T00:00:00Z'), Decision.Wins],
    ['4. an earlier snapshot loses', snapshot('2026-03-01T00:00:00Z', 'heal'), snapshot('2026-03-02T00:00:00Z', 'initial'), Decision.Loses],
    ['de-duplication by id', change('5', '2026-03-01T00:00:00Z'), change('5', '2026-03-01T00:00:00Z'), Decision.Duplicate],
  ])('%s', (_rule, incoming, current, expected) => {
    // Act & Assess
    expect(decide(v(incoming), v(current))).toBe(expected);
  });

  it('reads the stream generation from the ARN', () => {
    // Act & Assess
    expect(streamGeneration(STREAM_1)).toBe('2026-03-01T00:00:00.000');
    expect(streamGeneration(null)).toBeNull();
  });
});

describe('Materializer', () => {
  it('6. a remove leaves a tombstone that a late older change cannot undo', () => {
    // Prepare
    const materializer = new Materializer();
    materializer.apply(change('5', '2026-03-01T00:00:05Z'));
    materializer.apply(change('6', '2026-03-01T00:00:06Z', { operation: 'remove', new: null }));
    // Act
    const late = materializer.apply(change('4', '2026-03-01T00:00:04Z', { redriven: true }));
    const initial = materializer.apply(snapshot('2026-03-01T00:00:01Z', 'initial'));
    // Assess
    expect([late, initial]).toEqual([ApplyOutcome.Superseded, ApplyOutcome.Superseded]);
    expect(materializer.get('orders|{"id":"1"}')).toBeUndefined();
    expect(materializer.tombstoneCount('orders')).toBe(1);
  });

  it('5. a newer generation drops the older one as a whole; older events still arriving lose', () => {
    // Prepare
    const materializer = new Materializer();
    materializer.apply(change('5', '2026-03-01T00:00:05Z', { keys: { id: '2' }, new: { id: '2' } }));
    const newer = { ...change('1', '2026-03-05T00:00:01Z'), source: { ...change('1', '').source, streamArn: STREAM_2 } };
    // Act
    materializer.apply(newer);
    const draining = materializer.apply(change('9', '2026-03-01T00:00:09Z', { keys: { id: '3' }, new: { id: '3' } }));
    // Assess
    expect(draining).toBe(ApplyOutcome.Superseded);
    expect([...materializer.items('orders').keys()]).toEqual(['orders|{"id":"1"}']);
    expect(materializer.generation('orders')).toBe('2026-03-05T00:00:00.000');
  });

  it.each([
    ['heal, forced, old remove', [0, 1, 2]],
    ['heal, old remove, forced', [0, 2, 1]],
    ['forced, heal, old remove', [1, 0, 2]],
    ['forced, old remove, heal', [1, 2, 0]],
    ['old remove, heal, forced', [2, 0, 1]],
    ['old remove, forced, heal', [2, 1, 0]],
  ])('3/4. the latest snapshot takes the largest heal cutoff of the key, whatever the order (%s)', (_order, order) => {
    // Prepare: an old remove whose re-insert was lost, a heal, then a forced snapshot with newer content
    const remove = change('1000', '2026-11-21T03:00:00Z', { operation: 'remove', new: null, redriven: true });
    const heal = snapshot('2026-11-22T00:05:00Z', 'heal', '2026-11-22T00:00:00Z', { new: { id: '1', v: 'healed-back' } });
    const forced = snapshot('2026-11-23T00:05:00Z', 'forced', '2026-11-23T00:00:00Z', { new: { id: '1', v: 'forced-after-heal' } });
    const events = [heal, forced, remove];
    const materializer = new Materializer({ tombstones: { retentionMs: Number.POSITIVE_INFINITY } });
    // Act
    const outcomes = order.map((index) => materializer.apply(events[index]!));
    const again = events.map((event) => materializer.apply(event));
    // Assess
    expect(materializer.get('orders|{"id":"1"}')).toEqual({ id: '1', v: 'forced-after-heal' });
    expect(materializer.state('orders|{"id":"1"}')?.version.id).toBe(forced.id);
    expect(outcomes[0]).toBe(ApplyOutcome.Applied);
    expect(again).toEqual([ApplyOutcome.Superseded, ApplyOutcome.Duplicate, ApplyOutcome.Duplicate]);
  });

  it.each([
    ['stream first', [0, 1, 2]],
    ['heals first', [1, 2, 0]],
  ])('3. a later forced snapshot does not hide an earlier heal cutoff from a change, and a change in the margin still wins (%s)', (_order, order) => {
    // Prepare: the change is older than the heal's cutoff (11:45); the later one is within the heal margin
    const modified = change('7', '2026-03-01T11:00:00Z');
    const heal = snapshot('2026-03-01T12:05:00Z', 'heal', '2026-03-01T12:00:00Z', { new: { id: '1', v: 'heal' } });
    const forced = snapshot('2026-03-01T13:00:00Z', 'forced', '2026-03-01T12:55:00Z', { new: { id: '1', v: 'forced' } });
    const recent = change('8', '2026-03-01T11:50:00Z');
    const events = [modified, heal, forced];
    const materializer = new Materializer();
    // Act
    for (const index of order) materializer.apply(events[index]!);
    const before = materializer.get('orders|{"id":"1"}');
    const outcome = materializer.apply(recent);
    // Assess: the forced snapshot beats the old change; the change within the heal margin beats both snapshots
    expect(before).toEqual({ id: '1', v: 'forced' });
    expect(outcome).toBe(ApplyOutcome.Applied);
    expect(materializer.get('orders|{"id":"1"}')).toEqual({ id: '1', v: '8' });
  });

  it('5. a newer generation resets both slots of a key; an older one arriving later loses', () => {
    // Prepare
    const materializer = new Materializer();
    materializer.apply(snapshot('2026-03-01T12:05:00Z', 'heal', '2026-03-01T12:00:00Z'));
    materializer.apply(change('5', '2026-03-01T10:00:00Z'));
    const newer = change('1', '2026-03-05T00:00:01Z', { source: { ...change('1', '').source, streamArn: STREAM_2 } });
    // Act
    const applied = materializer.apply(newer);
    const old = materializer.apply(snapshot('2026-03-09T00:00:00Z', 'forced'));
    // Assess
    expect([applied, old]).toEqual([ApplyOutcome.Applied, ApplyOutcome.Superseded]);
    expect(materializer.get('orders|{"id":"1"}')).toEqual({ id: '1', v: '1' });
  });

  it('6. unconvertible markers never change state', () => {
    // Prepare
    const materializer = new Materializer();
    // Act
    const outcome = materializer.apply(change('9', '2026-03-01T00:00:09Z', { operation: 'unconvertible', keys: null, new: null, error: { reason: 'x', message: 'y' } }));
    // Assess
    expect(outcome).toBe(ApplyOutcome.Ignored);
    expect(materializer.tables()).toEqual([]);
  });

  it('lists an item whose winning event had no image (oversized) as incomplete, not as present', () => {
    // Prepare
    const materializer = new Materializer();
    // Act
    materializer.apply(change('5', '2026-03-01T00:00:05Z', { truncated: ['old', 'new'], new: null }));
    // Assess
    expect(materializer.items('orders').size).toBe(0);
    expect(materializer.incompleteKeys('orders')).toEqual(['orders|{"id":"1"}']);
    expect(materializer.state('orders|{"id":"1"}')?.incomplete).toBe(true);
  });
});
