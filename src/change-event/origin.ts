/**
 * The source position of a change: the DMS header columns (`$AR_H_COMMIT_TIMESTAMP`,
 * `$AR_H_CHANGE_SEQ`, `$AR_H_TRANSACTION_ID`, `$AR_H_STREAM_POSITION`) that a table-mapping
 * `add-column` rule writes into every item (docs/source-position.md has the mapping).
 *
 * Extraction never fails a record: a value in a form other than the documented one is passed
 * on as text and counted, so an operator sees it on a metric instead of losing a change.
 * This runs for every stream record, so it allocates nothing when the item carries no header.
 */
import type { AttributeMap, AttributeValue } from './attribute-value';
import { Operation, type ChangeFields } from './change-event';
import { writeAttributeValue } from './json-writer';

/** The `origin` object of the change event; each field is null when the item does not carry it. */
export interface Origin {
  /** The source transaction's commit time, ISO 8601 in UTC (sub-millisecond digits kept). */
  readonly commitTime: string | null;
  /** DMS's change sequence, as DMS gives it (orders changes within one DMS task). */
  readonly changeSequence: string | null;
  readonly transactionId: string | null;
  /** The source log position (an LSN, SCN, binlog position, ... depending on the engine). */
  readonly streamPosition: string | null;
}

/** The item attribute that holds each origin field. */
export interface OriginAttributeNames {
  readonly commitTime: string;
  readonly changeSequence: string;
  readonly transactionId: string;
  readonly streamPosition: string;
}

/** The column names the documented DMS table mapping writes (and the template's defaults). */
export const DEFAULT_ORIGIN_ATTRIBUTES: OriginAttributeNames = Object.freeze({
  commitTime: 'dms_commit_timestamp',
  changeSequence: 'dms_change_seq',
  transactionId: 'dms_transaction_id',
  streamPosition: 'dms_stream_position',
});

/** The DMS header expression each origin field is read from (the table mapping's `add-column` rules). */
export const DMS_HEADER_EXPRESSIONS: Readonly<Record<keyof OriginAttributeNames, string>> = Object.freeze({
  commitTime: '$AR_H_COMMIT_TIMESTAMP',
  changeSequence: '$AR_H_CHANGE_SEQ',
  transactionId: '$AR_H_TRANSACTION_ID',
  streamPosition: '$AR_H_STREAM_POSITION',
});

export interface OriginOptions {
  readonly attributes: OriginAttributeNames;
  /** Keep the header attributes in `old`/`new` (default: remove them, so the images equal the source row). */
  readonly keepAttributes: boolean;
}

export const DEFAULT_ORIGIN_OPTIONS: OriginOptions = Object.freeze({ attributes: DEFAULT_ORIGIN_ATTRIBUTES, keepAttributes: false });

/** What extraction found in one image. */
export interface OriginExtraction {
  readonly origin: Origin;
  /** commitTime as epoch milliseconds, when it was a well-formed timestamp (for the lag metrics). */
  readonly commitTimeMs: number | undefined;
  /** How many header values were in an unexpected form (passed through as text). */
  readonly unexpected: number;
}

const NO_ORIGIN: Origin = Object.freeze({ commitTime: null, changeSequence: null, transactionId: null, streamPosition: null });
const NOTHING_FOUND: OriginExtraction = Object.freeze({ origin: NO_ORIGIN, commitTimeMs: undefined, unexpected: 0 });

/** The attribute names of `options`, in a fixed order (the list the JSON writer leaves out). */
export function originAttributeList(attributes: OriginAttributeNames): readonly string[] {
  return Object.freeze([attributes.commitTime, attributes.changeSequence, attributes.transactionId, attributes.streamPosition]);
}

/** True when `image` has at least one of the header attributes. */
export function hasOriginAttribute(image: AttributeMap | null, attributes: OriginAttributeNames): boolean {
  if (image === null) return false;
  return (
    image[attributes.commitTime] !== undefined ||
    image[attributes.changeSequence] !== undefined ||
    image[attributes.transactionId] !== undefined ||
    image[attributes.streamPosition] !== undefined
  );
}

/**
 * DMS's text form of a timestamp: `YYYY-MM-DD HH:MM:SS[.fraction]` (a `T` is accepted for the
 * space), optionally followed by `Z` or a `±HH:MM` offset; without one, the time is UTC.
 */
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeap = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;

// Changes of one transaction share a commit time, and a batch holds many of them: keep the last one.
let lastCommit: { text: string; result: { iso: string; epochMs: number } | undefined } | undefined;

/** A commit timestamp as ISO 8601 UTC with every fractional digit kept, or undefined when it is not one. */
export function normalizeCommitTimestamp(text: string): { iso: string; epochMs: number } | undefined {
  if (lastCommit !== undefined && lastCommit.text === text) return lastCommit.result;
  const result = parseCommitTimestamp(text);
  lastCommit = { text, result };
  return result;
}

/** The digits text[from..to) as a number, or -1 when one of them is not a digit. */
function digitsAt(text: string, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) return -1;
    value = value * 10 + c;
  }
  return value;
}

/**
 * The common form, `YYYY-MM-DD HH:MM:SS[.fraction]` in UTC, read by character positions (no regex,
 * no substrings): this runs for every change. Returns undefined for anything else.
 */
function parseUtcTimestamp(text: string): { iso: string; epochMs: number } | undefined {
  const n = text.length;
  if (n < 19 || n === 20 || n > 29) return undefined;
  const separator = text.charCodeAt(10);
  if (text.charCodeAt(4) !== 0x2d || text.charCodeAt(7) !== 0x2d || (separator !== 0x20 && separator !== 0x54) || text.charCodeAt(13) !== 0x3a || text.charCodeAt(16) !== 0x3a) return undefined;
  if (n > 19 && (text.charCodeAt(19) !== 0x2e || digitsAt(text, 20, n) < 0)) return undefined;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 7);
  const day = digitsAt(text, 8, 10);
  const hour = digitsAt(text, 11, 13);
  const minute = digitsAt(text, 14, 16);
  const second = digitsAt(text, 17, 19);
  if (year < 1000 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  if (day > (month === 2 && isLeap(year) ? 29 : (DAYS_IN_MONTH[month - 1] as number))) return undefined;
  const millis = n === 19 ? 0 : n === 21 ? digitsAt(text, 20, 21) * 100 : n === 22 ? digitsAt(text, 20, 22) * 10 : digitsAt(text, 20, 23);
  const iso = separator === 0x54 ? `${text}Z` : `${text.slice(0, 10)}T${text.slice(11)}Z`;
  return { iso, epochMs: Date.UTC(year, month - 1, day, hour, minute, second) + millis };
}

function parseCommitTimestamp(text: string): { iso: string; epochMs: number } | undefined {
  const fast = parseUtcTimestamp(text);
  if (fast !== undefined) return fast;
  const match = TIMESTAMP.exec(text);
  if (!match) return undefined;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  const hour = Number(match[4]);
  const minute = Number(match[5]);
  const second = Number(match[6]);
  const fraction = match[7];
  const zone = match[8];
  // Checked by hand rather than by Date's rollover (2026-02-30 would become March 2).
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  if (day > (month === 2 && isLeap(year) ? 29 : (DAYS_IN_MONTH[month - 1] as number))) return undefined;
  let offsetMs = 0;
  if (zone !== undefined && zone !== 'Z') {
    const digits = zone.replace(':', '');
    const hours = Number(digits.slice(1, 3));
    const minutes = Number(digits.slice(3, 5));
    if (hours > 23 || minutes > 59) return undefined;
    offsetMs = (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes) * 60_000;
  }
  const utcSeconds = Date.UTC(year, month - 1, day, hour, minute, second) - offsetMs;
  const millis = fraction === undefined ? 0 : Number(fraction.length >= 3 ? fraction.slice(0, 3) : fraction.padEnd(3, '0'));
  // The usual case (UTC, four-digit year): the text itself is the ISO form, so no Date is formatted.
  // Offsets are whole minutes, so the fraction carries over unchanged.
  const base = offsetMs === 0 && year >= 1000 ? `${text.slice(0, 10)}T${text.slice(11, 19)}` : new Date(utcSeconds).toISOString().slice(0, 19);
  return { iso: fraction === undefined ? `${base}Z` : `${base}.${fraction}Z`, epochMs: utcSeconds + millis };
}

/** A header value as text: S as is; any other type as its event JSON text (unexpected). */
const ABSENT = Object.freeze({ text: null, unexpected: false });

function headerText(value: AttributeValue | undefined): { text: string | null; unexpected: boolean } {
  if (value === undefined) return ABSENT;
  if (value === null || typeof value !== 'object') return { text: null, unexpected: true };
  if (typeof value.S === 'string') return value.S === '' ? ABSENT : { text: value.S, unexpected: false };
  if (value.NULL === true) return ABSENT;
  if (typeof value.N === 'string') return { text: value.N, unexpected: true };
  try {
    return { text: writeAttributeValue(value), unexpected: true };
  } catch {
    return { text: JSON.stringify(value) ?? null, unexpected: true };
  }
}

const DIGITS = /^\d+$/;

/**
 * Reads the origin from an image (the new image, or the old one for a remove). Empty strings
 * are null: DMS writes them for the headers it has no value for (during the full load).
 */
export function extractOrigin(image: AttributeMap | null, attributes: OriginAttributeNames): OriginExtraction {
  if (!hasOriginAttribute(image, attributes)) return NOTHING_FOUND;
  const item = image as AttributeMap;
  let unexpected = 0;
  const commit = headerText(item[attributes.commitTime]);
  let commitTime = commit.text;
  let commitTimeMs: number | undefined;
  if (commit.unexpected) unexpected++;
  else if (commitTime !== null) {
    const normalized = normalizeCommitTimestamp(commitTime);
    if (normalized) {
      commitTime = normalized.iso;
      commitTimeMs = normalized.epochMs;
    } else {
      unexpected++;
    }
  }
  const sequence = headerText(item[attributes.changeSequence]);
  if (sequence.unexpected || (sequence.text !== null && !DIGITS.test(sequence.text))) unexpected++;
  const transaction = headerText(item[attributes.transactionId]);
  if (transaction.unexpected) unexpected++;
  const position = headerText(item[attributes.streamPosition]);
  if (position.unexpected) unexpected++;
  return {
    origin: { commitTime, changeSequence: sequence.text, transactionId: transaction.text, streamPosition: position.text },
    commitTimeMs,
    unexpected,
  };
}

/** Options plus the precomputed list of names to leave out of the images (built once per container). */
export interface CompiledOriginOptions extends OriginOptions {
  readonly attributeList: readonly string[];
}

export function compileOriginOptions(options: OriginOptions = DEFAULT_ORIGIN_OPTIONS): CompiledOriginOptions {
  return { ...options, attributeList: originAttributeList(options.attributes) };
}

/**
 * Fills `fields.origin` from the new image (the old one for a remove) and, unless the header
 * attributes are kept, makes the encoder leave them out of both images (the old image carries
 * the previous change's headers). Keys are never touched: DMS writes the headers as non-key
 * columns, and a key attribute must stay in `keys` whatever its name.
 */
export function applyOrigin(fields: ChangeFields, options: CompiledOriginOptions): OriginExtraction {
  const image = fields.operation === Operation.Remove ? fields.oldImage : fields.newImage;
  const extraction = extractOrigin(image, options.attributes);
  fields.origin = extraction.origin;
  if (!options.keepAttributes && (extraction !== NOTHING_FOUND || hasOriginAttribute(fields.oldImage, options.attributes))) {
    fields.omitFromImages = options.attributeList;
  }
  return extraction;
}
