/**
 * Waiting in the operator: backoff between attempts, retries of reads outside a table's
 * reconcile, and waiting for a table to become ACTIVE before a deadline.
 */
import { AwsCallError, ErrorKind } from './errors';
import type { ObservedTable } from './model';
import type { Clock, TablePort } from './ports';

/** Attempts per table reconcile (and per retried read). */
export const MAX_ATTEMPTS = 5;
const BASE_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 5_000;
const ACTIVE_POLL_MS = [500, 1_000, 2_000, 3_000, 5_000];

/** Raised when the table did not become ACTIVE before the deadline. */
export class NotReadyInTime extends Error {
  override readonly name = 'NotReadyInTime';
}

/** Sleeps with equal jitter, doubling per attempt up to a cap. */
export async function backoff(clock: Clock, attempt: number): Promise<void> {
  const cap = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** attempt);
  await clock.sleep(cap / 2 + Math.random() * (cap / 2));
}

/** Retries transient failures of a read that is not part of a table's reconcile (snapshot, ListTables). */
export async function withRetry<T>(clock: Clock, call: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof AwsCallError && error.kind === ErrorKind.Retryable) || attempt + 1 >= MAX_ATTEMPTS) throw error;
      await backoff(clock, attempt);
    }
  }
}

/** Polls DescribeTable until the table is ACTIVE, DELETING or gone; {@link NotReadyInTime} past the deadline. */
export async function waitUntilActive(tables: TablePort, clock: Clock, tableName: string, deadline: number): Promise<ObservedTable | null> {
  for (let i = 0; ; i++) {
    const table = await tables.describeTable(tableName);
    if (!table || table.status === 'ACTIVE' || table.status === 'DELETING') return table;
    const delay = ACTIVE_POLL_MS[Math.min(i, ACTIVE_POLL_MS.length - 1)]!;
    if (clock.now() + delay > deadline) throw new NotReadyInTime(`table ${tableName} is ${table.status}`);
    await clock.sleep(delay);
  }
}

/**
 * Polls DescribeTable until it names an enabled stream other than `previousArn`: the
 * fallback when UpdateTable's response did not name the new stream. DescribeTable is
 * eventually consistent and may still describe the previous stream for a few seconds
 * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DescribeTable.html).
 */
export async function waitForNewStream(tables: TablePort, clock: Clock, tableName: string, previousArn: string | undefined, deadline: number): Promise<string> {
  for (let i = 0; ; i++) {
    const stream = (await tables.describeTable(tableName))?.stream;
    if (stream?.enabled && stream.latestArn && stream.latestArn !== previousArn) return stream.latestArn;
    const delay = ACTIVE_POLL_MS[Math.min(i, ACTIVE_POLL_MS.length - 1)]!;
    if (clock.now() + delay > deadline) throw new NotReadyInTime(`table ${tableName}: the new stream is not visible yet`);
    await clock.sleep(delay);
  }
}
