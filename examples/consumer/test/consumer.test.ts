/**
 * The example consumer on the emulators: its template passes cfn-lint, its function is
 * bundled from the template's esbuild Metadata (what `sam build` deploys), and that bundle,
 * fed the change stream from kinesis-mock exactly as Lambda's Kinesis poller delivers it
 * (base64 data, batches in shard order, retried from the first failed record, given up
 * after the retry limit as an on-failure destination would), keeps a read model in a moto
 * DynamoDB table that ends equal to the source table. The stream carries a history from the
 * Materializer's model of the system: writes before the stream, backfills, duplicates,
 * redriven events, a loss and its heal, a re-created table, and one record that is not a
 * change event.
 */
import { CreateTableCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { Context } from 'aws-lambda';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { loadTemplate } from '../../../scripts/cfn-yaml.mjs';
import { bundledSourceFiles, codeActions, runCfnLint } from '../../../scripts/check-template.mjs';
import { functionBuilds } from '../../../scripts/esbuild-options.mjs';
import { applyEnv } from '../../../local/emulators';
import { createDynamoDbClient, createKinesisClient } from '../../../src/aws/clients';
import { itemKey, itemKeyOf, type KinesisBatchResponse, type LambdaKinesisEvent } from '../../../src/consumer';
import { deliveryOrder, simulate, TABLE, type Command } from '../../../test/unit/consumer/table-history';
import { useLocalAws } from '../../../test/support/local-aws';
import { readTable } from '../read-table';

jest.setTimeout(180_000);
const TEMPLATE = join(__dirname, '..', 'template.yaml');
const localAws = useLocalAws();
const template = loadTemplate(TEMPLATE) as { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };
/** The mapping's MaximumRetryAttempts is 10 in the template; 2 keeps the test short. */
const RETRIES = 2;
const BATCH = 25;

type Handler = (event: LambdaKinesisEvent, context: Context) => Promise<KinesisBatchResponse>;

async function bundledHandler(outdir: string): Promise<Handler> {
  const fn = functionBuilds(TEMPLATE).find((candidate) => candidate.logicalId === 'ConsumerFunction');
  if (!fn) throw new Error('examples/consumer/template.yaml has no ConsumerFunction');
  await build({ ...fn.options, outdir, logLevel: 'silent' });
  const [file, name] = (fn.handler ?? '').split('.');
  return (require(join(outdir, `${file}.js`)) as Record<string, Handler>)[name!]!;
}

/** Every record of the stream's shards, in shard order. */
async function readStream(kinesis: KinesisClient, streamName: string) {
  const records = [];
  for (const shard of (await kinesis.send(new ListShardsCommand({ StreamName: streamName }))).Shards ?? []) {
    let iterator = (await kinesis.send(new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    while (iterator) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      records.push(...(page.Records ?? []).map((record) => ({ ...record, shardId: shard.ShardId! })));
      if ((page.Records ?? []).length === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return records;
}

/** Lambda's Kinesis event for a run of records (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html). */
function lambdaEvent(records: Awaited<ReturnType<typeof readStream>>, streamArn: string, region: string): LambdaKinesisEvent {
  return {
    Records: records.map((record) => ({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: record.PartitionKey!,
        sequenceNumber: record.SequenceNumber!,
        data: Buffer.from(record.Data!).toString('base64'),
        approximateArrivalTimestamp: (record.ApproximateArrivalTimestamp?.getTime() ?? 0) / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${record.shardId}:${record.SequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::123456789012:role/consumer',
      awsRegion: region,
      eventSourceARN: streamArn,
    })),
  } as LambdaKinesisEvent;
}

const HOUR = 3_600_000;
/** A history with every kind of event (see table-history.ts for what each command does). */
const SCRIPT: Command[] = [
  { kind: 'put', key: 4 },
  { kind: 'scan' },
  { kind: 'put', key: 0 },
  { kind: 'delete', key: 1 },
  { kind: 'scan' },
  { kind: 'put', key: 2 },
  { kind: 'tick', ms: 2 * HOUR },
  { kind: 'put', key: 3 },
  { kind: 'put', key: 0 },
  { kind: 'unconvertible', key: 3 },
  { kind: 'tick', ms: 26 * HOUR },
  { kind: 'heal', seed: 7 },
  { kind: 'put', key: 2 },
  { kind: 'scan' },
  { kind: 'delete', key: 0 },
  { kind: 'scan' },
  { kind: 'tick', ms: HOUR },
  { kind: 'recreate', reload: [1, 2, 5] },
  { kind: 'put', key: 2 },
  { kind: 'scan' },
  { kind: 'delete', key: 5 },
  { kind: 'put', key: 3 },
];

describe('examples/consumer', () => {
  it('template.yaml passes cfn-lint', async () => {
    // Act
    const { status, output } = await runCfnLint(TEMPLATE);
    // Assess
    expect(output).toBe('');
    expect(status).toBe(0);
  });

  it('maps the stream with ReportBatchItemFailures and an on-failure destination', () => {
    // Act
    const mapping = template.Resources.ConsumerMapping!.Properties;
    // Assess
    expect(mapping).toMatchObject({ FunctionResponseTypes: ['ReportBatchItemFailures'], StartingPosition: 'TRIM_HORIZON', DestinationConfig: { OnFailure: expect.anything() } });
  });

  it("allows exactly the DynamoDB calls the bundled function makes on the read model", async () => {
    // Prepare
    const files = (await bundledSourceFiles(TEMPLATE)).ConsumerFunction!;
    const statements = template.Resources.ConsumerFunction!.Properties.Policies[0].Statement as Array<{ Sid?: string; Action: string[] }>;
    // Act
    const called = [...codeActions(files).keys()].sort();
    // Assess
    expect(called).toEqual([...statements.find((statement) => statement.Sid === 'ReadModel')!.Action].sort());
  });

  it('keeps a read model equal to the source table, whatever the stream delivers', async () => {
    // Prepare: the read model table as the template defines it, the change stream, the history on it
    const aws = localAws();
    const outdir = mkdtempSync(join(tmpdir(), 'example-consumer-'));
    const suffix = Date.now().toString(36);
    const readModel = `read-model-${suffix}`;
    const streamName = `changes-${suffix}`;
    const { AttributeDefinitions, KeySchema, GlobalSecondaryIndexes, BillingMode } = template.Resources.ReadModelTable!.Properties;
    const dynamodb = createDynamoDbClient();
    await dynamodb.send(new CreateTableCommand({ TableName: readModel, AttributeDefinitions, KeySchema, GlobalSecondaryIndexes, BillingMode } as CreateTableCommandInput));
    const kinesis = createKinesisClient();
    await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: 1 }));
    const history = simulate(SCRIPT, 6, [0, 1, 3]);
    const delivered = deliveryOrder(history.published, 11);
    const garbage = { Data: Buffer.from('{"not":"a change event"}'), PartitionKey: 'garbage' };
    const entries = delivered.map((event) => ({ Data: Buffer.from(JSON.stringify(event)), PartitionKey: itemKey(event) ?? event.table }));
    entries.splice(Math.floor(entries.length / 2), 0, garbage);
    for (let i = 0; i < entries.length; i += 500) {
      const put = await kinesis.send(new PutRecordsCommand({ StreamName: streamName, Records: entries.slice(i, i + 500) }));
      expect(put.FailedRecordCount ?? 0).toBe(0);
    }
    const declared = template.Resources.ConsumerFunction!.Properties.Environment.Variables as Record<string, unknown>;
    const restore = applyEnv({ READ_MODEL_TABLE: readModel, POWERTOOLS_SERVICE_NAME: String(declared.POWERTOOLS_SERVICE_NAME), POWERTOOLS_LOG_LEVEL: 'SILENT' });
    try {
      const handler = await bundledHandler(outdir);
      const records = await readStream(kinesis, streamName);
      const streamArn = `arn:aws:kinesis:${aws.region}:000000000000:stream/${streamName}`;
      // Act: Lambda's poller, per shard: a batch, then resume after the last record or from the reported one
      const attempts = new Map<string, number>();
      let position = 0;
      let invocations = 0;
      while (position < records.length) {
        const batch = records.slice(position, position + BATCH);
        const response = await handler(lambdaEvent(batch, streamArn, aws.region), { functionName: 'consumer', awsRequestId: `req-${(invocations += 1)}` } as Context);
        const failed = response.batchItemFailures[0]?.itemIdentifier;
        if (failed === undefined) {
          position += batch.length;
          continue;
        }
        const at = records.findIndex((record) => record.SequenceNumber === failed);
        const tries = (attempts.get(failed) ?? 0) + 1;
        attempts.set(failed, tries);
        // Past the retry limit Lambda sends the batch to the on-failure destination and moves on.
        position = tries > RETRIES ? at + 1 : at;
      }
      // Assess
      const expected = new Map([...history.table].map(([key, item]) => [itemKeyOf(TABLE, { id: String(key) }), item]));
      expect(await readTable(dynamodb, readModel, TABLE)).toEqual(expected);
      expect([...attempts.values()]).toEqual([RETRIES + 1]); // only the record that is not a change event failed
      expect(delivered.some((event) => event.redriven)).toBe(true);
      expect(history.published.some((entry) => entry.lost)).toBe(true);
    } finally {
      restore();
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
