import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, KinesisClient, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { useLocalAws } from '../support/local-aws';

describe('local AWS harness', () => {
  const localAws = useLocalAws();

  it('routes the SDK to moto and kinesis-mock through AWS_ENDPOINT_URL_* variables', async () => {
    // Prepare
    const aws = localAws();
    expect(process.env.AWS_ENDPOINT_URL_DYNAMODB).toBe(aws.motoUrl);
    expect(aws.motoUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const dynamodb = new DynamoDBClient({});
    const kinesis = new KinesisClient({ requestHandler: new NodeHttpHandler() });
    // Act
    await dynamodb.send(new CreateTableCommand({
      TableName: 'harness', BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    }));
    await kinesis.send(new CreateStreamCommand({ StreamName: 'harness', ShardCount: 1 }));
    // Assess
    expect((await dynamodb.send(new ListTablesCommand({}))).TableNames).toEqual(['harness']);
    expect((await kinesis.send(new ListStreamsCommand({}))).StreamNames).toContain('harness');
    await aws.resetMoto();
    expect((await dynamodb.send(new ListTablesCommand({}))).TableNames).toEqual([]);
  });
});
