/**
 * Where the archive keeps what: object keys as Firehose writes them with the template's
 * Hive-style prefix, `.../table=<table>/date=<yyyy-mm-dd>/<stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid>.gz`.
 * Pure: which listed objects a replay reads, and in which order.
 */
import { MalformedInputError } from '../errors';

/** The partition values encoded in an archive object's key. */
export interface ArchiveKey {
  readonly key: string;
  readonly table: string;
  /** UTC date of the changes in the object, `yyyy-mm-dd`. */
  readonly date: string;
}

/** `table=<t>/date=<d>/<file>` at the end of a key (any root prefix before it). */
const PARTITIONED_KEY = /(?:^|\/)table=([^/]+)\/date=(\d{4}-\d{2}-\d{2})\/[^/]+$/;

/** The partition values of a key, or undefined when the key is not in the archive's layout. */
export function parseArchiveKey(key: string): ArchiveKey | undefined {
  const match = PARTITIONED_KEY.exec(key);
  if (!match) return undefined;
  return { key, table: decodeURIComponent(match[1]!), date: match[2]! };
}

/** Which objects to read: one table, and a range of change dates (both ends included). */
export interface ArchiveFilter {
  readonly table?: string;
  readonly since?: string;
  readonly until?: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Checks a `--since` / `--until` value: a calendar date `yyyy-mm-dd` (UTC, as in the partitions). */
export function parseArchiveDate(value: string, option: string): string {
  if (!DATE.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`)) || new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value) {
    throw new MalformedInputError(`${option} must be a date yyyy-mm-dd (UTC, like the archive's date= partitions), got "${value}"`);
  }
  return value;
}

/** Byte-wise comparison of UTF-8 keys: the order S3 lists them in. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** The outcome of selecting objects from a listing. */
export interface ArchiveSelection {
  /** Objects to read, in key order (table, then date, then delivery time). */
  readonly objects: readonly ArchiveKey[];
  /** Listed keys outside the archive layout (a replay refuses to guess what they hold). */
  readonly foreign: readonly string[];
}

/** Selects and orders the objects of a listing that match the filter. */
export function selectArchiveObjects(keys: Iterable<string>, filter: ArchiveFilter = {}): ArchiveSelection {
  const objects: ArchiveKey[] = [];
  const foreign: string[] = [];
  for (const key of keys) {
    if (key.endsWith('/')) continue; // a folder marker (console-created), holds no data
    const parsed = parseArchiveKey(key);
    if (!parsed) {
      foreign.push(key);
      continue;
    }
    if (filter.table !== undefined && parsed.table !== filter.table) continue;
    if (filter.since !== undefined && parsed.date < filter.since) continue;
    if (filter.until !== undefined && parsed.date > filter.until) continue;
    objects.push(parsed);
  }
  objects.sort((a, b) => compareKeys(a.key, b.key));
  return { objects, foreign: foreign.sort(compareKeys) };
}

/** `s3://bucket/prefix` split into its parts. */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!match || !/^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$/.test(match[1]!)) {
    throw new MalformedInputError(`--from must be s3://BUCKET/PREFIX (for example s3://my-archive/changes/), got "${url}"`);
  }
  return { bucket: match[1]!, prefix: match[2]! };
}
