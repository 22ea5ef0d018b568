/**
 * The delivery half of the Firehose stand-in: records in, partitioned by the template's JQ
 * query, buffered per evaluated prefix (size or age, whichever first), written as one object
 * each: every record followed by the delimiter, gzip-compressed, under the template's prefix
 * and Firehose's object name. Records whose partition keys cannot be extracted go to the
 * error prefix, as Firehose's error records (raw data in base64).
 *
 * Development tooling only: never bundled into a Lambda function.
 */
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { ArchiveDeliveryConfig } from './delivery-config';
import { extractPartitionKeys } from './jq-partitioner';
import { evaluatePrefix, objectSuffix } from './prefix';

/** Where objects go (S3 in the local run; a folder or memory in tests). */
export interface ObjectSink {
  put(key: string, body: Uint8Array): Promise<void>;
}

export interface IncomingRecord {
  /** The Kinesis record's data. */
  readonly data: Uint8Array;
  /** ApproximateArrivalTimestamp, ms since epoch. */
  readonly arrivedAt: number;
}

export interface ArchiveWriterOptions {
  readonly config: ArchiveDeliveryConfig;
  readonly sink: ObjectSink;
  /** The delivery stream's name and version, as in Firehose's object names. */
  readonly streamName: string;
  readonly streamVersion?: number;
  /** Buffer age that flushes it (default: the template's IntervalInSeconds). */
  readonly intervalMs?: number;
  readonly now?: () => number;
  readonly uuid?: () => string;
}

export interface ArchiveWriterStats {
  readonly records: number;
  readonly objects: number;
  /** Bytes written (compressed). */
  readonly bytes: number;
  /** Bytes of the objects before compression (records and delimiters). */
  readonly uncompressedBytes: number;
  readonly errorRecords: number;
  readonly keys: readonly string[];
}

export interface ArchiveWriter {
  write(records: readonly IncomingRecord[]): Promise<void>;
  /** Writes every buffer older than the interval. */
  flushDue(): Promise<void>;
  /** Writes every buffer now. */
  flushAll(): Promise<void>;
  stats(): ArchiveWriterStats;
}

/** The error type this stand-in puts in `!{firehose:error-output-type}` for records it cannot partition. */
export const PARTITIONING_ERROR_TYPE = 'processing-failed';

interface PartitionBuffer {
  readonly prefix: string;
  readonly firstArrival: number;
  readonly openedAt: number;
  readonly parts: Uint8Array[];
  bytes: number;
}

export function createArchiveWriter(options: ArchiveWriterOptions): ArchiveWriter {
  const { config, sink } = options;
  const now = options.now ?? Date.now;
  const uuid = options.uuid ?? randomUUID;
  const intervalMs = options.intervalMs ?? config.bufferIntervalSeconds * 1000;
  const maxBytes = config.bufferSizeMiB * 1_048_576;
  const delimiter = new TextEncoder().encode(config.delimiter);
  const buffers = new Map<string, PartitionBuffer>();
  const keys: string[] = [];
  let records = 0;
  let objects = 0;
  let bytes = 0;
  let uncompressedBytes = 0;
  let errorRecords = 0;

  async function deliver(buffer: PartitionBuffer): Promise<void> {
    buffers.delete(buffer.prefix);
    const joined = Buffer.concat(buffer.parts);
    const body = config.compression === 'GZIP' ? gzipSync(joined) : joined;
    const key = `${buffer.prefix}${objectSuffix({ streamName: options.streamName, version: options.streamVersion ?? 1, time: new Date(buffer.firstArrival), uuid: uuid(), extension: config.fileExtension })}`;
    await sink.put(key, body);
    keys.push(key);
    objects += 1;
    bytes += body.byteLength;
    uncompressedBytes += joined.byteLength;
  }

  async function add(prefix: string, part: Uint8Array, arrivedAt: number): Promise<void> {
    let buffer = buffers.get(prefix);
    if (buffer && buffer.bytes + part.byteLength > maxBytes) {
      await deliver(buffer);
      buffer = undefined;
    }
    if (!buffer) {
      buffer = { prefix, firstArrival: arrivedAt, openedAt: now(), parts: [], bytes: 0 };
      buffers.set(prefix, buffer);
    }
    buffer.parts.push(part);
    buffer.bytes += part.byteLength;
  }

  function errorRecord(record: IncomingRecord, message: string): Uint8Array {
    const text = JSON.stringify({
      attemptsMade: 1,
      arrivalTimestamp: record.arrivedAt,
      errorCode: 'DynamicPartitioning.MetadataExtractionFailed',
      errorMessage: message,
      attemptEndingTimestamp: now(),
      rawData: Buffer.from(record.data).toString('base64'),
    });
    return Buffer.from(`${text}\n`, 'utf8');
  }

  return {
    async write(batch) {
      const texts = batch.map((record) => Buffer.from(record.data).toString('utf8'));
      const results = await extractPartitionKeys(texts, config.metadataExtractionQuery);
      for (const [index, record] of batch.entries()) {
        const result = results[index]!;
        records += 1;
        if (result.ok) {
          const prefix = evaluatePrefix(config.prefix, { partitionKeys: result.keys, arrival: new Date(record.arrivedAt) });
          await add(prefix, Buffer.concat([record.data, delimiter]), record.arrivedAt);
        } else {
          errorRecords += 1;
          const prefix = evaluatePrefix(config.errorOutputPrefix, { arrival: new Date(record.arrivedAt), errorOutputType: PARTITIONING_ERROR_TYPE });
          await add(prefix, errorRecord(record, result.error), record.arrivedAt);
        }
      }
    },
    async flushDue() {
      for (const buffer of [...buffers.values()]) if (now() - buffer.openedAt >= intervalMs) await deliver(buffer);
    },
    async flushAll() {
      for (const buffer of [...buffers.values()]) await deliver(buffer);
    },
    stats: () => ({ records, objects, bytes, uncompressedBytes, errorRecords, keys: [...keys] }),
  };
}
