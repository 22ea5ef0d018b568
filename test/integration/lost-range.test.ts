/**
 * A lost range, on the emulators: the forwarder's mapping gives up on a range while Kinesis
 * refuses, and by the time the redriver reads it the stream has trimmed it (the 24-hour
 * retention, modelled in test/support/trimming-streams.ts because moto keeps records). The
 * redriver announces `Changes Lost` on EventBridge (delivered here by a rule to a queue), the
 * reconciler receives it and starts a forced heal backfill, the snapshot function publishes
 * the table, and a consumer following the merge rule ends equal to the table again.
 */
import { DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PutRuleCommand, PutTargetsCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { createHandler as createRedriver } from '../../redriver';
import { createStreamRangeReader } from '../../redriver/range-reader';
import { createDefaultDeps, createHandler as createReconciler } from '../../reconciler/index';
import { createBackfillAwsDeps, handleBackfillInvocation } from '../../snapshot/index';
import { createDynamoDbClient, createKinesisClient } from '../../src/aws/clients';
import type { BackfillInvocation } from '../../src/backfill-state/ports';
import { loadBackfillConfig } from '../../src/config/backfill';
import { loadRedriverConfig } from '../../src/config/redriver';
import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { createPublisher } from '../../src/publisher';
import { functionEnvironment } from '../../local/stack';
import { localContext } from '../../local/poller';
import { useLocalAws } from '../support/local-aws';
import { Materializer } from '../../src/consumer';
import { itemSet } from '../support/merge-rule';
import { eventually, startForwarderPipeline, type ForwarderPipeline } from '../support/forwarder-pipeline';
import { deliverOnce, queueDepth, readAllEvents, scanTable } from '../support/redrive-harness';
import { trimmingStreams, type TrimmingStreams } from '../support/trimming-streams';

jest.setTimeout(180_000);
const localAws = useLocalAws();
const silent = () => ({ logger: createLogger({ service: 'test', write: () => undefined }), metrics: createMetrics({ service: 'test', write: () => undefined }) });

describe('a range the stream no longer holds', () => {
  let pipeline: ForwarderPipeline;
  let streams: TrimmingStreams;
  beforeAll(async () => {
    streams = trimmingStreams();
    pipeline = await startForwarderPipeline(localAws(), { streams: streams.client });
  });
  afterAll(async () => pipeline?.stop());

  const put = (id: string, v: number) => createDynamoDbClient().send(new PutItemCommand({ TableName: 'ledgers', Item: { id: { S: id }, v: { N: String(v) } } }));
  const remove = (id: string) => createDynamoDbClient().send(new DeleteItemCommand({ TableName: 'ledgers', Key: { id: { S: id } } }));

  it('is announced as Changes Lost, healed by a forced backfill, and the merge rule ends equal to the table', async () => {
    // Prepare: Changes Lost events go from the bus to an inbox queue
    const { stack, poller, port, sqs } = pipeline;
    const { QueueUrl: inbox } = await sqs.send(new CreateQueueCommand({ QueueName: 'changes-lost-inbox' }));
    const inboxArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: inbox, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    const events = new EventBridgeClient({});
    await events.send(new PutRuleCommand({ Name: 'changes-lost', EventPattern: JSON.stringify({ source: ['dms-event-bus'], 'detail-type': ['Changes Lost'] }) }));
    await events.send(new PutTargetsCommand({ Rule: 'changes-lost', Targets: [{ Id: 'inbox', Arn: inboxArn }] }));
    // Prepare: 4 items forwarded; then, while Kinesis refuses, 4 changes the mapping gives up on (25 hours ago)
    await pipeline.tableWithMapping('ledgers');
    for (const id of ['k0', 'k1', 'k2', 'k3']) await put(id, 1);
    await eventually(() => (poller.stats().recordsProcessed >= 4 ? true : undefined), 'first 4 forwarded');
    port.outage.down = true;
    await put('k0', 2);
    await put('k1', 2);
    await put('k4', 1);
    await remove('k3');
    await eventually(() => (poller.stats().recordsDiscarded >= 4 ? true : undefined), '4 discarded');
    // The retention passes: those records are trimmed. Kinesis is back; newer changes go through.
    streams.jump();
    port.outage.down = false;
    await put('k1', 3);
    await put('k3', 9);
    await eventually(() => (poller.stats().recordsProcessed >= 6 ? true : undefined), 'later 2 forwarded');

    // Act 1: the redriver finds the range trimmed and announces it
    const redriver = createRedriver({ config: loadRedriverConfig({ DEAD_LETTER_QUEUE_URL: stack.forwarderDlqUrl, KINESIS_STREAM_NAME: stack.streamName }), publisher: createPublisher({ port }), reader: createStreamRangeReader(streams.client), ...silent() });
    const queue = { url: stack.forwarderDlqUrl, arn: stack.forwarderDlqArn };
    await eventually(async () => {
      await deliverOnce(sqs, queue, (event: SQSEvent) => redriver(event, localContext('redriver', 'arn:aws:lambda:us-east-1:123456789012:function:redriver', 300_000)));
      const depth = await queueDepth(sqs, stack.forwarderDlqUrl);
      return depth.visible + depth.inFlight === 0 ? true : undefined;
    }, 'dead-letter queue empty');
    const announced = await eventually(async () => (await sqs.send(new ReceiveMessageCommand({ QueueUrl: inbox, WaitTimeSeconds: 1 }))).Messages?.[0], 'Changes Lost in the inbox');
    const announcement = JSON.parse(announced.Body!) as Record<string, any>;

    // Act 2: the rule's target, the reconciler, heals the table; the snapshot function runs the backfill
    const env = { ...process.env, ...functionEnvironment(stack) } as Record<string, string>;
    const handed: BackfillInvocation[] = [];
    const invoker = { invoke: async (payload: BackfillInvocation) => void handed.push(payload) };
    const reconciler = createReconciler(createDefaultDeps(env, { ...silent(), backfill: { invoker } }));
    const healed = (await reconciler(announcement, { getRemainingTimeInMillis: () => 300_000 } as Context)) as Record<string, any>;
    const snapshotDeps = createBackfillAwsDeps(loadBackfillConfig({ ...env, AWS_LAMBDA_FUNCTION_NAME: 'snapshot' }), { ...silent(), invoker });
    while (handed.length > 0) await handleBackfillInvocation(handed.shift(), { awsRequestId: 'snapshot', getRemainingTimeInMillis: () => 300_000 }, snapshotDeps);

    // Assess: the loss, as announced
    expect(streams.refused()).toBeGreaterThan(0);
    expect(announcement).toMatchObject({
      source: 'dms-event-bus', 'detail-type': 'Changes Lost',
      detail: { table: 'ledgers', reason: 'trimmed', shardId: expect.any(String), startSequenceNumber: expect.stringMatching(/^\d+$/), endSequenceNumber: expect.stringMatching(/^\d+$/) },
    });
    expect(healed).toMatchObject({ status: 'ok', heal: { kind: 'started', tableName: 'ledgers' } });
    // Assess: the heal's snapshot events, and a consumer that ends equal to the table (and would not without them)
    const all = (await readAllEvents(createKinesisClient(), stack.streamName)).filter((event) => event.table === 'ledgers');
    const heal = all.filter((event) => event.operation === 'snapshot');
    expect(heal.length).toBe(5); // k0..k4, as the table holds them now
    expect(heal.every((event) => event.snapshot?.reason === 'heal' && Date.parse(event.snapshot.runStartedAt) <= Date.parse(event.readAt!))).toBe(true);
    const table = itemSet((await scanTable('ledgers')).values());
    const withoutHeal = new Materializer();
    for (const event of all.filter((e) => e.operation !== 'snapshot')) withoutHeal.apply(event as never);
    expect(itemSet(withoutHeal.items('ledgers').values())).not.toEqual(table);
    const fold = new Materializer();
    for (const event of all) fold.apply(event as never);
    expect(itemSet(fold.items('ledgers').values())).toEqual(table);
  });
});
