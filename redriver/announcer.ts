/**
 * `Changes Lost` on EventBridge: what the redriver says when a range can no longer be read.
 * Source `dms-event-bus` (the reconciler's announcements use it too); a rule routes the event
 * to the reconciler, which heals the table with a forced backfill (the redriver itself holds
 * no backfill permission).
 */
import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DmsEventBusError } from '../src/errors';
import type { BatchPointer } from './batch-info';
import type { LossReason } from './range-reader';

export const CHANGES_LOST = { source: 'dms-event-bus', detailType: 'Changes Lost' } as const;

/** The `detail` of a `Changes Lost` event. */
export interface ChangesLostDetail {
  readonly table: string;
  readonly tableArn: string;
  readonly streamArn: string;
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  /** Records in the range, as the mapping counted them. */
  readonly batchSize: number;
  readonly reason: LossReason;
  readonly approximateArrivalOfFirstRecord: string | null;
  readonly approximateArrivalOfLastRecord: string | null;
  /** ISO 8601: when the redriver found the range unreadable. */
  readonly detectedAt: string;
}

export function changesLostDetail(pointer: BatchPointer, reason: LossReason, now: Date): ChangesLostDetail {
  return {
    table: pointer.tableName,
    tableArn: pointer.tableArn,
    streamArn: pointer.streamArn,
    shardId: pointer.shardId,
    startSequenceNumber: pointer.startSequenceNumber,
    endSequenceNumber: pointer.endSequenceNumber,
    batchSize: pointer.batchSize,
    reason,
    approximateArrivalOfFirstRecord: pointer.approximateArrivalOfFirstRecord ?? null,
    approximateArrivalOfLastRecord: pointer.approximateArrivalOfLastRecord ?? null,
    detectedAt: now.toISOString(),
  };
}

/** Port: puts one `Changes Lost` event on the bus, or throws. */
export interface LossAnnouncer {
  announce(detail: ChangesLostDetail): Promise<void>;
}

/** EventBridge did not accept the event. */
export class AnnounceError extends DmsEventBusError {
  override readonly name: string = 'AnnounceError';
}

export function createEventBridgeLossAnnouncer(client: EventBridgeClient, eventBusName: string): LossAnnouncer {
  return {
    async announce(detail) {
      const out = await client.send(
        new PutEventsCommand({ Entries: [{ EventBusName: eventBusName, Source: CHANGES_LOST.source, DetailType: CHANGES_LOST.detailType, Detail: JSON.stringify(detail), Resources: [detail.tableArn] }] }),
      );
      if ((out.FailedEntryCount ?? 0) > 0) {
        const failed = out.Entries?.find((entry) => entry.ErrorCode);
        throw new AnnounceError(`EventBridge did not accept Changes Lost: ${failed?.ErrorCode ?? 'FailedEntry'} ${failed?.ErrorMessage ?? ''}`.trim());
      }
    },
  };
}
