/**
 * Replay: archived change events read back in archive order (object key order, then record
 * order within each object) and handed to a sink: stdout as JSON lines, or the change stream
 * again through the project's publisher. Every object is decoded and checked whole before any
 * of its events goes out; an object that cannot be read, or a line that is not a change event,
 * stops the replay with a message naming it. Events whose id was already replayed in this run
 * are left out and counted (the archive is at-least-once: a retried delivery can repeat one);
 * consumers de-duplicate by id across runs.
 */
import { ArchiveObjectError, decodeArchiveObject, selectArchiveObjects, type ArchivedRecord, type ArchiveFilter, type ArchiveSource } from '../../src/archive';
import { DmsEventBusError } from '../../src/errors';

/** Where replayed events go. */
export interface ReplaySink {
  /** Writes one object's events, in order; resolves when they are all out (or throws). */
  write(records: readonly ArchivedRecord[], key: string): Promise<void>;
}

export interface ReplayProgress {
  readonly objects: number;
  readonly totalObjects: number;
  readonly events: number;
  readonly duplicates: number;
  readonly bytes: number;
  readonly key: string;
}

export interface ReplayOptions {
  readonly bucket: string;
  readonly prefix: string;
  readonly filter: ArchiveFilter;
  readonly source: ArchiveSource;
  readonly sink: ReplaySink;
  readonly onProgress?: (progress: ReplayProgress) => void;
}

export interface ReplaySummary {
  readonly objects: number;
  readonly events: number;
  readonly duplicates: number;
  /** Compressed bytes read from S3. */
  readonly bytes: number;
}

/** The input of a replay is not what an archive holds. */
export class ReplayInputError extends DmsEventBusError {
  override readonly name: string = 'ReplayInputError';
}

const location = (bucket: string, prefix: string) => `s3://${bucket}/${prefix}`;

/** Runs one replay; throws at the first object it cannot read or deliver. */
export async function runReplay(options: ReplayOptions): Promise<ReplaySummary> {
  const { bucket, prefix, source, sink } = options;
  const keys = await source.listKeys(bucket, prefix);
  const { objects, foreign } = selectArchiveObjects(keys, options.filter);
  if (foreign.length > 0) {
    const shown = foreign.slice(0, 3).join(', ');
    throw new ReplayInputError(
      `${foreign.length} object(s) under ${location(bucket, prefix)} are not archive objects (table=<table>/date=<yyyy-mm-dd>/<file>), e.g. ${shown}; point --from at the archive root (the Prefix before table=, e.g. s3://${bucket}/changes/).`,
    );
  }
  const seen = new Set<string>();
  let events = 0;
  let duplicates = 0;
  let bytes = 0;
  for (const [index, object] of objects.entries()) {
    const body = await source.getObject(bucket, object.key);
    bytes += body.byteLength;
    let records: ArchivedRecord[];
    try {
      records = decodeArchiveObject(body, `s3://${bucket}/${object.key}`);
    } catch (error) {
      if (error instanceof ArchiveObjectError) throw new ReplayInputError(`${error.message}; nothing of this object was replayed (${events} events before it were).`, { cause: error });
      throw error;
    }
    const fresh = records.filter((record) => {
      if (seen.has(record.event.id)) return false;
      seen.add(record.event.id);
      return true;
    });
    duplicates += records.length - fresh.length;
    await sink.write(fresh, object.key);
    events += fresh.length;
    options.onProgress?.({ objects: index + 1, totalObjects: objects.length, events, duplicates, bytes, key: object.key });
  }
  return { objects: objects.length, events, duplicates, bytes };
}
