/**
 * Healing a table after `Changes Lost` (announced by the redriver when a dead-letter range
 * was no longer on the table's stream): a forced backfill with reason `heal` of the table's
 * current stream, so every row reaches Kinesis again as a snapshot event that, by the merge
 * rule, wins over the stream events older than its run's start minus the heal margin. The
 * control plane starts it; the redriver holds no backfill permission.
 */
import type { Logger } from '../../src/observability/logger';
import type { ReconcilerBackfillDeps } from './index';
import { createBackfillStarter, type BackfillStartResult } from './starter';

/** What a `Changes Lost` event names (its `detail`, as the redriver writes it). */
export interface LostRange {
  readonly table: string;
  readonly streamArn: string;
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  readonly reason: string;
}

export type HealResult =
  | { readonly kind: 'started' | 'already-running' | 'already-done'; readonly tableName: string; readonly streamArn: string; readonly runStartResult: BackfillStartResult }
  /** The table is gone (nothing to heal: its consumers see it removed) or has no stream to attach a backfill to. */
  | { readonly kind: 'nothing-to-heal'; readonly tableName: string; readonly why: string };

/** Starts the heal backfill for a lost range; AWS errors propagate (the invocation is retried). */
export async function healLostRange(lost: LostRange, deps: ReconcilerBackfillDeps, logger: Logger): Promise<HealResult> {
  const log = logger.child({ table: lost.table, lostStream: lost.streamArn, shardId: lost.shardId, start: lost.startSequenceNumber, end: lost.endSequenceNumber });
  const table = await deps.tables.describeTable(lost.table);
  if (table === null) {
    log.warn('changes were lost for a table that no longer exists; nothing to heal');
    return { kind: 'nothing-to-heal', tableName: lost.table, why: 'the table no longer exists' };
  }
  if (!table.stream.enabled || table.stream.latestArn === undefined) {
    log.warn('changes were lost but the table has no stream now; the reconciler enables one and backfills it');
    return { kind: 'nothing-to-heal', tableName: lost.table, why: 'the table has no stream (the next reconcile enables it and backfills)' };
  }
  const runStartResult = await createBackfillStarter(deps).start({ tableName: lost.table, tableArn: table.arn, streamArn: table.stream.latestArn, reason: 'heal', force: true });
  log.info('heal backfill requested after lost changes', { result: runStartResult, stream: table.stream.latestArn, lossReason: lost.reason });
  return { kind: runStartResult, tableName: lost.table, streamArn: table.stream.latestArn, runStartResult };
}
