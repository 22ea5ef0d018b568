/**
 * Runs the documented latest-state query (docs/sql/latest-state.duckdb.sql) on the local
 * archive: the table's objects are copied from (local) S3 into a temporary folder with their
 * keys, and DuckDB reads them there exactly as it would read the bucket.
 *
 *   npx tsx local/archive/query.ts --table dms_orders      (uses .local-aws/env from npm start)
 *
 * Development tooling only: never bundled into a Lambda function.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import type { S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { createS3ArchiveSource } from '../../src/archive';

/** The query file the docs show and the tests run. */
export const LATEST_STATE_SQL = join(__dirname, '..', '..', 'docs', 'sql', 'latest-state.duckdb.sql');

export interface LatestStateRow {
  readonly item_key: string;
  readonly keys: Record<string, unknown>;
  readonly item: Record<string, unknown>;
  readonly incomplete: boolean;
}

/** Runs the latest-state query over an archive root folder (the folder holding table=.../). */
export async function latestStateFromFolder(archiveRoot: string, table: string): Promise<LatestStateRow[]> {
  const sql = readFileSync(LATEST_STATE_SQL, 'utf8').replaceAll('{{archive}}', archiveRoot).replaceAll('{{table}}', table.replaceAll("'", "''"));
  const connection = await (await DuckDBInstance.create(':memory:')).connect();
  try {
    const rows = (await connection.runAndReadAll(sql)).getRowObjectsJson() as { item_key: string; keys: string; item: string; incomplete: boolean }[];
    return rows.map((row) => ({ ...row, keys: JSON.parse(row.keys), item: JSON.parse(row.item) }));
  } finally {
    connection.closeSync();
  }
}

/** Copies `s3://bucket/<root>/table=<table>/` to a temporary folder and runs the query there. */
export async function latestStateFromS3(s3: S3Client, bucket: string, table: string, root = 'changes/'): Promise<LatestStateRow[]> {
  const source = createS3ArchiveSource(s3);
  const folder = mkdtempSync(join(tmpdir(), 'dms-archive-'));
  try {
    const keys = await source.listKeys(bucket, `${root}table=${table}/`);
    if (keys.length === 0) return [];
    for (const key of keys) {
      const file = join(folder, key);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, await source.getObject(bucket, key));
    }
    return await latestStateFromFolder(join(folder, root.replace(/\/$/, '')), table);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { table: { type: 'string' }, bucket: { type: 'string' } }, strict: true });
  if (!values.table) throw new Error('usage: npx tsx local/archive/query.ts --table <table> [--bucket <bucket>]');
  const envFile = join('.local-aws', 'env');
  if (!process.env.AWS_ENDPOINT_URL_S3 && existsSync(envFile)) {
    const { parseEnvFile } = await import('../../cli/main');
    Object.assign(process.env, parseEnvFile(readFileSync(envFile, 'utf8')));
  }
  const { createS3Client } = await import('../../src/archive/s3-client');
  const { LOCAL_ARCHIVE_BUCKET } = await import('./names');
  const rows = await latestStateFromS3(createS3Client(), values.bucket ?? LOCAL_ARCHIVE_BUCKET, values.table);
  for (const row of rows) process.stdout.write(`${JSON.stringify({ keys: row.keys, item: row.item, ...(row.incomplete ? { incomplete: true } : {}) })}\n`);
  process.stderr.write(`${rows.length} items in ${values.table} (latest state from the archive, docs/sql/latest-state.duckdb.sql)\n`);
}

if (require.main === module) {
  main().then(
    () => setTimeout(() => process.exit(0), 100).unref(),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
