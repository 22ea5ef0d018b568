/**
 * Applies one change event to the read model by the merge rule (the consumer kit's `resolve`),
 * with the read model's rows as the current versions: the same decisions as the kit's
 * in-memory Materializer, kept in DynamoDB so that any Lambda container continues where
 * another stopped.
 */
import { ApplyOutcome, compareGenerations, Decision, DEFAULT_TOMBSTONE_RETENTION_MS, itemKey, resolve, versionOf, type ChangeEvent } from '../../src/consumer';
import type { ReadModelStore } from './read-model';

/** Another writer changed the row at every attempt. */
export class ConcurrentWriteError extends Error {
  override readonly name = 'ConcurrentWriteError';
}

const ATTEMPTS = 5;

/**
 * Folds `event` into the store. Tombstones get a DynamoDB TTL of their remove time plus the
 * kit's tombstone retention (25 hours: a redriven change is never older than the stream's
 * 24-hour retention), after which dropping them is safe.
 */
export async function applyToReadModel(event: ChangeEvent, store: ReadModelStore, now: () => number = Date.now): Promise<ApplyOutcome> {
  const version = versionOf(event);
  const key = itemKey(event);
  if (version === undefined || key === undefined) return ApplyOutcome.Ignored;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const generation = await store.generation(event.table);
    // Rule 5: an older stream of a re-created table (still draining) never changes state.
    if (generation !== undefined && compareGenerations(version.generation, generation) < 0) return ApplyOutcome.Superseded;
    const stored = await store.get(key);
    const current = stored && (generation === undefined || compareGenerations(stored.version.generation, generation) >= 0) ? stored : undefined;
    const { decision, next } = resolve(version, current?.version);
    if (decision === Decision.Duplicate) return ApplyOutcome.Duplicate;
    if (decision === Decision.Loses) {
      // The kept snapshot may have taken the loser's heal cutoff (rule 4): store that.
      if (next === undefined || (await store.put({ key, table: event.table, version: next }, stored))) return ApplyOutcome.Superseded;
      continue;
    }
    const winner = next ?? version;
    if (generation === undefined || compareGenerations(winner.generation, generation) > 0) await store.raiseGeneration(event.table, winner.generation);
    const expiresAt = winner.item === null ? Math.ceil(((winner.changedAt ?? now()) + DEFAULT_TOMBSTONE_RETENTION_MS) / 1000) : undefined;
    if (await store.put({ key, table: event.table, version: winner }, stored, expiresAt)) return ApplyOutcome.Applied;
  }
  throw new ConcurrentWriteError(`the read model row ${key} changed at each of ${ATTEMPTS} attempts`);
}
