/**
 * Property: for any history the system can produce for a table (writes before and after its
 * stream, backfills reading while writes go on, duplicates, redriven events arriving late and
 * out of order, losses followed by a heal, re-created tables, unconvertible markers), folding
 * the delivered events with the Materializer ends equal to the table. The model of what the
 * system guarantees is in table-history.ts.
 */
import fc from 'fast-check';
import { ApplyOutcome, itemKeyOf, Materializer } from '../../../src/consumer';
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
});
