/**
 * Puts a page's snapshot events on Kinesis through the shared publisher (same partition
 * key and ordering rules as the forwarder's stream events), and turns anything short of
 * "all written" into a typed error, so the runner never checkpoints a page that is not
 * entirely on the stream.
 */
import type { EncodedChangeEvent } from '../src/change-event';
import { PublishOutcome, type Publisher } from '../src/publisher';
import { BackfillError, TerminalBackfillError } from '../src/backfill-state/errors';

/** Port: publishes all events or throws. */
export interface SnapshotPublisher {
  /** Resolves once every event is on Kinesis; `deadline` is epoch ms. */
  publish(events: readonly EncodedChangeEvent[], deadline: number): Promise<void>;
}

/** Publishing stopped because the invocation's time ran out; not a failure of the segment. */
export class PublishDeadlineError extends BackfillError {
  override readonly name: string = 'PublishDeadlineError';
}

export function createSnapshotPublisher(publisher: Publisher): SnapshotPublisher {
  return {
    async publish(events, deadline) {
      if (events.length === 0) return;
      const result = await publisher.publish(events, { deadline });
      if (result.outcome === PublishOutcome.Complete) return;
      const detail = `${result.written}/${result.total} snapshot events written (${result.outcome}${
        result.lastError ? `: ${result.lastError.code}: ${result.lastError.message}` : ''
      })`;
      switch (result.outcome) {
        case PublishOutcome.Deadline:
          throw new PublishDeadlineError(detail);
        // The stream is missing or access is denied, or an event cannot fit: an operator must act,
        // then `dms-event-bus backfill <table>` resumes from the checkpoints.
        case PublishOutcome.Fatal:
        case PublishOutcome.RecordTooLarge:
          throw new TerminalBackfillError(detail);
        default:
          throw new BackfillError(detail);
      }
    },
  };
}
