/**
 * How long a dead-letter message stays invisible before the next attempt: exponential in
 * the times it was received, so a long Kinesis outage costs few invocations, capped well
 * inside the stream's 24-hour retention so a recovered Kinesis is used soon. The delay is
 * set with SQS ChangeMessageVisibility (at most 12 hours; SQS API reference).
 */
import { ChangeMessageVisibilityCommand, type SQSClient } from '@aws-sdk/client-sqs';

export const BACKOFF = {
  /** Delay after the first failed attempt. */
  baseSeconds: 30,
  /** Longest delay between two attempts while Kinesis (or the stream read) fails. */
  maxSeconds: 900,
  /** A malformed message is looked at again only this rarely (it is alarmed on by queue age). */
  malformedSeconds: 43_200,
} as const;

/** Seconds before attempt `receiveCount + 1` (`receiveCount` >= 1, SQS ApproximateReceiveCount). */
export function retryDelaySeconds(receiveCount: number): number {
  const attempt = Number.isFinite(receiveCount) && receiveCount >= 1 ? Math.floor(receiveCount) : 1;
  return Math.min(BACKOFF.maxSeconds, BACKOFF.baseSeconds * 2 ** Math.min(attempt - 1, 20));
}

/** Port: keeps a received message invisible for `seconds` from now. */
export interface VisibilityPort {
  delay(receiptHandle: string, seconds: number): Promise<void>;
}

export function createSqsVisibility(client: SQSClient, queueUrl: string): VisibilityPort {
  return {
    async delay(receiptHandle, seconds) {
      await client.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }));
    },
  };
}
