import fc from 'fast-check';
import { applyPage, claim, newRun, recordFailure } from '../../../src/backfill-state/checkpoint';
import { itemToState, stateToItem } from '../../../src/backfill-state/state-store';
import { BACKFILL_DEFAULTS, loadBackfillConfig } from '../../../src/config/backfill';
import { BACKFILL_STARTER_DEFAULTS, loadBackfillStarterConfig } from '../../../src/config/backfill-starter';
import { ConfigurationError } from '../../../src/errors';

describe('state item round trip', () => {
  it('keeps every field, including S, N and B keys, exactly', () => {
    // Prepare
    let state = newRun({ tableName: 'orders', tableArn: 'arn:t', streamArn: 'arn:s', runId: 'r', reason: 'manual', totalSegments: 3, now: 5 });
    const segments = [...state.segments];
    segments[0] = applyPage(claim(segments[0]!, 'inv', 99, 0), { items: 7, lastKey: { pk: { S: 'a' }, sk: { N: '12345678901234567890.5' } } });
    segments[1] = recordFailure(applyPage(segments[1]!, { items: 2, lastKey: { id: { B: new Uint8Array([0, 255, 7]) } } }), { message: 'boom', terminal: false }, 5);
    segments[2] = applyPage(segments[2]!, { items: 0, lastKey: undefined });
    state = { ...state, segments, error: 'x', finishedAt: 9 };

    // Act
    const item = stateToItem(state, 4);
    const back = itemToState(item);

    // Assess
    expect(item.pk).toEqual({ S: 'orders' });
    expect(item.sk).toEqual({ S: 'backfill' });
    expect(back).toEqual({ value: state, version: 4 });
  });

  it('round-trips any item counts and versions (property)', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.string({ minLength: 1 }), (items, version, key) => {
        const run = newRun({ tableName: 't', tableArn: 'a', streamArn: 's', runId: 'r', reason: 'stream-enabled', totalSegments: 1, now: 0 });
        const state = { ...run, segments: [{ ...run.segments[0]!, items, version, lastKey: { id: { S: key } } }] };
        expect(itemToState(stateToItem(state, version)).value).toEqual(state);
      }),
    );
  });

  it('rejects an item that lost a segment', () => {
    // Prepare
    const item = stateToItem(newRun({ tableName: 't', tableArn: 'a', streamArn: 's', runId: 'r', reason: 'manual', totalSegments: 2, now: 0 }), 1);
    delete item.segments!.M!['1'];

    // Act / Assess
    expect(() => itemToState(item)).toThrow('segment 1 is missing');
  });
});

describe('loadBackfillConfig (the snapshot function)', () => {
  const required = { BACKFILL_STATE_TABLE: 'state', KINESIS_STREAM_NAME: 'events' };

  it('applies the documented defaults', () => {
    // Act
    const config = loadBackfillConfig({ ...required, AWS_LAMBDA_FUNCTION_NAME: 'snapshot', AWS_REGION: 'eu-west-1' });

    // Assess
    expect(config).toEqual({
      stateTable: 'state',
      readCapacityFraction: BACKFILL_DEFAULTS.readCapacityFraction,
      onDemandMaxRcu: 100,
      pageLimit: 500,
      stopMarginMs: 20_000,
      maxSegmentAttempts: 5,
      kinesisStreamName: 'events',
      maxRecordSizeBytes: 1_048_576,
      region: 'eu-west-1',
      lambdaFunctionName: 'snapshot',
    });
  });

  it.each([
    { env: { KINESIS_STREAM_NAME: 'e' }, message: 'BACKFILL_STATE_TABLE' },
    { env: { BACKFILL_STATE_TABLE: 's' }, message: 'KINESIS_STREAM_NAME' },
    { env: { ...required, BACKFILL_READ_CAPACITY_FRACTION: '0' }, message: 'BACKFILL_READ_CAPACITY_FRACTION' },
    { env: { ...required, BACKFILL_READ_CAPACITY_FRACTION: '1.5' }, message: 'BACKFILL_READ_CAPACITY_FRACTION' },
    { env: { ...required, BACKFILL_ON_DEMAND_MAX_RCU: '-1' }, message: 'BACKFILL_ON_DEMAND_MAX_RCU' },
    { env: { ...required, BACKFILL_PAGE_LIMIT: '1001' }, message: 'BACKFILL_PAGE_LIMIT' },
    { env: { ...required, MAX_RECORD_SIZE_BYTES: '10' }, message: 'MAX_RECORD_SIZE_BYTES' },
  ])('rejects bad $message', ({ env, message }) => {
    expect(() => loadBackfillConfig(env)).toThrow(ConfigurationError);
    expect(() => loadBackfillConfig(env)).toThrow(message);
  });
});

describe('loadBackfillStarterConfig (the reconciler)', () => {
  it('applies the documented defaults and needs no stream or publisher settings', () => {
    // Act
    const config = loadBackfillStarterConfig({ BACKFILL_STATE_TABLE: 'state', SNAPSHOT_FUNCTION_NAME: 'snap' });

    // Assess
    expect(config).toEqual({ enabled: true, stateTable: 'state', segments: BACKFILL_STARTER_DEFAULTS.segments, staleAfterMs: 900_000, snapshotFunctionName: 'snap' });
  });

  it('leaves SNAPSHOT_FUNCTION_NAME unset rather than falling back to the running function', () => {
    expect(loadBackfillStarterConfig({ BACKFILL_STATE_TABLE: 's', AWS_LAMBDA_FUNCTION_NAME: 'reconciler' }).snapshotFunctionName).toBeUndefined();
  });

  it.each([
    { env: {}, message: 'BACKFILL_STATE_TABLE' },
    { env: { BACKFILL_STATE_TABLE: 's', BACKFILL_SEGMENTS: '0' }, message: 'BACKFILL_SEGMENTS' },
    { env: { BACKFILL_STATE_TABLE: 's', BACKFILL_SEGMENTS: '65' }, message: 'BACKFILL_SEGMENTS' },
    { env: { BACKFILL_STATE_TABLE: 's', BACKFILL_ENABLED: 'maybe' }, message: 'BACKFILL_ENABLED' },
  ])('rejects bad $message', ({ env, message }) => {
    expect(() => loadBackfillStarterConfig(env)).toThrow(ConfigurationError);
    expect(() => loadBackfillStarterConfig(env)).toThrow(message);
  });
});
