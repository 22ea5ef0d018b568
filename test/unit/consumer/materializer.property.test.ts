/**
 * Property: for any history the system can produce for a table (writes before and after its
 * stream, backfills reading while writes go on, duplicates, redriven events arriving late and
 * out of order, losses followed by a heal, re-created tables, unconvertible markers), folding
 * the delivered events with the Materializer ends equal to the table. The model of what the
 * system guarantees is in table-history.ts.
 */
import fc from 'fast-check';
import { ApplyOutcome, HEAL_MARGIN_MS, itemKeyOf, Materializer, type ChangeEvent } from '../../../src/consumer';
import { change, snapshot, STREAM_1, STREAM_2 } from './events';
import { deliveryOrder, simulate, TABLE, type Command } from './table-history';

const KEYS = 4;
const MINUTE = 60_000;
const key = fc.integer({ min: 0, max: KEYS - 1 });
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: key.map((k) => ({ kind: 'put' as const, key: k })) },
  { weight: 3, arbitrary: key.map((k) => ({ kind: 'delete' as const, key: k })) },
  { weight: 4, arbitrary: fc.constantFrom(1_000, 5 * MINUTE, 16 * MINUTE, 2 * 60 * MINUTE, 26 * 60 * MINUTE).map((ms) => ({ kind: 'tick' as const, ms })) },
  { weight: 4, arbitrary: fc.constant({ kind: 'scan' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'forced-backfill' as const }) },
  { weight: 1, arbitrary: fc.integer().map((seed) => ({ kind: 'heal' as const, seed })) },
  { weight: 1, arbitrary: fc.uniqueArray(key, { minLength: 1, maxLength: KEYS }).map((reload) => ({ kind: 'recreate' as const, reload })) },
  { weight: 1, arbitrary: key.map((k) => ({ kind: 'unconvertible' as const, key: k })) },
);
const history = fc.record({
  preload: fc.uniqueArray(key, { maxLength: KEYS }),
  commands: fc.array(command, { maxLength: 40 }),
  seed: fc.integer(),
});

function tableState(table: Map<number, Record<string, string>>): Map<string, unknown> {
  return new Map([...table].map(([k, item]) => [itemKeyOf(TABLE, { id: String(k) }), item]));
}

describe('Materializer (property)', () => {
  it('ends equal to the table for any history the system can deliver', () => {
    fc.assert(
      fc.property(history, ({ preload, commands, seed }) => {
        // Prepare
        const { published, table } = simulate(commands, KEYS, preload);
        const delivered = deliveryOrder(published, seed);
        const materializer = new Materializer();
        // Act
        materializer.applyAll(delivered);
        // Assess
        expect(materializer.items(TABLE)).toEqual(tableState(table));
      }),
      { numRuns: 1_500 },
    );
  });

  it('is idempotent: delivering everything again (tombstones kept) applies nothing', () => {
    fc.assert(
      fc.property(history, ({ preload, commands, seed }) => {
        // Prepare
        const { published, table } = simulate(commands, KEYS, preload);
        const delivered = deliveryOrder(published, seed);
        // A second delivery of everything, days later, is beyond the system's redelivery window:
        // keep every tombstone so that only the merge rule is under test here.
        const materializer = new Materializer({ tombstones: { retentionMs: Number.POSITIVE_INFINITY } });
        materializer.applyAll(delivered);
        // Act
        const again = materializer.applyAll(delivered);
        // Assess
        expect(again.applied).toBe(0);
        expect(materializer.items(TABLE)).toEqual(tableState(table));
      }),
      { numRuns: 100 },
    );
  });

  it('keeps no tombstone older than the retention once newer events arrive', () => {
    fc.assert(
      fc.property(history, ({ preload, commands, seed }) => {
        // Prepare
        const { published } = simulate(commands, KEYS, preload);
        const evicted: boolean[] = [];
        const materializer = new Materializer({ tombstones: { onEvicted: ({ safe }) => evicted.push(safe) } });
        // Act
        for (const event of deliveryOrder(published, seed)) expect(Object.values(ApplyOutcome)).toContain(materializer.apply(event));
        // Assess: under the default bound no eviction is ever unsafe, and at most KEYS tombstones exist
        expect(evicted.every((safe) => safe)).toBe(true);
        expect(materializer.tombstoneCount(TABLE)).toBeLessThanOrEqual(KEYS);
      }),
      { numRuns: 100 },
    );
  });

  it('gives the same state in any arrival order of any set of versions, the state the two slots define', () => {
    fc.assert(
      fc.property(anyVersions, fc.integer(), fc.integer(), (events, seedA, seedB) => {
        // Prepare: every tombstone kept, since these events are arbitrarily far apart in time
        const fold = (order: ChangeEvent[]) => {
          const materializer = new Materializer({ tombstones: { retentionMs: Number.POSITIVE_INFINITY } });
          materializer.applyAll(order);
          return materializer.items(TABLE);
        };
        // Act
        const a = fold(shuffled(events, seedA));
        const b = fold(shuffled(events, seedB));
        // Assess
        expect(a).toEqual(b);
        expect(a).toEqual(slotState(events));
      }),
      { numRuns: 2_000 },
    );
  });
});

const T = Date.parse('2026-03-01T12:00:00.000Z');
const at = (minutes: number) => new Date(T + minutes * MINUTE).toISOString();
/**
 * Versions of two keys in two generations. A stream record's time and operation are a function
 * of its sequence number (the same record is never two different events), and so are ids and items.
 */
type Spec = { key: string; stream: string } & ({ seq: number } | { minutes: number; reason: 'heal' | 'forced' | 'initial' });
const spec: fc.Arbitrary<Spec> = fc.record({ key: fc.constantFrom('1', '2'), stream: fc.constantFrom(STREAM_1, STREAM_1, STREAM_2) }).chain((base) =>
  fc.oneof(
    fc.integer({ min: 0, max: 5 }).map((seq) => ({ ...base, seq })),
    fc.record({ minutes: fc.constantFrom(-30, 5, 10, 60, 1_440), reason: fc.constantFrom('heal' as const, 'forced' as const, 'initial' as const) }).map((snap) => ({ ...base, ...snap })),
  ),
);
const anyVersions: fc.Arbitrary<ChangeEvent[]> = fc
  .record({
    times: fc.array(fc.constantFrom(-600, -120, -60, -20, -10, 0, 30), { minLength: 6, maxLength: 6 }),
    removes: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
    specs: fc.array(spec, { minLength: 1, maxLength: 12 }),
  })
  .map(({ times, removes, specs }) =>
    specs.map((one) => {
      const source = { ...change('1', '').source, streamArn: one.stream };
      if ('seq' in one) {
        const id = `${one.stream.slice(-23)}-${one.key}-${one.seq}`;
        const remove = removes[one.seq] === true;
        return change(String(one.seq + 1), at(times[one.seq]!), { id, operation: remove ? 'remove' : 'modify', source, keys: { id: one.key }, new: remove ? null : { id: one.key, v: id } });
      }
      const id = `${one.stream.slice(-23)}-${one.key}-${one.minutes}-${one.reason}`;
      return snapshot(at(one.minutes), one.reason, at(one.minutes - 5), { id, source, keys: { id: one.key }, new: { id: one.key, v: id } });
    }),
  );

/** The rule computed from the whole set: newest generation, latest change, latest snapshot, largest heal cutoff, decide. */
function slotState(events: readonly ChangeEvent[]): Map<string, unknown> {
  const label = (event: ChangeEvent) => event.source.streamArn ?? '';
  const generation = events.map(label).reduce((a, b) => (a > b ? a : b));
  const state = new Map<string, unknown>();
  for (const key of new Set(events.map((event) => event.keys!.id as string))) {
    const mine = events.filter((event) => event.keys!.id === key && label(event) === generation);
    const changes = mine.filter((event) => event.operation !== 'snapshot').sort((x, y) => Number(BigInt(y.sequenceNumber!) - BigInt(x.sequenceNumber!)));
    const snapshots = mine.filter((event) => event.operation === 'snapshot').sort((x, y) => y.readAt!.localeCompare(x.readAt!) || (y.id < x.id ? -1 : y.id > x.id ? 1 : 0));
    const cutoffs = snapshots.filter((event) => event.snapshot?.reason === 'heal').map((event) => Date.parse(event.snapshot!.runStartedAt) - HEAL_MARGIN_MS);
    const latestChange = changes[0];
    const latestSnapshot = snapshots[0];
    const snapshotWins = latestChange === undefined || (latestSnapshot !== undefined && cutoffs.length > 0 && Date.parse(latestChange.approximateCreationTime!) < Math.max(...cutoffs));
    const winner = snapshotWins ? latestSnapshot : latestChange;
    if (winner !== undefined && winner.new !== null) state.set(itemKeyOf(TABLE, { id: key }), winner.new);
  }
  return state;
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.abs((seed = Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + i)) % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
