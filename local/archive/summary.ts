/**
 * The archive part of the `npm start` summary: what the Firehose stand-in wrote, and the
 * commands that query and replay it. Pure formatting, plus waiting for the stand-in to catch up.
 *
 * Development tooling only: never bundled into a Lambda function.
 */
import type { LocalFirehose } from './firehose';

/**
 * Waits until the stand-in has read everything on the stream (at least `minimum` records, then
 * nothing new for `quietMs`), then flushes it.
 */
export async function settleArchive(archive: LocalFirehose, options: { minimum?: number; quietMs?: number; timeoutMs?: number } = {}): Promise<void> {
  const quietMs = options.quietMs ?? 1_500;
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let last = -1;
  let since = Date.now();
  while (Date.now() < deadline) {
    const received = archive.stats().received;
    if (received !== last) {
      last = received;
      since = Date.now();
    } else if (received >= (options.minimum ?? 0) && Date.now() - since >= quietMs) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await archive.flush();
}

export function formatArchiveSummary(archive: LocalFirehose, tables: readonly string[]): string {
  const stats = archive.stats();
  const root = `s3://${archive.bucket}/${archive.config.prefix.split('table=')[0]}`;
  const example = tables[0] ?? '<table>';
  return [
    '',
    'Archive (Firehose stand-in: the template\'s prefix, JQ query, newline delimiter, gzip)',
    `  ${stats.records} events -> ${stats.objects} objects, ${stats.bytes} bytes gzip (${stats.uncompressedBytes} bytes of JSON lines) under ${root}${stats.errorRecords > 0 ? `; ${stats.errorRecords} records under the error prefix` : ''}`,
    `  latest state of a table (DuckDB, docs/sql/latest-state.duckdb.sql):  npx tsx local/archive/query.ts --table ${example}`,
    `  replay it:  npx dms-event-bus replay --local --from ${root} --table ${example} --json`,
    '',
  ].join('\n');
}
