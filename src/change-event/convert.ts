/**
 * Stream records to events, one each and in order: the change event (with its `origin`, as
 * the forwarder extracts it), or, for a record that cannot become one, its `unconvertible`
 * marker. The redriver converts a range with it; the forwarder converts record by record the
 * same way (forwarder/forward-batch.ts also measures lag and may skip heartbeat tables).
 */
import type { EncodedChangeEvent } from './change-event';
import { encodeChangeEvent } from './change-event';
import { applyOrigin, compileOriginOptions, type CompiledOriginOptions } from './origin';
import { changeFieldsFromStreamRecord, type DynamoDbStreamRecord } from './stream-record';
import { encodeUnconvertibleEvent, unconvertibleReasonOf, type UnconvertibleReason } from './unconvertible';

/** A record that became a marker, with what a log line needs. */
export interface UnconvertibleRecord {
  /** Position in the input. */
  readonly index: number;
  readonly eventID: string | undefined;
  readonly sequenceNumber: string | undefined;
  readonly eventSourceARN: string | undefined;
  readonly reason: UnconvertibleReason;
  readonly error: unknown;
}

export interface ConvertOptions {
  readonly maxRecordBytes: number;
  /** Mark every event as republished by the redriver. */
  readonly redriven?: boolean;
  /** Where the DMS header columns are (default: the documented names, removed from the images), as the forwarder has it. */
  readonly origin?: CompiledOriginOptions;
}

let defaultOrigin: CompiledOriginOptions | undefined;

export interface Converted {
  /** One per input record, in input order. */
  readonly events: EncodedChangeEvent[];
  readonly unconvertible: UnconvertibleRecord[];
}

/** Converts every record; never throws for a bad record. */
export function convertStreamRecords(records: readonly DynamoDbStreamRecord[], options: ConvertOptions): Converted {
  const events: EncodedChangeEvent[] = [];
  const unconvertible: UnconvertibleRecord[] = [];
  const redriven = options.redriven === true;
  const origin = options.origin ?? (defaultOrigin ??= compileOriginOptions());
  for (let index = 0; index < records.length; index++) {
    const record = records[index] as DynamoDbStreamRecord;
    try {
      const fields = changeFieldsFromStreamRecord(record);
      applyOrigin(fields, origin);
      if (redriven) fields.redriven = true;
      events.push(encodeChangeEvent(fields, { maxRecordBytes: options.maxRecordBytes }));
    } catch (error) {
      events.push(encodeUnconvertibleEvent(record, error, { maxRecordBytes: options.maxRecordBytes, redriven }));
      unconvertible.push({
        index,
        eventID: typeof record?.eventID === 'string' ? record.eventID : undefined,
        sequenceNumber: typeof record?.dynamodb?.SequenceNumber === 'string' ? record.dynamodb.SequenceNumber : undefined,
        eventSourceARN: typeof record?.eventSourceARN === 'string' ? record.eventSourceARN : undefined,
        reason: unconvertibleReasonOf(error),
        error,
      });
    }
  }
  return { events, unconvertible };
}
