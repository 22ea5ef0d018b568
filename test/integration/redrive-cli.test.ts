/**
 * `dms-event-bus redrive` on the emulators, against a prepared dead-letter queue whose
 * messages point at real ranges of a table's stream (built like Lambda's on-failure records):
 * --dry-run changes nothing, the real run puts every record on Kinesis and empties the queue,
 * and the errors (no queue, a queue that does not exist, a bad message) exit non-zero.
 */
import { CreateTableCommand, PutItemCommand, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import { CreateQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { runCli } from '../../cli/main';
import { createDynamoDbClient, createDynamoDbStreamsClient, createKinesisClient, createLambdaClient } from '../../src/aws/clients';
import { provisionLocalStack, type LocalStack } from '../../local/stack';
import { useLocalAws } from '../support/local-aws';
import { queueDepth, readAllEvents } from '../support/redrive-harness';

jest.setTimeout(120_000);
const localAws = useLocalAws();
const sqs = new SQSClient({});

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (text) => out.push(text), err: (text) => err.push(text), signal: new AbortController().signal });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A Lambda on-failure record for records [from, to] of the shard. */
function pointer(streamArn: string, shardId: string, sequences: string[]): string {
  return JSON.stringify({
    requestContext: { requestId: 'r', functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:dms-event-bus-forwarder', condition: 'RetryAttemptsExhausted', approximateInvokeCount: 2 },
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: new Date().toISOString(),
    DDBStreamBatchInfo: { shardId, startSequenceNumber: sequences[0], endSequenceNumber: sequences[sequences.length - 1], approximateArrivalOfFirstRecord: '', approximateArrivalOfLastRecord: '', batchSize: sequences.length, streamArn },
  });
}

describe('dms-event-bus redrive', () => {
  let stack: LocalStack;
  let bodies: string[];

  beforeAll(async () => {
    const aws = localAws();
    stack = await provisionLocalStack({ dynamodb: createDynamoDbClient(), kinesis: createKinesisClient(), lambda: createLambdaClient(), sqs }, { motoUrl: aws.motoUrl, region: aws.region, shardCount: 1 });
    const ddb = createDynamoDbClient();
    await ddb.send(new CreateTableCommand({ TableName: 'ledger', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }));
    const { TableDescription } = await ddb.send(new UpdateTableCommand({ TableName: 'ledger', StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } }));
    const streamArn = TableDescription!.LatestStreamArn!;
    for (const id of ['x', 'y', 'z']) await ddb.send(new PutItemCommand({ TableName: 'ledger', Item: { id: { S: id }, n: { N: '1' } } }));
    const streams = createDynamoDbStreamsClient();
    const shardId = (await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }))).StreamDescription!.Shards![0]!.ShardId!;
    const { ShardIterator } = await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }));
    const sequences = ((await streams.send(new GetRecordsCommand({ ShardIterator }))).Records ?? []).map((record) => record.dynamodb!.SequenceNumber!);
    expect(sequences).toHaveLength(3);
    bodies = [pointer(streamArn, shardId, sequences.slice(0, 1)), pointer(streamArn, shardId, sequences.slice(1))];
  });

  async function preparedQueue(name: string, messages: string[]): Promise<string> {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
    for (const body of messages) await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
    return QueueUrl!;
  }
  const ledgerEvents = async () => (await readAllEvents(createKinesisClient(), stack.streamName)).filter((event) => event.table === 'ledger');

  it('--dry-run prints what it would redrive and changes nothing; the real run redrives it all and empties the queue', async () => {
    // Prepare
    const queueUrl = await preparedQueue('cli-dlq', bodies);
    // Act
    const dry = await cli('redrive', '--queue-url', queueUrl, '--stream-name', stack.streamName, '--dry-run');
    const afterDry = { depth: await queueDepth(sqs, queueUrl), events: await ledgerEvents() };
    const real = await cli('redrive', '--queue-url', queueUrl, '--stream-name', stack.streamName);
    const events = await ledgerEvents();
    // Assess
    expect(dry).toMatchObject({ code: 0, err: '' });
    expect(dry.out).toMatch(/would redrive ledger shardId-\S+ \d+\.\.\d+: 1 records/);
    expect(dry.out).toMatch(/would redrive ledger shardId-\S+ \d+\.\.\d+: 2 records/);
    expect(dry.out).toContain('2 message(s): 2 redrivable (3 records), 0 lost, 0 not redriven, 0 malformed (dry run: nothing changed)');
    expect(afterDry).toEqual({ depth: { visible: 2, inFlight: 0 }, events: [] });
    expect(real.code).toBe(0);
    expect(real.out).toContain('2 message(s): 2 redriven (3 records)');
    expect(await queueDepth(sqs, queueUrl)).toEqual({ visible: 0, inFlight: 0 });
    expect(events.map((event) => [event.keys?.id, event.operation, event.redriven])).toEqual([['x', 'insert', true], ['y', 'insert', true], ['z', 'insert', true]]);
  });

  it('keeps a bad message on the queue, says so and exits 1, while redriving the good one', async () => {
    // Prepare
    const queueUrl = await preparedQueue('cli-dlq-bad', ['{"not":"a pointer"}', bodies[0]!]);
    // Act
    const run = await cli('redrive', '--queue-url', queueUrl, '--stream-name', stack.streamName);
    // Assess
    expect(run.code).toBe(1);
    expect(run.out).toMatch(/malformed {4}message \S+: the message is not a DynamoDB stream on-failure record: it has no DDBStreamBatchInfo object; the message stays on the queue/);
    expect(run.out).toContain('2 message(s): 1 redriven (1 records), 0 lost, 0 not redriven, 1 malformed');
    expect(await queueDepth(sqs, queueUrl)).toEqual({ visible: 1, inFlight: 0 });
  });

  it.each([
    ['no queue is configured', [] as string[], /Which queue\? Pass --queue-url <url> or set FORWARDER_DLQ_URL/],
    ['the queue does not exist', ['--queue-url', 'QUEUE'], /Queue \S+\/no-such-queue not found/],
  ])('exits 1 with one clear line when %s', async (_name, extra, message) => {
    // Prepare
    const args = extra.map((arg) => (arg === 'QUEUE' ? `${localAws().motoUrl}/123456789012/no-such-queue` : arg));
    // Act
    const run = await cli('redrive', '--stream-name', stack.streamName, ...args);
    // Assess
    expect(run.code).toBe(1);
    expect(run.err).toMatch(message);
  });
});
