/**
 * `Changes Lost` at the reconciler: the redriver's announcement parsed (filters and account
 * respected), and the heal it triggers: a forced backfill, reason heal, of the table's
 * current stream, handed to the snapshot function.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { healLostRange } from '../../../reconciler/backfill/heal';
import { parseRequest, type LostRangeDetail } from '../../../reconciler/events';
import { createHandler } from '../../../reconciler/index';
import type { ObservedTable } from '../../../reconciler/model';
import { MalformedInputError } from '../../../src/errors';
import { createLogger } from '../../../src/observability/logger';
import { createMetrics } from '../../../src/observability/metrics';
import { createTableFilter } from '../../../src/table-filter';
import { harness } from '../snapshot/fakes';
import { testConfig } from './helpers';

const sample = () => JSON.parse(readFileSync(join(__dirname, '../../../events/changes-lost.json'), 'utf8')) as Record<string, any>;
const context = { account: '123456789012', region: 'us-east-1', filter: createTableFilter({ include: ['dms_*'], exclude: ['dms_secret'] }) };
const quiet = createLogger({ service: 'test', write: () => undefined });
const table = (over: Partial<ObservedTable> = {}): ObservedTable => ({
  name: 'dms_orders', arn: 'arn:aws:dynamodb:us-east-1:123456789012:table/dms_orders', status: 'ACTIVE', billingMode: 'PAY_PER_REQUEST',
  stream: { enabled: true, viewType: 'NEW_AND_OLD_IMAGES', latestArn: 'arn:aws:dynamodb:us-east-1:123456789012:table/dms_orders/stream/2026-12-01T00:00:00.000' }, indexes: [], ...over,
});

describe('parseRequest: Changes Lost', () => {
  it('reads the lost range', () => {
    // Act
    const request = parseRequest(sample(), context);
    // Assess
    expect(request).toEqual({
      kind: 'changes-lost',
      lost: {
        table: 'dms_orders', streamArn: sample().detail.streamArn, shardId: 'shardId-00000001764489600000-1a2b3c4d',
        startSequenceNumber: '100000000000000000001', endSequenceNumber: '100000000000000000042', reason: 'trimmed',
      },
    });
  });

  it.each([
    ['an excluded table', (e: Record<string, any>) => (e.detail.table = 'dms_secret'), /excluded|exclude/],
    ['another account', (e: Record<string, any>) => (e.account = '999999999999'), /account 999999999999/],
  ])('ignores %s', (_name, change, reason) => {
    // Prepare
    const event = sample();
    change(event);
    // Act
    const request = parseRequest(event, context);
    // Assess
    expect(request).toMatchObject({ kind: 'ignored', reason: expect.stringMatching(reason) });
  });

  it('rejects a detail without its range', () => {
    // Prepare
    const event = sample();
    delete event.detail.shardId;
    // Act & Assess
    expect(() => parseRequest(event, context)).toThrow(MalformedInputError);
  });
});

describe('healLostRange', () => {
  const lost: LostRangeDetail = { table: 'dms_orders', streamArn: 'arn:old', shardId: 's', startSequenceNumber: '1', endSequenceNumber: '2', reason: 'trimmed' };

  it('starts a forced heal backfill of the current stream, even after a finished run', async () => {
    // Prepare
    const h = harness();
    const deps = { ...h.deps, tables: { describeTable: async () => table() } };
    // Act
    const first = await healLostRange(lost, deps, quiet);
    const second = await healLostRange(lost, deps, quiet);
    // Assess
    expect(first).toMatchObject({ kind: 'started', streamArn: table().stream.latestArn });
    expect(second.kind).toBe('started');
    expect(h.store.rows.get('dms_orders')?.value).toMatchObject({ reason: 'heal', streamArn: table().stream.latestArn, status: 'running' });
    expect(h.invoker.queue.map((invocation) => invocation.tableName)).toEqual(['dms_orders', 'dms_orders']);
  });

  it.each([
    ['a deleted table', null, 'no longer exists'],
    ['a table without a stream', table({ stream: { enabled: false } }), 'no stream'],
  ])('has nothing to heal for %s', async (_name, observed, why) => {
    // Prepare
    const h = harness();
    // Act
    const result = await healLostRange(lost, { ...h.deps, tables: { describeTable: async () => observed } }, quiet);
    // Assess
    expect(result).toMatchObject({ kind: 'nothing-to-heal', why: expect.stringContaining(why) });
    expect(h.invoker.queue).toEqual([]);
  });

  it('the handler routes Changes Lost to the heal and counts it', async () => {
    // Prepare
    const healed: LostRangeDetail[] = [];
    const metrics = createMetrics({ service: 'reconciler', write: () => undefined });
    const config = testConfig({ FORWARDER_FUNCTION_ARN: 'arn:aws:lambda:us-east-1:123456789012:function:forwarder', TABLE_INCLUDE_PATTERNS: 'dms_*' });
    const handler = createHandler({
      config, metrics, logger: quiet, operator: {} as never,
      heal: async (range) => {
        healed.push(range);
        return { kind: 'started', tableName: range.table, streamArn: 'arn:new', runStartResult: 'started' };
      },
    });
    // Act
    const response = await handler(sample(), { getRemainingTimeInMillis: () => 60_000 } as Context);
    // Assess
    expect(response).toMatchObject({ status: 'ok', heal: { kind: 'started', tableName: 'dms_orders' } });
    expect(healed).toHaveLength(1);
  });
});
