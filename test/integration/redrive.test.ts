/**
 * Nothing lost, on the emulators (moto + kinesis-mock) with the local poller standing in for
 * Lambda's mappings: Kinesis refuses every request for longer than the mapping's retries
 * allow, so the mapping puts the ranges' pointers on the dead-letter queue; while Kinesis
 * still refuses, the redriver keeps every message; once it recovers (and later changes of the
 * same items have already gone through), the redriver puts every lost change on Kinesis and
 * the queue empties, and a consumer following the merge rule ends equal to a Scan. A poison
 * record in a batch becomes one marker in place and holds nothing back.
 */
import { DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { ChangeMessageVisibilityCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { createHandler as createRedriver } from '../../redriver';
import { createDynamoDbClient, createKinesisClient } from '../../src/aws/clients';
import { loadRedriverConfig } from '../../src/config/redriver';
import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { createPublisher } from '../../src/publisher';
import { localContext } from '../../local/poller';
import { useLocalAws } from '../support/local-aws';
import { Materializer } from '../../src/consumer';
import { itemSet } from '../support/merge-rule';
import { eventually, startForwarderPipeline, type ForwarderPipeline } from '../support/forwarder-pipeline';
import { deliverOnce, queueDepth, readAllEvents, scanTable } from '../support/redrive-harness';

jest.setTimeout(180_000);
const localAws = useLocalAws();

describe('nothing lost when retries run out', () => {
  let pipeline: ForwarderPipeline;
  beforeAll(async () => {
    pipeline = await startForwarderPipeline(localAws(), { maxRecordBytes: 2_048 });
  });
  afterAll(async () => pipeline?.stop());

  const put = (table: string, id: string, v: number) => createDynamoDbClient().send(new PutItemCommand({ TableName: table, Item: { id: { S: id }, v: { N: String(v) }, tag: { S: `t${v}` } } }));
  const remove = (table: string, id: string) => createDynamoDbClient().send(new DeleteItemCommand({ TableName: table, Key: { id: { S: id } } }));

  it('redrives every change once Kinesis recovers, empties the queue, and the merge rule ends equal to a Scan', async () => {
    // Prepare: 3 changes before the outage, 36 during it (puts, overwrites, deletes of 8 items)
    const { stack, poller, port, sqs } = pipeline;
    await pipeline.tableWithMapping('accounts');
    for (let i = 0; i < 3; i++) await put('accounts', `k${i}`, i);
    await eventually(() => (poller.stats().recordsProcessed >= 3 ? true : undefined));
    port.outage.down = true;
    const discardedBefore = poller.stats().recordsDiscarded;
    for (let i = 0; i < 36; i++) {
      if (i % 7 === 6) await remove('accounts', `k${(i - 1) % 8}`); // the item written just before: every delete is a stream record
      else await put('accounts', `k${i % 8}`, 100 + i);
    }
    await eventually(() => (poller.stats().recordsDiscarded - discardedBefore >= 36 ? true : undefined));
    const pointers = (await queueDepth(sqs, stack.forwarderDlqUrl)).visible;

    const emf: Record<string, number>[] = [];
    const redriverMetrics = createMetrics({ service: 'redriver', write: (line) => void emf.push(JSON.parse(line)) });
    const total = (name: string) => emf.reduce((sum, line) => sum + (line[name] ?? 0), 0);
    const redriver = createRedriver({
      config: loadRedriverConfig({ DEAD_LETTER_QUEUE_URL: stack.forwarderDlqUrl, KINESIS_STREAM_NAME: stack.streamName }),
      publisher: createPublisher({ port, maxAttempts: 2, baseDelayMs: 1 }),
      logger: createLogger({ service: 'redriver', write: () => undefined }),
      metrics: redriverMetrics,
      // The real ChangeMessageVisibility, with the backoff scaled from seconds-to-minutes down to 1 s.
      visibility: { delay: async (receiptHandle) => void (await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: stack.forwarderDlqUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: 1 }))) },
    });
    const invoke = (event: SQSEvent) => redriver(event, localContext('redriver', 'arn:aws:lambda:us-east-1:123456789012:function:redriver', 300_000));
    const queue = { url: stack.forwarderDlqUrl, arn: stack.forwarderDlqArn };

    // Act 1: Kinesis still refuses: the redriver keeps every message
    const whileDown = await deliverOnce(sqs, queue, invoke, 10);
    const depthWhileDown = await queueDepth(sqs, stack.forwarderDlqUrl);

    // Act 2: Kinesis recovers; later changes of the same items go through first, then the queue is drained
    port.outage.down = false;
    const recoveredAt = Date.now();
    const processedBefore = poller.stats().recordsProcessed;
    for (let i = 0; i < 4; i++) await put('accounts', `k${i}`, 900 + i);
    await eventually(() => (poller.stats().recordsProcessed - processedBefore >= 4 ? true : undefined));
    await eventually(async () => {
      await deliverOnce(sqs, queue, invoke, 5);
      const depth = await queueDepth(sqs, stack.forwarderDlqUrl);
      return depth.visible + depth.inFlight === 0 ? true : undefined;
    });
    const emptiedAt = Date.now();

    // Assess: the messages were kept (with a backoff) while Kinesis refused
    expect(pointers).toBeGreaterThan(0);
    expect(whileDown).toEqual({ received: pointers, failed: pointers });
    expect(depthWhileDown.visible + depthWhileDown.inFlight).toBe(pointers);
    // Assess: every lost change is on Kinesis, marked, some after a later change of its item
    const events = (await readAllEvents(createKinesisClient(), stack.streamName)).filter((event) => event.table === 'accounts');
    const redriven = events.filter((event) => event.redriven === true);
    expect(new Set(redriven.map((event) => event.id)).size).toBe(36);
    expect(total('RecordsRedriven')).toBe(36);
    expect(total('MessagesKept')).toBeGreaterThanOrEqual(pointers);
    const position = new Map(events.map((event, index) => [`${event.id}|${event.redriven === true}`, index]));
    const overtaken = redriven.filter((event) => events.some((later) => later.redriven !== true && later.keys?.id === event.keys?.id && BigInt(later.sequenceNumber!) > BigInt(event.sequenceNumber!) && position.get(`${later.id}|false`)! < position.get(`${event.id}|true`)!));
    expect(overtaken.length).toBeGreaterThan(0);
    // Assess: the merge rule ends equal to the table
    const fold = new Materializer();
    for (const event of events) fold.apply(event as never);
    expect(itemSet(fold.items('accounts').values())).toEqual(itemSet((await scanTable('accounts')).values()));
    // Figures for the report
    process.stdout.write(`redrive figures: ${pointers} dead-letter messages, ${redriven.length} records redriven, recovery to empty queue ${emptiedAt - recoveredAt} ms\n`);
  });

  it('publishes a poison record mid-batch as one marker in place; every other record arrives, in order', async () => {
    // Prepare: a key so long that even the keys-only event exceeds the 2 KiB record limit
    const { stack, poller } = pipeline;
    await pipeline.tableWithMapping('parcels');
    const poison = `p${'x'.repeat(1_500)}`;
    const discarded = poller.stats().recordsDiscarded;
    const ids = ['a', 'b', poison, 'c', 'd'];
    // Act
    for (const [v, id] of ids.entries()) await put('parcels', id, v);
    const events = await eventually(async () => {
      const found = (await readAllEvents(createKinesisClient(), stack.streamName)).filter((event) => event.table === 'parcels');
      return found.length >= 5 ? found : undefined;
    });
    // Assess
    expect(events.map((event) => (event.operation === 'unconvertible' ? 'marker' : event.keys?.id))).toEqual(['a', 'b', 'marker', 'c', 'd']);
    expect(events[2]).toMatchObject({ keys: null, error: { reason: 'event-too-large' }, sequenceNumber: expect.stringMatching(/^\d+$/) });
    expect(poller.stats().recordsDiscarded).toBe(discarded);
  });
});
