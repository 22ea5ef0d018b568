/**
 * A table named by its ARN. CreateTable, UpdateTable and DeleteTable accept the ARN as
 * TableName ("You can also provide the Amazon Resource Name (ARN) of the table in this
 * parameter": https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateTable.html,
 * API_UpdateTable.html, API_DeleteTable.html) and CloudTrail records the parameter as sent,
 * so the reconciler reduces it to the name before filters, scaling resource ids
 * (`table/<name>`) and announcements.
 */
import type { Context } from 'aws-lambda';
import { createHandler, type HandlerDeps } from '../../../reconciler/index';
import { parseRequest } from '../../../reconciler/events';
import { MalformedInputError } from '../../../src/errors';
import { createLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import { createTableFilter } from '../../../src/table-filter';
import { parseTableReference } from '../../../src/table-name';
import { SAMPLES, SAMPLE_CONTEXT } from './cloudtrail-samples';
import { FakeAws } from './fake-aws';
import { operatorOn } from './helpers';

const ORDERS_ARN = `arn:aws:dynamodb:${SAMPLE_CONTEXT.region}:${SAMPLE_CONTEXT.account}:table/orders`;
const context = { getRemainingTimeInMillis: () => 300_000, functionName: 'reconciler', awsRequestId: 'r1' } as unknown as Context;

/** A sample EventBridge event whose requestParameters.tableName is replaced. */
function withTableName<T extends { detail: object }>(event: T, tableName: string): T {
  const detail = event.detail as { requestParameters?: Record<string, unknown> | null };
  return { ...event, detail: { ...detail, requestParameters: { ...(detail.requestParameters ?? {}), tableName } } };
}

const parseContext = (exclude: string[] = ['awsdms_*']) => ({
  account: SAMPLE_CONTEXT.account,
  region: SAMPLE_CONTEXT.region,
  filter: createTableFilter({ include: ['*'], exclude }),
});

describe('parseTableReference', () => {
  it.each([
    ['a name', 'orders', { name: 'orders' }],
    ['a table ARN', ORDERS_ARN, { name: 'orders', arn: { partition: 'aws', region: SAMPLE_CONTEXT.region, account: SAMPLE_CONTEXT.account } }],
    ['a China-partition ARN', 'arn:aws-cn:dynamodb:cn-north-1:123456789012:table/dms.orders-2', { name: 'dms.orders-2', arn: { partition: 'aws-cn', region: 'cn-north-1', account: '123456789012' } }],
  ])('reads %s', (_name, value, expected) => {
    // Act / Assess
    expect(parseTableReference(value)).toEqual(expected);
  });

  it.each([
    ['an index ARN', `${ORDERS_ARN}/index/by-customer`],
    ['a stream ARN', `${ORDERS_ARN}/stream/2026-11-26T13:00:00.000`],
    ['another service', 'arn:aws:s3:::orders'],
  ])('refuses %s with a MalformedInputError', (_name, value) => {
    // Act / Assess
    expect(() => parseTableReference(value)).toThrow(MalformedInputError);
  });
});

describe('parseRequest with table ARNs', () => {
  it('applies the name filters to the name inside the ARN', () => {
    // Prepare
    const event = withTableName(SAMPLES.dmsCreateTableWithGsi, `arn:aws:dynamodb:${SAMPLE_CONTEXT.region}:${SAMPLE_CONTEXT.account}:table/awsdms_apply_exceptions`);
    // Act
    const request = parseRequest(event, parseContext());
    // Assess
    expect(request).toEqual(expect.objectContaining({ kind: 'ignored', reason: 'table excluded', tableName: 'awsdms_apply_exceptions' }));
  });

  it("ignores a table ARN of another region, even in this account's event", () => {
    // Prepare
    const event = withTableName(SAMPLES.deleteTable, `arn:aws:dynamodb:us-east-1:${SAMPLE_CONTEXT.account}:table/orders`);
    // Act
    const request = parseRequest(event, parseContext());
    // Assess
    expect(request).toEqual(expect.objectContaining({ kind: 'ignored', tableName: 'orders', reason: expect.stringContaining('region us-east-1') }));
  });

  it('refuses an ARN that is not a table ARN as malformed', () => {
    // Act / Assess
    expect(() => parseRequest(withTableName(SAMPLES.deleteTable, `${ORDERS_ARN}/index/x`), parseContext())).toThrow(MalformedInputError);
  });

  it('reads table ARNs in a direct invocation, and refuses a foreign one', () => {
    // Act
    const request = parseRequest({ action: 'reconcile', tables: [ORDERS_ARN, 'customers'] }, parseContext());
    const foreign = () => parseRequest({ action: 'status', tables: ['arn:aws:dynamodb:eu-west-1:999999999999:table/orders'] }, parseContext());
    // Assess
    expect(request).toEqual({ kind: 'reconcile', tables: ['orders', 'customers'], dryRun: false });
    expect(foreign).toThrow(MalformedInputError);
    expect(foreign).toThrow('account 999999999999');
  });
});

describe('reconciler handler with a table ARN in the CloudTrail event', () => {
  function setup() {
    const aws = new FakeAws({ account: SAMPLE_CONTEXT.account, region: SAMPLE_CONTEXT.region });
    const { operator, config } = operatorOn(aws);
    const deps: HandlerDeps = {
      config,
      operator,
      logger: createLogger({ service: 'reconciler', write: () => undefined }),
      metrics: createMetrics({ service: 'reconciler', write: () => undefined }),
    };
    return { aws, handler: createHandler(() => deps) };
  }

  it('converges the named table: scaling targets table/<name>, the announcement names the table', async () => {
    // Prepare
    const { aws, handler } = setup();
    aws.addTable('orders', { indexes: [{ name: 'customer_id-index', status: 'ACTIVE' }] });
    // Act
    const result = await handler(withTableName(SAMPLES.dmsCreateTableWithGsi, ORDERS_ARN), context);
    // Assess
    expect(result).toMatchObject({ status: 'ok', counts: { seen: 1, changed: 1 } });
    expect(aws.mappings.size).toBe(1);
    const resourceIds = [...aws.targets.values()].map((target) => target.resourceId);
    expect(resourceIds.length).toBeGreaterThan(0);
    expect(new Set(resourceIds)).toEqual(new Set(['table/orders', 'table/orders/index/customer_id-index']));
    expect(aws.announcements.map((a) => a.detail.tableName)).toEqual(['orders']);
  });

  it('cleans up after a DeleteTable that names the table by ARN', async () => {
    // Prepare
    const { aws, handler } = setup();
    aws.addTable('orders');
    await handler(SAMPLES.dmsCreateTableWithGsi, context);
    aws.deleteTable('orders');
    // Act
    const result = await handler(withTableName(SAMPLES.deleteTable, ORDERS_ARN), context);
    // Assess
    expect(result).toMatchObject({ status: 'ok', counts: { removed: 1 } });
    expect(aws.targets.size).toBe(0);
    expect(aws.mappings.size).toBe(1); // kept while the DISABLED stream is readable (24 h), then deleted
  });
});
