/**
 * Sweep: the periodic run over every table, within a deadline. It lists the mappings,
 * scaling and backfill runs once, walks ListTables from a cursor (wrapping round) with a
 * small pool of workers, and, once it has seen every table, cleans up after managed
 * tables that no longer exist. Managed tables the filters no longer include are released
 * (release/sweep-release.ts). Stopped by the deadline, it returns where to carry on.
 */
import type { OperatorContext, SweepOptions } from './context';
import { managedTableNames, type Observer, type Snapshot } from './observe';
import type { ReconcileOne } from './reconcile';
import type { ReleaseOne } from './release/sweep-release';
import { withRetry } from './retry';
import { summarize, type SweepSummary, type TableResult } from './results';

export type Sweep = (options?: SweepOptions) => Promise<SweepSummary>;

/** Runs `worker` over `items` with `concurrency` workers; false when `stop()` ended it early. */
async function pool<T>(items: AsyncIterable<T>, concurrency: number, worker: (item: T) => Promise<void>, stop: () => boolean): Promise<boolean> {
  const iterator = items[Symbol.asyncIterator]();
  let stopped = false;
  const run = async () => {
    for (;;) {
      if (stop()) {
        stopped = true;
        return;
      }
      const next = await iterator.next();
      if (next.done) return;
      await worker(next.value);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, run));
  return !stopped;
}

export function createSweep(ctx: OperatorContext, observer: Observer, reconcileOne: ReconcileOne, releaseOne: ReleaseOne): Sweep {
  const { deps, clock } = ctx;
  let sweepCursor: string | undefined;

  /** Table names from startAfter to the end, then from the start up to startAfter (wrap round). */
  async function* tableNames(startAfter: string | undefined): AsyncGenerator<string> {
    for (const [from, upTo] of startAfter === undefined ? [[undefined, undefined]] : [[startAfter, undefined], [undefined, startAfter]]) {
      let next: string | undefined = from;
      do {
        const page = await withRetry(clock, () => deps.tables.listTables(next));
        for (const name of page.items) {
          if (upTo !== undefined && name > upTo) return;
          yield name;
        }
        next = page.next;
      } while (next !== undefined);
    }
  }

  /** The names the sweep reconciles, and the managed ones it releases; every listed name is added to `seen`. */
  async function* selected(startAfter: string | undefined, managed: Set<string>, seen: Set<string>): AsyncGenerator<string> {
    for await (const name of tableNames(startAfter)) {
      seen.add(name);
      if (!deps.filter.includesName(name)) {
        if (managed.has(name)) yield name; // left the scope: released
        continue;
      }
      // With a creator filter the sweep cannot know the creator: it keeps managed tables converged only.
      if (deps.filter.checksCreator && !managed.has(name)) continue;
      yield name;
    }
  }

  /** Managed tables that no longer exist: clean up after them. */
  async function cleanUpGone(managed: Set<string>, seen: Set<string>, run: (name: string) => Promise<void>, deadline: number): Promise<void> {
    const gone = [...managed].filter((name) => !seen.has(name)).sort();
    await pool((async function* () { yield* gone; })(), deps.config.sweepConcurrency, run, () => clock.now() >= deadline);
  }

  return async (options = {}) => {
    const dryRun = options.dryRun ?? false;
    const deadline = options.deadline ?? clock.now() + 240_000;
    const startAfter = options.startAfter ?? sweepCursor;
    const snapshot: Snapshot = await observer.loadSweepSnapshot();
    const managed = managedTableNames(snapshot);
    const seen = new Set<string>();
    const results: TableResult[] = [];
    let lastLaunched: string | undefined;
    const run = async (name: string) => {
      const options = { dryRun, deadline, trigger: 'sweep' };
      results.push(await (deps.filter.includesName(name) ? reconcileOne(name, options, snapshot) : releaseOne(name, options, snapshot)));
    };
    const stopAt = deadline - deps.config.sweepTimeReserveSeconds * 1000;
    const complete = await pool(selected(startAfter, managed, seen), deps.config.sweepConcurrency, async (name) => {
      lastLaunched = name;
      await run(name);
    }, () => clock.now() >= stopAt);
    if (complete) await cleanUpGone(managed, seen, run, deadline);
    sweepCursor = complete ? undefined : lastLaunched;
    const summary = summarize(deps.metrics, dryRun, results);
    return { ...summary, complete, ...(sweepCursor !== undefined ? { cursor: sweepCursor } : {}) };
  };
}
