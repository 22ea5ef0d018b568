/**
 * `dms-event-bus redrive [--dry-run]`: by hand what the redriver function does on its own.
 * Receives every message of the forwarder's dead-letter queue (--queue-url or
 * FORWARDER_DLQ_URL), redrives each range through the same code as the function, deletes a
 * message only once its range is on Kinesis (or its loss is announced), and hands every other
 * message back to the queue. Prints one line per message; exits 1 when any range was not
 * redriven. --dry-run reads and converts, and changes nothing (no publish, no announcement,
 * no delete).
 */
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { createDynamoDbStreamsClient, createEventBridgeClient, createKinesisClient, createSqsClient } from '../../src/aws/clients';
import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { createKinesisPort, createPublisher } from '../../src/publisher';
import { createEventBridgeLossAnnouncer } from '../../redriver/announcer';
import { createStreamRangeReader } from '../../redriver/range-reader';
import { redriveMessage, RedriveOutcome, type RedriveDeps, type RedriveResult } from '../../redriver/redrive';
import { UserFacingError } from '../errors';

export interface RedriveCommandInput {
  readonly queueUrl?: string;
  readonly streamName?: string;
  readonly dryRun: boolean;
  readonly json: boolean;
  readonly verbose?: boolean;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** What the command needs from AWS; tests pass their own. */
export interface RedriveCommandDeps {
  readonly sqs: SQSClient;
  readonly redrive: RedriveDeps;
}

/** Seconds a received message stays invisible while this command works on it. */
const WORK_VISIBILITY_SECONDS = 300;

const isMissingQueue = (error: unknown) => /NonExistentQueue|QueueDoesNotExist/.test((error as { name?: string })?.name ?? '');

function defaultDeps(input: RedriveCommandInput, streamName: string | undefined): RedriveCommandDeps {
  const write = input.verbose ? (line: string) => input.err(line) : () => undefined;
  const maxRecordBytes = Number(input.env.MAX_RECORD_SIZE_BYTES ?? 1_048_576);
  const publisher = streamName
    ? createPublisher({ port: createKinesisPort({ client: createKinesisClient(), streamName }), limits: { maxRecordBytes } })
    : { publish: () => Promise.reject(new UserFacingError('Which stream? Pass --stream-name <name> or set KINESIS_STREAM_NAME.')) };
  return {
    sqs: createSqsClient(),
    redrive: {
      reader: createStreamRangeReader(createDynamoDbStreamsClient()),
      publisher,
      announcer: createEventBridgeLossAnnouncer(createEventBridgeClient(), input.env.EVENT_BUS_NAME ?? 'default'),
      logger: createLogger({ service: 'cli', write }),
      metrics: createMetrics({ service: 'cli', write: () => undefined }),
      maxRecordBytes,
    },
  };
}

/** The line printed for one message. */
export function formatRedriveLine(messageId: string, result: RedriveResult, dryRun: boolean): string {
  const p = result.pointer;
  const range = p ? `${p.tableName} ${p.shardId} ${p.startSequenceNumber}..${p.endSequenceNumber}` : `message ${messageId}`;
  const markers = result.unconvertible > 0 ? ` (${result.unconvertible} unconvertible, published as markers)` : '';
  switch (result.outcome) {
    case RedriveOutcome.Redriven:
      return dryRun ? `would redrive ${range}: ${result.records} records${markers}` : `redriven     ${range}: ${result.records} records${markers}`;
    case RedriveOutcome.Lost:
      return dryRun
        ? `LOST         ${range}: ${p?.batchSize ?? '?'} records no longer on the stream (${result.lossReason}); a real run announces Changes Lost`
        : `LOST         ${range}: ${p?.batchSize ?? '?'} records no longer on the stream (${result.lossReason}); Changes Lost announced, the table will be healed`;
    case RedriveOutcome.Retry:
      return `not redriven ${range}: ${result.error ?? 'failed'}; the message stays on the queue`;
    case RedriveOutcome.Malformed:
      return `malformed    message ${messageId}: ${result.error ?? 'not an on-failure record'}; the message stays on the queue`;
  }
}

async function receive(sqs: SQSClient, queueUrl: string): Promise<Message[]> {
  try {
    const page = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: WORK_VISIBILITY_SECONDS, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
    );
    return page.Messages ?? [];
  } catch (error) {
    if (isMissingQueue(error)) throw new UserFacingError(`Queue ${queueUrl} not found (check --queue-url / FORWARDER_DLQ_URL: the stack output ForwarderDeadLetterQueueUrl).`);
    throw error;
  }
}

/** Runs the command; returns the exit code. */
export async function runRedriveCommand(input: RedriveCommandInput, deps?: RedriveCommandDeps): Promise<number> {
  const queueUrl = input.queueUrl ?? input.env.FORWARDER_DLQ_URL;
  if (!queueUrl) throw new UserFacingError('Which queue? Pass --queue-url <url> or set FORWARDER_DLQ_URL (the stack output ForwarderDeadLetterQueueUrl).');
  const streamName = input.streamName ?? input.env.KINESIS_STREAM_NAME;
  if (!input.dryRun && !streamName && !deps) throw new UserFacingError('Which stream? Pass --stream-name <name> or set KINESIS_STREAM_NAME.');
  const { sqs, redrive } = deps ?? defaultDeps(input, streamName);
  const seen = new Set<string>();
  const handBack: string[] = [];
  const results: { messageId: string; result: RedriveResult }[] = [];
  try {
    for (;;) {
      const messages = (await receive(sqs, queueUrl)).filter((message) => message.MessageId && !seen.has(message.MessageId));
      if (messages.length === 0) break;
      for (const message of messages) {
        const messageId = message.MessageId as string;
        seen.add(messageId);
        const result = await redriveMessage(message.Body ?? '', redrive, { dryRun: input.dryRun });
        results.push({ messageId, result });
        if (!input.json) input.out(formatRedriveLine(messageId, result, input.dryRun));
        if (result.done && !input.dryRun) await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
        else if (message.ReceiptHandle) handBack.push(message.ReceiptHandle);
      }
    }
  } finally {
    // Everything not deleted goes back to the queue at once (for the redriver function or the next run).
    for (const receiptHandle of handBack) {
      await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: 0 })).catch(() => undefined);
    }
  }
  const count = (outcome: string) => results.filter(({ result }) => result.outcome === outcome).length;
  const records = results.reduce((sum, { result }) => sum + (result.outcome === RedriveOutcome.Redriven ? result.records : 0), 0);
  if (input.json) {
    input.out(JSON.stringify({ queueUrl, dryRun: input.dryRun, messages: results.map(({ messageId, result }) => ({ messageId, ...result })) }, null, 2));
  } else {
    input.out(
      `${results.length} message(s): ${count(RedriveOutcome.Redriven)} ${input.dryRun ? 'redrivable' : 'redriven'} (${records} records), ${count(RedriveOutcome.Lost)} lost, ` +
        `${count(RedriveOutcome.Retry)} not redriven, ${count(RedriveOutcome.Malformed)} malformed${input.dryRun ? ' (dry run: nothing changed)' : ''}`,
    );
  }
  return results.every(({ result }) => result.outcome === RedriveOutcome.Redriven) ? 0 : 1;
}
