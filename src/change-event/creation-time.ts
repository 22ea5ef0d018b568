/**
 * Reads a stream record's `ApproximateCreationDateTime` into the ISO 8601 text of the
 * event's `approximateCreationTime`, which the schema declares `format: date-time`
 * (RFC 3339: a four-digit year, so nothing before 0000 or after 9999).
 *
 * DynamoDB Streams documents the value as UNIX epoch time rounded down to the second
 * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_StreamRecord.html),
 * and Lambda's Node.js runtime hands it over as whatever number `JSON.parse` made of it.
 * Real events and SDK samples also carry epoch milliseconds (the .NET "with-ms" sample,
 * Kinesis Data Streams for DynamoDB), epoch microseconds (that format's MICROSECOND precision,
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_EnableKinesisStreamingConfiguration.html),
 * E-notation (`1.44130524E9`) and fractions (`1693997155.0`, `1.635734407123456789E9`).
 *
 * The unit is read from the magnitude: each unit's window covers 1970 to 5138, so no two
 * overlap and none reaches past the year 9999:
 * - below 1e11: seconds (1e11 s is the year 5138; DynamoDB Streams started in 2014);
 * - from 1e11 to below 1e14: milliseconds (1e11 ms is 1973-03-03);
 * - from 1e14 to below 1e17: microseconds.
 * Fractions are kept to the millisecond (rounded). Anything else (negative, not finite,
 * 1e17 and above, a string that is neither a JSON number nor an RFC 3339 date-time, an
 * invalid Date) is not a time this codec can read: it throws MalformedInputError, like every
 * other malformed field of a record, so the forwarder reports the record instead of
 * publishing an event with an invented or schema-breaking time.
 */
import { MalformedInputError } from '../errors';

/** Upper bounds (exclusive) of the seconds, milliseconds and microseconds windows. */
export const CreationTimeWindow = {
  SecondsBelow: 1e11,
  MillisecondsBelow: 1e14,
  MicrosecondsBelow: 1e17,
} as const;

/** A JSON number's text (RFC 8259 section 6), for strings that carry a number. */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
/** An RFC 3339 date-time with an explicit offset. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;
/** 9999-12-31T23:59:59.999Z: the last instant with a four-digit year. */
const LAST_MS = 253_402_300_799_999;

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof Date || typeof value === 'number') return String(value);
  try {
    return JSON.stringify(value) ?? typeof value;
  } catch {
    return typeof value;
  }
}

function unreadable(value: unknown, why: string): MalformedInputError {
  return new MalformedInputError(`ApproximateCreationDateTime is not a time: ${describe(value)} (${why})`);
}

/** Epoch milliseconds of an epoch number in seconds, milliseconds or microseconds. */
export function epochNumberToMs(value: number): number {
  if (!Number.isFinite(value)) throw unreadable(value, 'not a finite number');
  if (value < 0) throw unreadable(value, 'before 1970');
  if (value < CreationTimeWindow.SecondsBelow) return Math.round(value * 1000);
  if (value < CreationTimeWindow.MillisecondsBelow) return Math.round(value);
  if (value < CreationTimeWindow.MicrosecondsBelow) return Math.round(value / 1000);
  throw unreadable(value, `too large for epoch seconds, milliseconds or microseconds (at least ${CreationTimeWindow.MicrosecondsBelow})`);
}

function checkedIso(ms: number, value: unknown): string {
  if (Number.isNaN(ms)) throw unreadable(value, 'not a date');
  if (ms < 0 || ms > LAST_MS) throw unreadable(value, 'outside the years 1970 to 9999');
  return new Date(ms).toISOString();
}

// A batch comes from one stream, so the same creation second repeats record after record.
let last: { value: number; iso: string } | undefined;

/**
 * The ISO 8601 text of an `ApproximateCreationDateTime` (see the module comment for what is
 * read how); null when the record has none. Throws MalformedInputError for an unreadable value.
 */
export function creationTimeToIso(value: number | Date | string | undefined | null): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') {
    if (last !== undefined && last.value === value) return last.iso;
    const iso = checkedIso(epochNumberToMs(value), value);
    last = { value, iso };
    return iso;
  }
  if (value instanceof Date) return checkedIso(value.getTime(), value);
  if (typeof value === 'string') {
    if (JSON_NUMBER.test(value)) return checkedIso(epochNumberToMs(Number(value)), value);
    if (RFC3339.test(value)) return checkedIso(Date.parse(value), value);
    throw unreadable(value, 'neither a JSON number nor an RFC 3339 date-time');
  }
  throw unreadable(value, `a ${typeof value}, not a number`);
}
