/**
 * The forwarder end to end on the emulators: a moto table with a NEW_AND_OLD_IMAGES stream,
 * real inserts/updates/deletes, the stream read back and shaped exactly as Lambda delivers
 * it, the real handler (real Kinesis client and publisher) putting events on kinesis-mock,
 * and the Kinesis stream read back.
 */
import {
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue as SdkAttributeValue,
} from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, DynamoDBStreamsClient, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import { CreateStreamCommand, DescribeStreamSummaryCommand, GetRecordsCommand as KinesisGetRecords, GetShardIteratorCommand as KinesisGetShardIterator, ListShardsCommand } from '@aws-sdk/client-kinesis';
import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { createHandler } from '../../forwarder';
import { createKinesisClient } from '../../src/aws/clients';
import type { ChangeEventV1 } from '../../src/change-event';
import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { createKinesisPort, createPublisher, PublishOutcome } from '../../src/publisher';
import { parseValidEvent } from '../fixtures/forwarder/validate-event';
import { useLocalAws } from '../support/local-aws';

jest.setTimeout(60_000);

/** Lambda delivers the stream as JSON: binary as base64 text, the creation time as epoch seconds. */
function asLambdaValue(value: SdkAttributeValue): unknown {
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.BS !== undefined) return { BS: value.BS.map((b) => Buffer.from(b).toString('base64')) };
  if (value.M !== undefined) return { M: asLambdaImage(value.M) };
  if (value.L !== undefined) return { L: value.L.map(asLambdaValue) };
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}
function asLambdaImage(image: Record<string, SdkAttributeValue> | undefined): Record<string, unknown> | undefined {
  return image && Object.fromEntries(Object.entries(image).map(([name, value]) => [name, asLambdaValue(value)]));
}

async function readDynamoDbStream(streams: DynamoDBStreamsClient, streamArn: string, region: string) {
  const description = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  const records: Array<Record<string, unknown>> = [];
  for (const shard of description.StreamDescription?.Shards ?? []) {
    let iterator = (await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    while (iterator) {
      const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      for (const record of page.Records ?? []) {
        const dynamodb = record.dynamodb ?? {};
        records.push({
          eventID: record.eventID,
          eventName: record.eventName,
          eventVersion: '1.1',
          eventSource: 'aws:dynamodb',
          awsRegion: record.awsRegion ?? region,
          dynamodb: {
            ApproximateCreationDateTime: dynamodb.ApproximateCreationDateTime ? Math.floor(dynamodb.ApproximateCreationDateTime.getTime() / 1000) : undefined,
            Keys: asLambdaImage(dynamodb.Keys as Record<string, SdkAttributeValue>),
            NewImage: asLambdaImage(dynamodb.NewImage as Record<string, SdkAttributeValue>),
            OldImage: asLambdaImage(dynamodb.OldImage as Record<string, SdkAttributeValue>),
            SequenceNumber: dynamodb.SequenceNumber,
            SizeBytes: dynamodb.SizeBytes,
            StreamViewType: dynamodb.StreamViewType,
          },
          eventSourceARN: streamArn,
          ...(record.userIdentity ? { userIdentity: record.userIdentity } : {}),
        });
      }
      if ((page.Records ?? []).length === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return JSON.parse(JSON.stringify(records)) as DynamoDBStreamEvent['Records']; // drop undefined, like Lambda's JSON
}

async function readKinesis(streamName: string): Promise<Array<{ partitionKey: string; shardId: string; event: ChangeEventV1 }>> {
  const kinesis = createKinesisClient();
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? [];
  const out: Array<{ partitionKey: string; shardId: string; event: ChangeEventV1 }> = [];
  for (const shard of shards) {
    let iterator = (await kinesis.send(new KinesisGetShardIterator({ StreamName: streamName, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    while (iterator) {
      const page = await kinesis.send(new KinesisGetRecords({ ShardIterator: iterator, Limit: 10_000 }));
      for (const record of page.Records ?? []) {
        out.push({ partitionKey: record.PartitionKey as string, shardId: shard.ShardId as string, event: parseValidEvent(record.Data as Uint8Array) });
      }
      if ((page.Records ?? []).length === 0 || page.MillisBehindLatest === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return out;
}

async function createKinesisStream(name: string, shardCount: number): Promise<void> {
  const kinesis = createKinesisClient();
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
  for (let i = 0; i < 100; i++) {
    const summary = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    if (summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`stream ${name} did not become ACTIVE`);
}

const quiet = () => ({
  logger: createLogger({ service: 'forwarder', write: () => undefined }),
  metrics: createMetrics({ service: 'forwarder', write: () => undefined }),
});

describe('forwarder on the emulators', () => {
  const localAws = useLocalAws();

  it('puts every change of a real DynamoDB stream on Kinesis once, in per-item order, schema-valid, numbers exact', async () => {
    // Prepare: a table with a stream, and a 4-shard Kinesis stream
    const aws = localAws();
    const dynamodb = new DynamoDBClient({});
    const table = 'dms_orders';
    const streamName = `changes-${Date.now()}`;
    await dynamodb.send(new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'N' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }));
    await createKinesisStream(streamName, 4);
    const streamArn = (await dynamodb.send(new DescribeTableCommand({ TableName: table }))).Table?.LatestStreamArn as string;

    const big = '12345678901234567890123456789012345678';
    const expectedFinal = new Map<string, string | null>();
    for (let i = 0; i < 8; i++) {
      const pk = `customer-${i}`;
      const Key = { pk: { S: pk }, sk: { N: big } };
      await dynamodb.send(new PutItemCommand({ TableName: table, Item: {
        ...Key,
        amount: { N: '-0.000000000000000000000000000000000001' },
        blob: { B: new Uint8Array([i, 255, 0]) },
        tags: { SS: ['a', 'ü'] },
        nested: { M: { list: { L: [{ N: '1E+125' }, { NULL: true }, { BOOL: true }] } } },
        version: { N: '0' },
      } }));
      for (let version = 1; version <= 3; version++) {
        await dynamodb.send(new UpdateItemCommand({ TableName: table, Key, UpdateExpression: 'SET version = :v', ExpressionAttributeValues: { ':v': { N: String(version) } } }));
      }
      if (i % 2 === 0) await dynamodb.send(new DeleteItemCommand({ TableName: table, Key }));
      expectedFinal.set(pk, i % 2 === 0 ? null : '3');
    }
    const records = await readDynamoDbStream(new DynamoDBStreamsClient({}), streamArn, aws.region);
    expect(records).toHaveLength(8 * 4 + 4);

    const handler = createHandler({ env: { ...process.env, KINESIS_STREAM_NAME: streamName }, ...quiet() });
    const context = { awsRequestId: 'it', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

    // Act: batches of 10 like an event source mapping would deliver
    for (let start = 0; start < records.length; start += 10) {
      const response = await handler({ Records: records.slice(start, start + 10) }, context);
      expect(response).toEqual({ batchItemFailures: [] });
    }

    // Assess: every change exactly once
    const out = await readKinesis(streamName);
    expect(out.map(({ event }) => event.id).sort()).toEqual(records.map((record) => record.eventID).sort());
    // per item: one shard, stream order, and the change history replayed to the final state
    const byItem = new Map<string, typeof out>();
    for (const entry of out) byItem.set(entry.partitionKey, [...(byItem.get(entry.partitionKey) ?? []), entry]);
    expect(byItem.size).toBe(8);
    for (const [partitionKey, entries] of byItem) {
      expect(new Set(entries.map((entry) => entry.shardId)).size).toBe(1);
      const sequence = entries.map((entry) => BigInt(entry.event.sequenceNumber as string));
      expect(sequence).toEqual([...sequence].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      const pk = entries[0]?.event.keys.pk as string;
      expect(partitionKey).toBe(`${table}|{"pk":"${pk}","sk":"${big}"}`);
      expect(entries.map((entry) => entry.event.operation)).toEqual(
        expectedFinal.get(pk) === null ? ['insert', 'modify', 'modify', 'modify', 'remove'] : ['insert', 'modify', 'modify', 'modify'],
      );
      const last = entries[entries.length - 1]?.event as ChangeEventV1;
      expect(last.new?.version ?? null).toBe(expectedFinal.get(pk));
    }
    // values exact
    const insert = out.find(({ event }) => event.operation === 'insert' && event.keys.pk === 'customer-3')?.event as ChangeEventV1;
    expect(insert.keys).toEqual({ pk: 'customer-3', sk: big });
    expect(insert.new).toEqual({
      pk: 'customer-3', sk: big, amount: '-0.000000000000000000000000000000000001',
      blob: Buffer.from([3, 255, 0]).toString('base64'), tags: ['a', 'ü'], nested: { list: ['1E+125', null, true] }, version: '0',
    });
    expect(insert.approximateCreationTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    expect(insert.source).toEqual({ eventSource: 'aws:dynamodb', region: aws.region, tableArn: streamArn.split('/stream/')[0], streamArn });
  });

  it('reads the DMS header columns of real stream records into origin, strips them from the images, and measures lag and heartbeats', async () => {
    // Prepare: a data table and a heartbeat table, written the way a DMS task with dms/table-mapping.json writes
    const aws = localAws();
    const dynamodb = new DynamoDBClient({});
    const streamName = `changes-origin-${Date.now()}`;
    await createKinesisStream(streamName, 1);
    const streamArns: string[] = [];
    for (const table of ['dms_invoices', 'dms_heartbeat']) {
      await dynamodb.send(new CreateTableCommand({
        TableName: table,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'N' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }));
      streamArns.push((await dynamodb.send(new DescribeTableCommand({ TableName: table }))).Table?.LatestStreamArn as string);
    }
    const commitAt = Date.now() - 5_000;
    const dmsText = (ms: number) => `${new Date(ms).toISOString().slice(0, 23).replace('T', ' ')}456`;
    const header = (n: number) => ({
      dms_commit_timestamp: { S: dmsText(commitAt + n) },
      dms_change_seq: { S: `${String(n).padStart(35, '0')}` },
      dms_transaction_id: { S: `tx-${n}` },
      dms_stream_position: { S: `0/${n.toString(16).toUpperCase()}` },
    });
    await dynamodb.send(new PutItemCommand({ TableName: 'dms_invoices', Item: { id: { N: '1' }, total: { N: '10.5' }, ...header(1) } }));
    await dynamodb.send(new PutItemCommand({ TableName: 'dms_invoices', Item: { id: { N: '1' }, total: { N: '11.5' }, ...header(2) } }));
    await dynamodb.send(new DeleteItemCommand({ TableName: 'dms_invoices', Key: { id: { N: '1' } } }));
    await dynamodb.send(new PutItemCommand({ TableName: 'dms_heartbeat', Item: { id: { N: '1' }, ...header(3) } }));
    const [invoiceRecords, heartbeatRecords] = [await readDynamoDbStream(new DynamoDBStreamsClient({}), streamArns[0]!, aws.region), await readDynamoDbStream(new DynamoDBStreamsClient({}), streamArns[1]!, aws.region)];
    const emf: Array<Record<string, number>> = [];
    const handler = createHandler({
      env: { ...process.env, KINESIS_STREAM_NAME: streamName, HEARTBEAT_TABLE_PATTERNS: 'dms_heart*', HEARTBEAT_PUBLISH: 'false' },
      logger: createLogger({ service: 'forwarder', write: () => undefined }),
      metrics: createMetrics({ service: 'forwarder', write: (line) => emf.push(JSON.parse(line)) }),
    });
    const context = { awsRequestId: 'it', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

    // Act: one batch per table stream, as one mapping per table delivers them
    expect(await handler({ Records: invoiceRecords }, context)).toEqual({ batchItemFailures: [] });
    expect(await handler({ Records: heartbeatRecords }, context)).toEqual({ batchItemFailures: [] });

    // Assess: origin from the new image (the old one for the remove), images equal to the source row
    const out = (await readKinesis(streamName)).map(({ event }) => event);
    expect(out.map((event) => [event.table, event.operation])).toEqual([['dms_invoices', 'insert'], ['dms_invoices', 'modify'], ['dms_invoices', 'remove']]);
    expect(out.map((event) => event.origin?.transactionId)).toEqual(['tx-1', 'tx-2', 'tx-2']);
    expect(out[1]?.origin).toEqual({ commitTime: `${new Date(commitAt + 2).toISOString().slice(0, 23)}456Z`, changeSequence: '2'.padStart(35, '0'), transactionId: 'tx-2', streamPosition: '0/2' });
    expect(out[1]?.old).toEqual({ id: '1', total: '10.5' });
    expect(out[1]?.new).toEqual({ id: '1', total: '11.5' });
    // lag from the commit times, heartbeats counted but kept off the stream
    const [invoices, heartbeats] = emf;
    expect(invoices?.SourceLagMaxMs).toBeGreaterThanOrEqual(Date.now() - commitAt - 60_000);
    expect(invoices?.SourceLagMaxMs).toBeGreaterThanOrEqual(4_000);
    expect(invoices?.HeartbeatsReceived).toBe(0);
    expect(heartbeats).toMatchObject({ HeartbeatsReceived: 1, HeartbeatsSkipped: 1, EventsOut: 0 });
    expect(heartbeats?.HeartbeatLagMs).toBeGreaterThanOrEqual(4_000);
  });

  it('reports a missing Kinesis stream as a fatal publish error, not as success', async () => {
    // Prepare
    const publisher = createPublisher({ port: createKinesisPort({ client: createKinesisClient(), streamName: 'no-such-stream' }), sleep: async () => undefined });
    // Act
    const result = await publisher.publish([{ partitionKey: 'k', data: Buffer.from('{}') }]);
    // Assess
    expect(result.written).toBe(0);
    expect(result.outcome).toBe(PublishOutcome.Fatal);
    expect(result.lastError?.code).toBe('ResourceNotFoundException');
  });
});
