/**
 * DescribeTable as eventually consistent as AWS documents it: "DescribeTable uses an
 * eventually consistent query" (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DescribeTable.html;
 * read consistency: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.ReadConsistency.html).
 * Emulators answer every read with the latest state; this wrapper around a TablePort
 * (the in-memory fake's or the real adapter on moto) answers DescribeTable with the table
 * as it was before the last change for `staleMs` after it: after UpdateTable through the
 * port, and after a change the test makes itself (`beforeChange`, e.g. DROP_AND_CREATE).
 */
import type { ObservedTable } from '../../reconciler/model';
import type { Clock, TablePort } from '../../reconciler/ports';

export interface StaleReadTablePort extends TablePort {
  /** Call before changing `tableName` outside the port: DescribeTable then shows today's state for `staleMs`. */
  beforeChange(tableName: string): Promise<void>;
  /** DescribeTable answers that were stale (the previous state while the table had changed). */
  readonly staleAnswers: number;
}

export function withStaleDescribeTable(port: TablePort, clock: Pick<Clock, 'now'>, staleMs: number): StaleReadTablePort {
  const previous = new Map<string, { view: ObservedTable | null; until: number }>();
  let staleAnswers = 0;

  async function beforeChange(tableName: string): Promise<void> {
    previous.set(tableName, { view: await port.describeTable(tableName), until: clock.now() + staleMs });
  }

  return {
    ...port,
    beforeChange,
    get staleAnswers() {
      return staleAnswers;
    },
    async describeTable(tableName) {
      const stale = previous.get(tableName);
      if (stale && clock.now() < stale.until) {
        staleAnswers += 1;
        return structuredClone(stale.view);
      }
      return port.describeTable(tableName);
    },
    async enableStream(tableName, viewType) {
      await beforeChange(tableName);
      return port.enableStream(tableName, viewType);
    },
    async disableStream(tableName) {
      await beforeChange(tableName);
      return port.disableStream(tableName);
    },
    async setBillingMode(tableName, billingMode) {
      await beforeChange(tableName);
      return port.setBillingMode(tableName, billingMode);
    },
  };
}
