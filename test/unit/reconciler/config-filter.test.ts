import { loadReconcilerConfig, RECONCILER_ENV } from '../../../src/config/reconciler';
import { ConfigurationError } from '../../../src/errors';
import { createTableFilter, globToRegExp } from '../../../src/table-filter';
import { FORWARDER_ARN } from './helpers';

describe('loadReconcilerConfig', () => {
  it('applies the documented defaults and reads account and region from the forwarder ARN', () => {
    // Act
    const config = loadReconcilerConfig({ FORWARDER_FUNCTION_ARN: FORWARDER_ARN });
    // Assess
    expect(config).toMatchObject({
      account: '123456789012', region: 'eu-west-1', partition: 'aws', include: ['*'], exclude: ['awsdms_*'],
      capacity: { mode: 'autoscale', minCapacity: 5, maxCapacity: 1000, targetUtilization: 70 },
      mapping: { batchSize: 100, batchingWindowSeconds: 0, parallelizationFactor: 1, maxRetryAttempts: -1, maxRecordAgeSeconds: -1, bisectOnError: false },
      streamConflictPolicy: 'report', eventBusName: 'default', backfillEnabled: true,
    });
    expect(config.mapping.onFailureDestination).toBeUndefined();
    expect(config.creatorRolePattern).toBeUndefined();
  });

  it.each([
    [{}, 'FORWARDER_FUNCTION_ARN is required'],
    [{ FORWARDER_FUNCTION_ARN: 'forwarder' }, 'must be a Lambda function ARN'],
    [{ FORWARDER_FUNCTION_ARN: FORWARDER_ARN, CAPACITY_MODE: 'manual' }, 'CAPACITY_MODE must be one of'],
    [{ FORWARDER_FUNCTION_ARN: FORWARDER_ARN, SCALING_MIN_CAPACITY: '50', SCALING_MAX_CAPACITY: '10' }, 'SCALING_MAX_CAPACITY (10) must be >='],
    [{ FORWARDER_FUNCTION_ARN: FORWARDER_ARN, ESM_MAX_RECORD_AGE_SECONDS: '30' }, 'ESM_MAX_RECORD_AGE_SECONDS must be -1 or 60..604800'],
    [{ FORWARDER_FUNCTION_ARN: FORWARDER_ARN, SCALING_TARGET_UTILIZATION: '95' }, 'SCALING_TARGET_UTILIZATION must be <= 90'],
    [{ FORWARDER_FUNCTION_ARN: FORWARDER_ARN, STREAM_CONFLICT_POLICY: 'ignore' }, 'STREAM_CONFLICT_POLICY must be one of'],
  ])('rejects %j', (env, message) => {
    // Act / Assess
    expect(() => loadReconcilerConfig(env)).toThrow(ConfigurationError);
    expect(() => loadReconcilerConfig(env)).toThrow(message);
  });

  it('lists every variable it reads in RECONCILER_ENV', () => {
    // Prepare: a proxy records every name read
    const read = new Set<string>();
    const env = new Proxy({ FORWARDER_FUNCTION_ARN: FORWARDER_ARN } as Record<string, string | undefined>, {
      get: (target, name: string) => {
        read.add(name);
        return target[name];
      },
    });
    // Act
    loadReconcilerConfig(env);
    // Assess
    expect([...read].sort()).toEqual([...RECONCILER_ENV].sort());
  });

  it("never manages the project's own backfill state table, whatever the include patterns say", () => {
    // Prepare
    const env = { FORWARDER_FUNCTION_ARN: FORWARDER_ARN, TABLE_INCLUDE_PATTERNS: '*', BACKFILL_STATE_TABLE: 'dms-event-bus-BackfillStateTable-1AB2' };
    // Act
    const config = loadReconcilerConfig(env);
    const filter = createTableFilter({ include: config.include, exclude: config.exclude });
    // Assess
    expect(config.exclude).toEqual(['awsdms_*', 'dms-event-bus-BackfillStateTable-1AB2']);
    expect(filter.includesName('dms-event-bus-BackfillStateTable-1AB2')).toBe(false);
    expect(filter.includesName('dms_orders')).toBe(true);
  });
});

describe('table filter', () => {
  it.each([
    ['orders', undefined],
    ['awsdms_apply_exceptions', 'excluded'],
    ['staging_orders', 'not-included'],
    ['prod_orders', undefined],
    ['prod_orders_tmp', 'excluded'],
  ])('%s -> %s (exclusion wins over inclusion)', (name, rejection) => {
    // Prepare
    const filter = createTableFilter({ include: ['orders', 'prod_*', 'awsdms_*'], exclude: ['awsdms_*', '*_tmp'] });
    // Act / Assess
    expect(filter.reject(name)).toBe(rejection);
  });

  it('treats regex characters literally and ? as one character', () => {
    // Act / Assess
    expect(globToRegExp('a.b?').test('a.bc')).toBe(true);
    expect(globToRegExp('a.b?').test('axbc')).toBe(false);
    expect(globToRegExp('t(1)*').test('t(1)x')).toBe(true);
  });

  it('matches the creator role when a pattern is set, and requires a creator then', () => {
    // Prepare
    const filter = createTableFilter({ include: ['*'], exclude: [], creatorRolePattern: 'arn:aws:iam::*:role/dms-*' });
    // Act / Assess
    expect(filter.reject('t', 'arn:aws:iam::123456789012:role/dms-dynamodb-access')).toBeUndefined();
    expect(filter.reject('t', 'arn:aws:iam::123456789012:role/admin')).toBe('creator-mismatch');
    expect(filter.reject('t')).toBe('creator-mismatch');
  });
});
