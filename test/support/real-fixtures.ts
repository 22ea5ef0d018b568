/**
 * The third-party events in the shared folder `../shared/fixtures/real` (next to the
 * repository; PROVENANCE.md there says where each file comes from). They are read in place,
 * never copied into the project, and found by name pattern, so a new file is covered by the
 * tests that play its kind without any edit here.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { globToRegExp } from '../../src/table-filter';

/** The folder of real fixtures, resolved from this file (test/support/ -> repository -> ..). */
export const REAL_FIXTURES_DIR = path.resolve(__dirname, '../../../shared/fixtures/real');

/** Every name pattern the suite plays; a file matching none of them fails the coverage test. */
export const RealFixtureKind = {
  /** A DynamoDB Streams Lambda event, `{"Records": [...]}`. */
  StreamEvent: 'ddbstream-*.json',
  /** One DynamoDB Streams record without the `Records` wrapper. */
  StreamRecord: 'ddbrecord-*.json',
  /** A CloudTrail log file, `{"Records": [...]}`. */
  CloudTrailLogFile: 'cloudtrail-logfile-*.json',
  /** One CloudTrail record: what EventBridge puts under `detail`. */
  CloudTrailRecord: 'cloudtrail-record-*.json',
  /** A related wire shape that is not a DynamoDB Streams event (a distractor). */
  KinesisWrapped: 'other-kinesis-wrapped-*.json',
} as const;
export type RealFixtureKind = (typeof RealFixtureKind)[keyof typeof RealFixtureKind];

function fixtureNames(): string[] {
  if (!existsSync(REAL_FIXTURES_DIR)) {
    throw new Error(`the real fixtures are missing: expected the shared folder at ${REAL_FIXTURES_DIR} (../shared/fixtures/real from the repository)`);
  }
  return readdirSync(REAL_FIXTURES_DIR).sort();
}

/** File names in the real-fixture folder that match `glob`, sorted. */
export function listRealFixtures(glob: string): string[] {
  const pattern = globToRegExp(glob);
  return fixtureNames().filter((name) => pattern.test(name));
}

/** Every `.json` file in the folder, whatever its name. */
export function listAllRealJsonFixtures(): string[] {
  return listRealFixtures('*.json');
}

/** The parsed JSON of one fixture (a UTF-8 byte order mark, as some SDKs write, is ignored). */
export function readRealFixture<T = unknown>(name: string): T {
  const text = readFileSync(path.join(REAL_FIXTURES_DIR, name), 'utf8');
  return JSON.parse(text.replace(/^\uFEFF/, '')) as T;
}
