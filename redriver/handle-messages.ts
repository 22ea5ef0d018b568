/**
 * One SQS batch of dead-letter messages: redrive each, in order, and answer with Lambda's
 * SQS partial batch response, so only the messages whose range is entirely on Kinesis (or
 * whose loss is announced) are deleted. A kept message is made invisible for a backoff
 * (ChangeMessageVisibility), so a long Kinesis outage is retried calmly, not in a loop.
 * Partial batch response: https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { describeError } from '../src/errors';
import { BACKOFF, retryDelaySeconds, type VisibilityPort } from './backoff';
import { redriveMessage, RedriveOutcome, RedriverMetric, type RedriveDeps } from './redrive';

export interface HandleDeps extends RedriveDeps {
  readonly visibility: VisibilityPort;
}

export async function handleMessages(records: readonly SQSRecord[], deps: HandleDeps, options: { deadline?: number } = {}): Promise<SQSBatchResponse> {
  const now = deps.now ?? Date.now;
  const failures: { itemIdentifier: string }[] = [];
  for (const record of records) {
    if (options.deadline !== undefined && now() >= options.deadline) {
      // Out of time: not attempted, kept as it is (it becomes visible again after the queue's visibility timeout).
      failures.push({ itemIdentifier: record.messageId });
      continue;
    }
    const outcome = await redriveMessage(record.body, deps, { deadline: options.deadline });
    if (outcome.done) continue;
    failures.push({ itemIdentifier: record.messageId });
    deps.metrics.add(RedriverMetric.MessagesKept);
    const seconds = outcome.outcome === RedriveOutcome.Malformed ? BACKOFF.malformedSeconds : retryDelaySeconds(Number(record.attributes?.ApproximateReceiveCount ?? 1));
    try {
      await deps.visibility.delay(record.receiptHandle, seconds);
    } catch (error) {
      // The message is still kept; it only comes back sooner (after the queue's visibility timeout).
      deps.logger.warn('could not delay the kept message', { messageId: record.messageId, error: describeError(error) });
    }
  }
  return { batchItemFailures: failures };
}
