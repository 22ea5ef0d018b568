/** The Lambda Context an in-process invocation gets (poller and Lambda front alike). */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/** Lambda's Context for one in-process invocation of `name`. */
export function localContext(name: string, arn: string, timeoutMs = 900_000): Context {
  const started = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: arn,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (Date.now() - started)),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
