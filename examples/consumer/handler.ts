/**
 * Example consumer Lambda on the dms-event-bus change stream: keeps a read model of every
 * source table in a DynamoDB table, by the merge rule. Records are applied in order; the first
 * that fails is reported to Lambda (ReportBatchItemFailures), which retries from it.
 *
 * In your own project, import the kit as `dms-event-bus/consumer`.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { processKinesisBatch, type KinesisBatchResponse, type LambdaKinesisEvent } from '../../src/consumer';
import { applyToReadModel } from './apply';
import { createDynamoDbStore, type ReadModelStore } from './read-model';

/** Replaceable parts (tests); each defaults to the real one, built on first use. */
export interface ConsumerDeps {
  readonly store?: ReadModelStore;
  readonly logger?: Logger;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

function readModelTable(env: Readonly<Record<string, string | undefined>>): string {
  const name = env.READ_MODEL_TABLE?.trim();
  if (!name) throw new Error('READ_MODEL_TABLE is required but not set');
  return name;
}

/** Builds the handler; nothing is constructed until the first invocation. */
export function createHandler(deps: ConsumerDeps = {}) {
  let wired: { store: ReadModelStore; logger: Logger } | undefined;
  const wire = () => ({
    store: deps.store ?? createDynamoDbStore(new DynamoDBClient({}), readModelTable(deps.env ?? process.env)),
    logger: deps.logger ?? new Logger(),
  });
  return async (event: LambdaKinesisEvent, context: Context): Promise<KinesisBatchResponse> => {
    wired ??= wire();
    const { store, logger } = wired;
    logger.addContext(context);
    const counts: Record<string, number> = {};
    const response = await processKinesisBatch(
      event,
      async ({ event: change }) => {
        const outcome = await applyToReadModel(change, store);
        counts[outcome] = (counts[outcome] ?? 0) + 1;
        if (change.operation === 'unconvertible') logger.warn('unconvertible change on the stream', { table: change.table, error: change.error });
      },
      { onFailure: ({ record, error, unhandled }) => logger.error('record failed; Lambda retries from it', { sequenceNumber: record.kinesis.sequenceNumber, unhandled, error }) },
    );
    logger.info('batch applied', { records: event.Records.length, ...counts });
    return response;
  };
}

export const handler = createHandler();
