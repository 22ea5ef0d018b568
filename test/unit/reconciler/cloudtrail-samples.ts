/**
 * Realistic EventBridge "AWS API Call via CloudTrail" events for DynamoDB table calls,
 * shaped after the CloudTrail record reference (lowerCamelCase keys, failed calls with
 * errorCode and responseElements null) and a DMS target endpoint's service access role.
 */
const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const DMS_ROLE = `arn:aws:iam::${ACCOUNT}:role/dms-dynamodb-access`;

function envelope(detail: Record<string, unknown>, over: { account?: string; region?: string } = {}) {
  return {
    version: '0',
    id: 'a1b2c3d4-5678-4e90-abcd-ef0123456789',
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.dynamodb',
    account: over.account ?? ACCOUNT,
    time: '2026-11-26T10:15:30Z',
    region: over.region ?? REGION,
    resources: [],
    detail,
  };
}

function dmsIdentity() {
  return {
    type: 'AssumedRole',
    principalId: 'AROAEXAMPLEID:dms-session-1732616130',
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/dms-dynamodb-access/dms-session-1732616130`,
    accountId: ACCOUNT,
    accessKeyId: 'ASIAEXAMPLEKEY',
    sessionContext: {
      sessionIssuer: { type: 'Role', principalId: 'AROAEXAMPLEID', arn: DMS_ROLE, accountId: ACCOUNT, userName: 'dms-dynamodb-access' },
      attributes: { creationDate: '2026-11-26T10:15:00Z', mfaAuthenticated: 'false' },
    },
    invokedBy: 'dms.amazonaws.com',
  };
}

function record(eventName: string, requestParameters: unknown, responseElements: unknown, extra: Record<string, unknown> = {}) {
  return {
    eventVersion: '1.09',
    userIdentity: dmsIdentity(),
    eventTime: '2026-11-26T10:15:30Z',
    eventSource: 'dynamodb.amazonaws.com',
    eventName,
    awsRegion: REGION,
    sourceIPAddress: 'dms.amazonaws.com',
    userAgent: 'dms.amazonaws.com',
    requestParameters,
    responseElements,
    requestID: 'REQ0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ',
    eventID: '7f3c1a2b-1111-4222-8333-944455556666',
    readOnly: false,
    resources: [{ accountId: ACCOUNT, type: 'AWS::DynamoDB::Table', ARN: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/orders` }],
    eventType: 'AwsApiCall',
    apiVersion: '2012-08-10',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    eventCategory: 'Management',
    ...extra,
  };
}

const ordersRequest = {
  tableName: 'orders',
  attributeDefinitions: [
    { attributeName: 'order_id', attributeType: 'N' },
    { attributeName: 'customer_id', attributeType: 'N' },
  ],
  keySchema: [{ attributeName: 'order_id', keyType: 'HASH' }],
  provisionedThroughput: { readCapacityUnits: 200, writeCapacityUnits: 200 },
  globalSecondaryIndexes: [
    {
      indexName: 'customer_id-index',
      keySchema: [{ attributeName: 'customer_id', keyType: 'HASH' }],
      projection: { projectionType: 'ALL' },
      provisionedThroughput: { readCapacityUnits: 200, writeCapacityUnits: 200 },
    },
  ],
};

export const SAMPLES = {
  dmsCreateTableWithGsi: envelope(record('CreateTable', ordersRequest, {
    tableDescription: {
      tableName: 'orders', tableArn: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/orders`, tableId: '0f0e0d0c-1111-2222-3333-444455556666',
      tableStatus: 'CREATING', itemCount: 0, tableSizeBytes: 0, creationDateTime: 'Nov 26, 2026, 10:15:30 AM',
      provisionedThroughput: { readCapacityUnits: 200, writeCapacityUnits: 200, numberOfDecreasesToday: 0 },
      globalSecondaryIndexes: [{ indexName: 'customer_id-index', indexStatus: 'CREATING', keySchema: [{ attributeName: 'customer_id', keyType: 'HASH' }] }],
    },
  })),
  failedCreateTable: envelope(record('CreateTable', ordersRequest, null, { errorCode: 'ResourceInUseException', errorMessage: 'Table already exists: orders' })),
  updateTable: envelope(record('UpdateTable', { provisionedThroughput: { readCapacityUnits: 25, writeCapacityUnits: 25 } }, {
    tableDescription: { tableName: 'orders', tableStatus: 'UPDATING', provisionedThroughput: { readCapacityUnits: 200, writeCapacityUnits: 200, lastIncreaseDateTime: 'Nov 26, 2026, 10:20:00 AM' } },
  })),
  deleteTable: envelope(record('DeleteTable', { tableName: 'orders' }, {
    tableDescription: { tableName: 'orders', tableStatus: 'DELETING', itemCount: 0, tableSizeBytes: 0, provisionedThroughput: { readCapacityUnits: 200, writeCapacityUnits: 200 } },
  })),
  otherRegion: envelope(record('CreateTable', ordersRequest, null, { awsRegion: 'us-east-1' }), { region: 'us-east-1' }),
  otherAccount: envelope(record('CreateTable', ordersRequest, null, { recipientAccountId: '999999999999' }), { account: '999999999999' }),
  dmsControlTable: envelope(record('CreateTable', { ...ordersRequest, tableName: 'awsdms_apply_exceptions', globalSecondaryIndexes: undefined }, null)),
  describeTable: envelope(record('DescribeTable', { tableName: 'orders' }, null)),
  noTableName: envelope(record('CreateTable', {}, null)),
  scheduled: {
    version: '0', id: '89d1a02d-5ec7-412e-82f5-13505f849b41', 'detail-type': 'Scheduled Event', source: 'aws.events', account: ACCOUNT,
    time: '2026-11-26T10:20:00Z', region: REGION, resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/dms-event-bus-sweep`], detail: {},
  },
} as const;

export const SAMPLE_CONTEXT = { account: ACCOUNT, region: REGION, dmsRole: DMS_ROLE };
