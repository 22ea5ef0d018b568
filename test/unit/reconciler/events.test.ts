import { parseRequest } from '../../../reconciler/events';
import { MalformedInputError } from '../../../src/errors';
import { createTableFilter } from '../../../src/table-filter';
import { SAMPLES, SAMPLE_CONTEXT } from './cloudtrail-samples';

const context = (creatorRolePattern?: string) => ({
  account: SAMPLE_CONTEXT.account,
  region: SAMPLE_CONTEXT.region,
  filter: createTableFilter({ include: ['*'], exclude: ['awsdms_*'], ...(creatorRolePattern ? { creatorRolePattern } : {}) }),
});

describe('parseRequest', () => {
  it.each([
    ['a DMS CreateTable with a GSI', SAMPLES.dmsCreateTableWithGsi, { kind: 'table-event', tableName: 'orders', eventName: 'CreateTable', creatorArn: SAMPLE_CONTEXT.dmsRole }],
    ['an UpdateTable without requestParameters.tableName', SAMPLES.updateTable, { kind: 'table-event', tableName: 'orders', eventName: 'UpdateTable' }],
    ['a DeleteTable', SAMPLES.deleteTable, { kind: 'table-event', tableName: 'orders', eventName: 'DeleteTable' }],
    ['a failed CreateTable', SAMPLES.failedCreateTable, { kind: 'ignored', reason: 'the CreateTable call failed (ResourceInUseException)' }],
    ['another region', SAMPLES.otherRegion, { kind: 'ignored', reason: expect.stringContaining('region us-east-1') }],
    ['another account', SAMPLES.otherAccount, { kind: 'ignored', reason: expect.stringContaining('account 999999999999') }],
    ["DMS's control table", SAMPLES.dmsControlTable, { kind: 'ignored', reason: 'table excluded', tableName: 'awsdms_apply_exceptions' }],
    ['a non-table DynamoDB call', SAMPLES.describeTable, { kind: 'ignored' }],
    ['the schedule', SAMPLES.scheduled, { kind: 'sweep', dryRun: false, scheduled: true }],
  ])('classifies %s', (_name, event, expected) => {
    // Act
    const request = parseRequest(event, context());
    // Assess
    expect(request).toMatchObject(expected);
  });

  it.each([
    ['matches', 'arn:aws:iam::123456789012:role/dms-*', 'table-event'],
    ['does not match', 'arn:aws:iam::123456789012:role/etl-*', 'ignored'],
  ])('applies the creator role pattern when it %s', (_name, pattern, kind) => {
    // Act
    const request = parseRequest(SAMPLES.dmsCreateTableWithGsi, context(pattern));
    // Assess
    expect(request.kind).toBe(kind);
  });

  it.each([
    [{ action: 'reconcile', tables: ['t1'], dryRun: true }, { kind: 'reconcile', tables: ['t1'], dryRun: true }],
    [{ action: 'reconcile', tables: ['t1', 't2'] }, { kind: 'reconcile', tables: ['t1', 't2'], dryRun: false }],
    [{ action: 'sweep', dryRun: false }, { kind: 'sweep', dryRun: false, scheduled: false }],
    [{ action: 'sweep', startAfter: 'm' }, { kind: 'sweep', dryRun: false, scheduled: false, startAfter: 'm' }],
    [{ action: 'status', tables: ['t1'] }, { kind: 'status', tables: ['t1'] }],
    [{ action: 'backfill', tableName: 't1' }, { kind: 'backfill', event: { action: 'backfill', tableName: 't1' } }],
  ])('accepts the direct invocation %j', (event, expected) => {
    // Act / Assess
    expect(parseRequest(event, context())).toEqual(expected);
  });

  it.each([
    ['a string', 'sweep'],
    ['an unknown action', { action: 'destroy' }],
    ['reconcile without tables', { action: 'reconcile' }],
    ['reconcile with an empty table name', { action: 'reconcile', tables: [''] }],
    ['a non-boolean dryRun', { action: 'sweep', dryRun: 'yes' }],
    ['an unknown event', { 'detail-type': 'Object Created', source: 'aws.s3', detail: {} }],
    ['a CloudTrail event without detail', { 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.dynamodb' }],
    ['a CreateTable naming no table', SAMPLES.noTableName],
  ])('rejects %s as malformed', (_name, event) => {
    // Act / Assess
    expect(() => parseRequest(event, context())).toThrow(MalformedInputError);
  });
});
