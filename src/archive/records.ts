/**
 * Reading an archive object back: gzip (when compressed) of change events, one JSON object
 * per line, as Firehose writes them with the AppendDelimiterToRecord processor. Pure, and
 * strict: each line is checked by the consumer kit's parser, and a line that is not a change
 * event is an error naming the object and line, never skipped.
 */
import { gunzipSync } from 'node:zlib';
import { MalformedInputError } from '../errors';
import { ConsumerKitError, parseChangeEvent, type ChangeEvent } from '../consumer';

/** One line of an archive object. */
export interface ArchivedRecord {
  /** The line as stored (no delimiter): the exact JSON text that was on the stream. */
  readonly text: string;
  readonly event: ChangeEvent;
  /** 1-based line number in the object. */
  readonly line: number;
}

/** An object of the archive cannot be read as change events. */
export class ArchiveObjectError extends MalformedInputError {
  override readonly name: string = 'ArchiveObjectError';
  constructor(
    message: string,
    readonly key: string,
    readonly line?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const GZIP_MAGIC = [0x1f, 0x8b] as const;

/** Decompresses (gzip, recognised by its magic bytes) and decodes an object's bytes as UTF-8. */
export function objectText(body: Uint8Array, key: string): string {
  let bytes = body;
  if (body[0] === GZIP_MAGIC[0] && body[1] === GZIP_MAGIC[1]) {
    try {
      bytes = gunzipSync(body);
    } catch (error) {
      throw new ArchiveObjectError(`${key}: not a readable gzip object (${(error as Error).message})`, key, undefined, { cause: error });
    }
  } else if (key.endsWith('.gz')) {
    throw new ArchiveObjectError(`${key}: named .gz but not gzip data`, key);
  }
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}

/** Every change event of an object, in record order. Throws ArchiveObjectError at the first bad line. */
export function decodeArchiveObject(body: Uint8Array, key: string): ArchivedRecord[] {
  let text: string;
  try {
    text = objectText(body, key);
  } catch (error) {
    if (error instanceof ArchiveObjectError) throw error;
    throw new ArchiveObjectError(`${key}: not UTF-8 text`, key, undefined, { cause: error });
  }
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop(); // the delimiter after the last record
  return lines.map((line, index) => {
    const number = index + 1;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new ArchiveObjectError(`${key} line ${number}: not JSON (${(error as Error).message})`, key, number, { cause: error });
    }
    try {
      return { text: line, event: parseChangeEvent(value, `${key} line ${number}`), line: number };
    } catch (error) {
      if (error instanceof ConsumerKitError) throw new ArchiveObjectError(error.message, key, number, { cause: error });
      throw error;
    }
  });
}
