/**
 * Replay sinks: JSON lines on stdout (each event's text exactly as archived), or the Kinesis
 * stream through the project's publisher: partition keys recomputed with the project's
 * partition-key function (the ones the forwarder and the backfill gave the events), per-key
 * order kept (the publisher never lets a later record of a key overtake an earlier one), one
 * object at a time.
 */
import { partitionKeyOfEvent } from '../../src/archive';
import { DmsEventBusError } from '../../src/errors';
import { PublishOutcome, type Publisher, type PublishRecord } from '../../src/publisher';
import type { ReplaySink } from './replay';

/** Republishing stopped; the message says how far it got. */
export class ReplayPublishError extends DmsEventBusError {
  override readonly name: string = 'ReplayPublishError';
}

export function createJsonLinesSink(out: (line: string) => void): ReplaySink {
  return {
    async write(records) {
      for (const record of records) out(record.text);
    },
  };
}

export interface StreamSinkOptions {
  readonly publisher: Publisher;
  readonly streamName: string;
}

export function createStreamSink(options: StreamSinkOptions): ReplaySink {
  let published = 0;
  return {
    async write(records, key) {
      if (records.length === 0) return;
      const entries: PublishRecord[] = records.map((record) => ({ partitionKey: partitionKeyOfEvent(record.event), data: Buffer.from(record.text, 'utf8') }));
      const result = await options.publisher.publish(entries);
      if (result.outcome === PublishOutcome.Complete) {
        published += records.length;
        return;
      }
      const next = records[result.written];
      const reason = result.lastError ? `${result.lastError.code}: ${result.lastError.message}` : result.outcome;
      const notFound = result.lastError?.code === 'ResourceNotFoundException';
      throw new ReplayPublishError(
        notFound
          ? `Kinesis stream ${options.streamName} not found.`
          : `publishing to ${options.streamName} stopped (${result.outcome}, ${reason}) at event ${next?.event.id ?? '?'} (line ${next?.line ?? '?'} of ${key}); ${published + result.written} events are on the stream. Replaying again is safe: consumers de-duplicate by event id.`,
      );
    },
  };
}
