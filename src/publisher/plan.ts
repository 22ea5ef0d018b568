/**
 * The ordering core, pure: which pending records go out in the next round, packed into as
 * few PutRecords requests as the limits allow.
 *
 * PutRecords does not order entries across a partial failure: if two entries for one key
 * share a request and the first fails, the second may still be written ahead of it. So a
 * round ("wave") carries at most ONE record per partition key, the earliest one not yet
 * written. The next record of that key goes out only in a later wave, after this one is
 * known to be on the stream. Records of different keys never wait for each other.
 */
import { Buffer } from 'node:buffer';
import type { PublishRecord } from './types';

/** Kinesis PutRecords limits; configurable because AWS raised them in 2025 (10 MiB records and requests, opt-in per stream). */
export interface PutRecordsLimits {
  /** Entries per request (Kinesis: 500). */
  readonly maxEntriesPerRequest: number;
  /** Bytes per request, data plus partition keys (Kinesis: 5 MiB, 10 MiB since Oct 2025). */
  readonly maxRequestBytes: number;
  /** Bytes per record, data plus partition key (Kinesis stream default: 1 MiB). */
  readonly maxRecordBytes: number;
}

export const DEFAULT_LIMITS: PutRecordsLimits = {
  maxEntriesPerRequest: 500,
  maxRequestBytes: 5 * 1_048_576,
  maxRecordBytes: 1_048_576,
};

/** Bytes a record counts against Kinesis limits: data plus the UTF-8 partition key. */
export function recordBytes(record: PublishRecord): number {
  return record.data.byteLength + Buffer.byteLength(record.partitionKey, 'utf8');
}

/**
 * Plans one wave: from `pending` (indices into `records`, ascending, not yet written),
 * takes the first pending index of each partition key, in input order, and packs them
 * greedily into requests under the limits. Returns the requests as index lists.
 * `sizes[i]` is recordBytes(records[i]); every size must be <= maxRecordBytes.
 */
export function planWave(
  records: readonly PublishRecord[],
  sizes: readonly number[],
  pending: readonly number[],
  limits: PutRecordsLimits,
): number[][] {
  const seen = new Set<string>();
  const requests: number[][] = [];
  let current: number[] = [];
  let currentBytes = 0;
  for (const index of pending) {
    const key = (records[index] as PublishRecord).partitionKey;
    if (seen.has(key)) continue; // an earlier record of this key is still unwritten
    seen.add(key);
    const size = sizes[index] as number;
    if (current.length > 0 && (current.length >= limits.maxEntriesPerRequest || currentBytes + size > limits.maxRequestBytes)) {
      requests.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(index);
    currentBytes += size;
  }
  if (current.length > 0) requests.push(current);
  return requests;
}

/** Length of the longest prefix of `written` that is all true. */
export function writtenPrefix(written: readonly boolean[]): number {
  const first = written.indexOf(false);
  return first === -1 ? written.length : first;
}
