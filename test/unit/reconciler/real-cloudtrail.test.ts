/**
 * CloudTrail records written by AWS (DynamoDB Developer Guide examples:
 * ../shared/fixtures/real/PROVENANCE.md), each wrapped the way EventBridge delivers a
 * CloudTrail record (detail-type "AWS API Call via CloudTrail", source aws.<service>,
 * detail = the record: https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-dynamodb.html),
 * through the reconciler's parser. Control-plane table calls name their table; everything
 * else (data events, reads, failed calls, other services) is ignored with a reason.
 * Files are found by name pattern: a new one is played too.
 */
import { parseRequest, TABLE_EVENT_NAMES } from '../../../reconciler/events';
import { createTableFilter } from '../../../src/table-filter';
import { listRealFixtures, readRealFixture, RealFixtureKind } from '../../support/real-fixtures';

type CloudTrailRecord = Record<string, unknown> & {
  eventSource?: string;
  eventName?: string;
  eventTime?: string;
  eventID?: string;
  awsRegion?: string;
  recipientAccountId?: string;
  errorCode?: string;
  requestParameters?: { tableName?: string } | null;
  responseElements?: { tableDescription?: { tableName?: string } } | null;
};

/** Every record of every CloudTrail fixture (log files hold a Records array), labelled. */
function realCloudTrailRecords(): Array<[string, CloudTrailRecord]> {
  const fromLogFiles = listRealFixtures(RealFixtureKind.CloudTrailLogFile).flatMap((name) =>
    readRealFixture<{ Records: CloudTrailRecord[] }>(name).Records.map((record, index): [string, CloudTrailRecord] => [`${name} #${index} ${String(record.eventName)}`, record]),
  );
  const single = listRealFixtures(RealFixtureKind.CloudTrailRecord).map((name): [string, CloudTrailRecord] => [name, readRealFixture<CloudTrailRecord>(name)]);
  return [...fromLogFiles, ...single];
}

/** The EventBridge event for one CloudTrail record, delivered in the recipient account. */
export function asEventBridgeEvent(record: CloudTrailRecord): Record<string, unknown> {
  return {
    version: '0',
    id: '6f1a4e2c-0000-4000-8000-000000000001',
    'detail-type': 'AWS API Call via CloudTrail',
    source: `aws.${String(record.eventSource).split('.')[0]}`,
    account: record.recipientAccountId,
    time: record.eventTime,
    region: record.awsRegion,
    resources: [],
    detail: record,
  };
}

const contextFor = (record: CloudTrailRecord) => ({
  account: String(record.recipientAccountId),
  region: String(record.awsRegion),
  filter: createTableFilter({ include: ['*'], exclude: ['awsdms_*'] }),
});

const isControlPlaneCall = (record: CloudTrailRecord) =>
  record.eventSource === 'dynamodb.amazonaws.com' && (TABLE_EVENT_NAMES as readonly string[]).includes(String(record.eventName)) && record.errorCode === undefined;

describe('real CloudTrail records through the reconciler parser', () => {
  const records = realCloudTrailRecords();

  it('finds the shared CloudTrail fixtures, control-plane calls and others among them', () => {
    // Assess
    expect(records.filter(([, record]) => isControlPlaneCall(record)).length).toBeGreaterThanOrEqual(5);
    expect(records.filter(([, record]) => !isControlPlaneCall(record)).length).toBeGreaterThanOrEqual(4);
  });

  it.each(records.filter(([, record]) => isControlPlaneCall(record)))('%s: a table event naming its table', (_name, record) => {
    // Prepare (UpdateTable examples carry the name only in responseElements)
    const expectedTable = record.requestParameters?.tableName ?? record.responseElements?.tableDescription?.tableName;
    // Act
    const request = parseRequest(asEventBridgeEvent(record), contextFor(record));
    // Assess
    expect(request).toEqual(expect.objectContaining({ kind: 'table-event', tableName: expectedTable, eventName: record.eventName, eventId: record.eventID }));
  });

  it.each(records.filter(([, record]) => !isControlPlaneCall(record)))('%s: ignored, with a reason', (_name, record) => {
    // Act
    const request = parseRequest(asEventBridgeEvent(record), contextFor(record));
    // Assess
    expect(request.kind).toBe('ignored');
    const failedTableCall = record.errorCode !== undefined && isControlPlaneCall({ ...record, errorCode: undefined });
    expect((request as { reason: string }).reason).toContain(failedTableCall ? record.errorCode : String(record.eventName));
  });
});

/** The real control-plane records, changed in one documented way each. */
describe('real control-plane records, varied the way AWS allows', () => {
  const controlPlane = realCloudTrailRecords().filter(([, record]) => isControlPlaneCall(record));
  const tableNameOf = (record: CloudTrailRecord) => String(record.requestParameters?.tableName ?? record.responseElements?.tableDescription?.tableName);
  const arnOf = (record: CloudTrailRecord, over: { account?: string; region?: string } = {}) =>
    `arn:aws:dynamodb:${over.region ?? record.awsRegion}:${over.account ?? record.recipientAccountId}:table/${tableNameOf(record)}`;
  const withRequestTableName = (record: CloudTrailRecord, tableName: string): CloudTrailRecord => ({
    ...record,
    requestParameters: { ...(record.requestParameters ?? {}), tableName },
  });

  // CreateTable, UpdateTable and DeleteTable accept the table's ARN as TableName
  // (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DeleteTable.html), and CloudTrail records it as sent.
  it.each(controlPlane)('%s with the table ARN as requestParameters.tableName: the table event names the table', (_name, record) => {
    // Prepare
    const event = asEventBridgeEvent(withRequestTableName(record, arnOf(record)));
    // Act
    const request = parseRequest(event, contextFor(record));
    // Assess
    expect(request).toEqual(expect.objectContaining({ kind: 'table-event', tableName: tableNameOf(record), eventName: record.eventName }));
  });

  it.each(controlPlane)("%s with another account's table ARN: ignored, naming the account", (_name, record) => {
    // Prepare
    const event = asEventBridgeEvent(withRequestTableName(record, arnOf(record, { account: '999988887777' })));
    // Act
    const request = parseRequest(event, contextFor(record));
    // Assess
    expect(request).toEqual(expect.objectContaining({ kind: 'ignored', tableName: tableNameOf(record), reason: expect.stringContaining('account 999988887777') }));
  });

  // A failed call is recorded with errorCode/errorMessage and responseElements null
  // (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/understanding-ddb-log-entries.html, "UpdateItem (Unsuccessful)").
  it.each(controlPlane)('%s as a failed call: ignored, naming the error code', (_name, record) => {
    // Prepare
    const failed = { ...withRequestTableName(record, arnOf(record)), errorCode: 'ResourceInUseException', errorMessage: 'Table is being updated', responseElements: null };
    // Act
    const request = parseRequest(asEventBridgeEvent(failed), contextFor(record));
    // Assess
    expect(request).toEqual({ kind: 'ignored', reason: expect.stringContaining('ResourceInUseException'), eventName: record.eventName, tableName: tableNameOf(record) });
  });
});
