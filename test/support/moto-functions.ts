/**
 * Lambda functions and DMS-like tables on moto for the integration tests: moto needs a real IAM
 * role ARN and a zip for CreateFunction, and never runs the code (the tests call handlers
 * themselves), so an empty zip serves every function.
 */
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateFunctionCommand, type FunctionConfiguration, type LambdaClient } from '@aws-sdk/client-lambda';

/** The smallest valid zip file (an empty end-of-central-directory record). */
export const EMPTY_ZIP = Uint8Array.from([0x50, 0x4b, 0x05, 0x06, ...new Array<number>(18).fill(0)]);

/** Creates an IAM role Lambda may assume, with moto's IAM query API; returns its ARN. */
export async function createLambdaRole(motoUrl: string, region: string, roleName = 'fn-role'): Promise<string> {
  const trust = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
  const response = await fetch(`${motoUrl}/`, {
    method: 'POST',
    body: new URLSearchParams({ Version: '2010-05-08', Action: 'CreateRole', RoleName: roleName, AssumeRolePolicyDocument: trust }),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `AWS4-HMAC-SHA256 Credential=local/20260101/${region}/iam/aws4_request, SignedHeaders=host, Signature=0`,
    },
  });
  const arn = /<Arn>([^<]+)<\/Arn>/.exec(await response.text())?.[1];
  if (!arn) throw new Error(`CreateRole failed: HTTP ${response.status}`);
  return arn;
}

/** Creates a function that only has to exist (mappings name it, the teardown sets its concurrency). */
export async function createEmptyFunction(lambda: LambdaClient, role: string, name: string, timeoutSeconds?: number): Promise<FunctionConfiguration> {
  return lambda.send(
    new CreateFunctionCommand({ FunctionName: name, Role: role, Runtime: 'nodejs22.x', Handler: 'index.handler', Code: { ZipFile: EMPTY_ZIP }, ...(timeoutSeconds === undefined ? {} : { Timeout: timeoutSeconds }) }),
  );
}

/** A table as DMS creates it: key `id`, 200/200 provisioned, no stream; optionally one GSI on `indexKey`. */
export async function createDmsLikeTable(ddb: DynamoDBClient, name: string, gsi?: { indexName: string; indexKey: string }): Promise<void> {
  const capacity = { ReadCapacityUnits: 200, WriteCapacityUnits: 200 };
  await ddb.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }, ...(gsi ? [{ AttributeName: gsi.indexKey, AttributeType: 'S' as const }] : [])],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      ProvisionedThroughput: capacity,
      ...(gsi
        ? { GlobalSecondaryIndexes: [{ IndexName: gsi.indexName, KeySchema: [{ AttributeName: gsi.indexKey, KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' }, ProvisionedThroughput: capacity }] }
        : {}),
    }),
  );
}
