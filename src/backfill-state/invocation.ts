/**
 * Parsing and sending the snapshot function's invocation payload. The reconciler's starter
 * sends it to start a run, the snapshot function to itself to continue one.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { MalformedInputError } from '../errors';
import { translateAwsError } from './errors';
import type { BackfillInvocation, BackfillInvoker } from './ports';

/** Validates a `{"action":"backfill", ...}` payload. */
export function parseBackfillInvocation(event: unknown): BackfillInvocation {
  if (typeof event !== 'object' || event === null) throw new MalformedInputError('backfill invocation must be a JSON object');
  const record = event as Record<string, unknown>;
  if (record.action !== 'backfill') throw new MalformedInputError(`backfill invocation needs "action":"backfill", got ${JSON.stringify(record.action)}`);
  if (typeof record.tableName !== 'string' || record.tableName.length === 0) {
    throw new MalformedInputError('backfill invocation needs a non-empty string "tableName"');
  }
  if (record.runId !== undefined && (typeof record.runId !== 'string' || record.runId.length === 0)) {
    throw new MalformedInputError('backfill invocation "runId" must be a non-empty string when present');
  }
  if (record.force !== undefined && typeof record.force !== 'boolean') throw new MalformedInputError('backfill invocation "force" must be a boolean');
  return {
    action: 'backfill',
    tableName: record.tableName,
    ...(record.runId === undefined ? {} : { runId: record.runId as string }),
    ...(record.force === undefined ? {} : { force: record.force as boolean }),
  };
}

/** Hands a run to an asynchronous (InvocationType Event) invocation of `functionName`. */
export function createLambdaInvoker(client: LambdaClient, functionName: string): BackfillInvoker {
  return {
    async invoke(payload) {
      try {
        await client.send(
          new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: new TextEncoder().encode(JSON.stringify(payload)) }),
        );
      } catch (error) {
        throw translateAwsError(error, `invoking ${functionName} to run the backfill of ${payload.tableName}`);
      }
    },
  };
}
