/**
 * Applies one change event to the read model by the merge rule (the consumer kit's `resolve`),
 * with the read model's rows as each key's slots (best stream event, best snapshot, heal
 * cutoff): the same decisions as the kit's in-memory Materializer, kept in DynamoDB so that
 * any Lambda container continues where another stopped, in whatever order events arrive.
 */
import { ApplyOutcome, compareGenerations, Decision, DEFAULT_TOMBSTONE_RETENTION_MS, itemKey, resolve, slotsGeneration, versionOf, winnerOf, type ChangeEvent } from '../../src/consumer';
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
    const current = stored && (generation === undefined || compareGenerations(slotsGeneration(stored.slots), generation) >= 0) ? stored : undefined;
    const { decision, next } = resolve(version, current?.slots);
    if (decision === Decision.Duplicate) return ApplyOutcome.Duplicate;
    const outcome = decision === Decision.Wins ? ApplyOutcome.Applied : ApplyOutcome.Superseded;
    // Nothing to store, or a losing event that still filled a slot or raised the heal cutoff.
    if (next === undefined) return outcome;
    if (decision === Decision.Wins && (generation === undefined || compareGenerations(version.generation, generation) > 0)) await store.raiseGeneration(event.table, version.generation);
    const winner = winnerOf(next);
    const expiresAt = winner.item === null ? Math.ceil(((winner.changedAt ?? now()) + DEFAULT_TOMBSTONE_RETENTION_MS) / 1000) : undefined;
    if (await store.put({ key, table: event.table, slots: next, revision: (stored?.revision ?? 0) + 1 }, stored, expiresAt)) return outcome;
  }
  throw new ConcurrentWriteError(`the read model row ${key} changed at each of ${ATTEMPTS} attempts`);
}
