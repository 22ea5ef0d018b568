import { ConfigurationError } from '../../../src/errors';
import { describeForUser, UsageError, UserFacingError } from '../../../cli/errors';
import { describeAction, formatPlan, formatStatusTable, toStatusRow } from '../../../cli/format';
import { parseEnvFile } from '../../../cli/main';
import { compactDiff, createRateLimiter, formatEventLine } from '../../../local/display';
import { cloudTrailDate, cloudTrailTableEvent, toCloudTrailCase } from '../../../local/cloudtrail';

const named = (name: string, message: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(message), { name }, extra);

describe('describeForUser', () => {
  it.each([
    ['usage', new UsageError('unknown command "x"'), 'unknown command "x" (see dms-event-bus --help)'],
    ['user-facing', new UserFacingError('Table t not found in eu-west-1.'), 'Table t not found in eu-west-1.'],
    ['configuration', new ConfigurationError('SCALING_MAX_CAPACITY must be >= 1, got 0'), 'SCALING_MAX_CAPACITY must be >= 1, got 0'],
    ['no credentials', named('CredentialsProviderError', 'Could not load credentials from any providers'), 'No AWS credentials found: configure a profile (aws configure, AWS_PROFILE) or environment credentials, or use --local.'],
    ['no region', named('Error', 'Region is missing'), 'No AWS region configured: set AWS_REGION (or a profile region) or pass --region.'],
    ['emulator missing', named('EmulatorMissingError', 'moto server is required …'), 'moto server is required …'],
    ['bad credentials', named('UnrecognizedClientException', 'The security token included in the request is invalid.'), 'AWS rejected the credentials (UnrecognizedClientException): refresh them or choose another profile.'],
  ])('%s', (_name, error, expected) => {
    expect(describeForUser(error)).toBe(expected);
  });

  it('points at npm start when a local endpoint refuses connections', () => {
    const error = named('Error', 'connect ECONNREFUSED 127.0.0.1:4566', { code: 'ECONNREFUSED' });
    expect(describeForUser(error)).toMatch(/^Cannot reach the AWS endpoint .*is the local pipeline running \(npm start\)\?/);
  });

  it('reports anything else as unexpected, in one line', () => {
    expect(describeForUser(new RangeError('boom'))).toBe('unexpected error: RangeError: boom');
  });
});

describe('status and plan formatting', () => {
  const observed = {
    tableName: 'dms_orders',
    table: { name: 'dms_orders', arn: 'arn:t', status: 'ACTIVE', billingMode: 'PROVISIONED' as const, stream: { enabled: true, viewType: 'NEW_AND_OLD_IMAGES', latestArn: 'arn:s2' }, indexes: [] },
    mappings: [
      { uuid: 'u1', streamArn: 'arn:s2', state: 'Enabled', functionResponseTypes: [] },
      { uuid: 'u0', streamArn: 'arn:s1', state: 'Enabled', functionResponseTypes: [] },
    ],
    targets: [
      { resourceId: 'table/dms_orders', dimension: 'dynamodb:table:ReadCapacityUnits', minCapacity: 5, maxCapacity: 1000 },
      { resourceId: 'table/dms_orders', dimension: 'dynamodb:table:WriteCapacityUnits', minCapacity: 5, maxCapacity: 1000 },
      { resourceId: 'table/dms_orders/index/gsi', dimension: 'dynamodb:index:ReadCapacityUnits', minCapacity: 5, maxCapacity: 1000 },
    ],
    policies: [],
  };
  const row = toStatusRow({
    table: 'dms_orders',
    observed,
    actions: [{ type: 'delete-mapping', uuid: 'u0', streamArn: 'arn:s1', reason: 'old-stream' }],
    conflicts: [],
    lastProcessingResults: { u1: 'OK' },
    backfill: { state: 'running', detail: '1/2 segments, 40 items' },
  });

  it('builds the row from what the reconciler observed', () => {
    expect(row).toMatchObject({
      exists: true,
      stream: { enabled: true, viewType: 'NEW_AND_OLD_IMAGES', arn: 'arn:s2' },
      mappings: [
        { uuid: 'u1', state: 'Enabled', lastProcessingResult: 'OK', onLatestStream: true },
        { uuid: 'u0', state: 'Enabled', lastProcessingResult: null, onLatestStream: false },
      ],
      converged: false,
    });
  });

  it('renders aligned columns', () => {
    const text = formatStatusTable([row]);
    expect(text.split('\n')).toEqual([
      expect.stringMatching(/^TABLE\s+STREAM\s+MAPPING\s+CAPACITY\s+DRIFT\s+CONFLICTS\s+BACKFILL$/),
      'dms_orders  NEW_AND_OLD_IMAGES  Enabled (OK); Enabled [old stream]  provisioned, autoscaling R 5-1000 W 5-1000 +1 index targets  1 change  -          running (1/2 segments, 40 items)',
    ]);
    expect(formatStatusTable([])).toMatch(/^No tables in scope/);
  });

  it('shows a mapping kept on an old stream as draining, with when it goes', () => {
    // Prepare
    const draining = toStatusRow({
      table: 'dms_orders', observed, actions: [], conflicts: [], lastProcessingResults: { u1: 'OK' }, backfill: { state: 'done' },
      draining: [{ uuid: 'u0', streamArn: 'arn:s1', reason: 'stream-readable', removeAfter: Date.parse('2026-01-02T01:00:00.000Z') }],
    });
    const untilDeleted = toStatusRow({
      table: 'gone', observed: { ...observed, table: null, mappings: [observed.mappings[1]!] }, actions: [], conflicts: [], lastProcessingResults: {}, backfill: { state: 'none' },
      draining: [{ uuid: 'u0', streamArn: 'arn:s1', reason: 'stream-readable' }],
    });
    // Act
    const table = formatStatusTable([draining, untilDeleted]);
    const planned = formatPlan([draining]);
    // Assess
    expect(draining.mappings[1]).toMatchObject({ uuid: 'u0', draining: { until: '2026-01-02T01:00:00.000Z', reason: 'stream-readable' } });
    expect(draining.converged).toBe(true);
    expect(table).toContain('Enabled (OK); Enabled [draining until 2026-01-02T01:00:00.000Z]');
    expect(table).toContain('Enabled [draining until the stream is deleted]');
    expect(planned).toBe('dms_orders: in sync, nothing to do\n  ~ mapping u0 draining until 2026-01-02T01:00:00.000Z');
  });

  it('renders the plan', () => {
    expect(formatPlan([row])).toBe('dms_orders:\n  + delete mapping u0 (old-stream)');
    expect(describeAction({ type: 'update-mapping', uuid: 'u1', changes: { batchSize: 500 }, before: { batchSize: 100 } })).toBe('update mapping u1: batchSize 100 -> 500');
  });
});

describe('event lines', () => {
  it.each([
    ['insert', { table: 't', operation: 'insert', keys: { id: '1' }, old: null, new: { id: '1', name: 'Ann' } }, 't                INSERT    id=1                          + {name="Ann"}'],
    ['modify', { table: 't', operation: 'modify', keys: { id: '1' }, old: { id: '1', n: '1', gone: true }, new: { id: '1', n: '2', added: 'x' } }, 't                MODIFY    id=1                          n: "1" -> "2", gone: true -> ∅, added: ∅ -> "x"'],
    ['remove', { table: 't', operation: 'remove', keys: { id: '1' }, old: { id: '1', n: '2' }, new: null }, 't                REMOVE    id=1                          - {n="2"}'],
  ])('%s', (_name, event, expected) => {
    expect(formatEventLine(event, new Date('2026-01-01T12:00:01.250Z'))).toBe(`12:00:01.250  ${expected}`);
  });

  it('compactDiff limits long diffs', () => {
    const before = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`a${i}`, i]));
    const after = Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`a${i}`, i + 1]));
    expect(compactDiff(before, after)).toMatch(/\+2 more$/);
    expect(compactDiff({ a: 1 }, { a: 1 })).toBe('(no attribute changed)');
  });

  it('the rate limiter shows N lines a second and counts the rest', () => {
    const printed: string[] = [];
    let now = 0;
    const limiter = createRateLimiter(2, (line) => printed.push(line), () => now);
    ['a', 'b', 'c', 'd'].forEach((l) => limiter.line(l));
    now = 1_000;
    limiter.line('e');
    expect(printed).toEqual(['a', 'b', '… 2 more events (not shown)', 'e']);
  });
});

describe('CloudTrail events and the env file', () => {
  it('writes keys and dates the way CloudTrail does', () => {
    expect(toCloudTrailCase({ TableName: 't', SSESpecification: { SSEEnabled: true }, KeySchema: [{ AttributeName: 'id' }] })).toEqual({ tableName: 't', sSESpecification: { sSEEnabled: true }, keySchema: [{ attributeName: 'id' }] });
    expect(cloudTrailDate(new Date('2015-05-01T19:24:55Z'))).toBe('May 1, 2015 7:24:55 PM');
    const event = cloudTrailTableEvent({ eventName: 'CreateTable', region: 'us-east-1', accountId: '123456789012', request: { TableName: 'dms_x' } });
    expect(event).toMatchObject({
      'detail-type': 'AWS API Call via CloudTrail',
      source: 'aws.dynamodb',
      resources: [],
      detail: { eventSource: 'dynamodb.amazonaws.com', eventName: 'CreateTable', requestParameters: { tableName: 'dms_x' }, responseElements: null, userIdentity: { type: 'AssumedRole', sessionContext: { sessionIssuer: { arn: 'arn:aws:iam::123456789012:role/dms-dynamodb-target-role' } } } },
    });
  });

  it('parses the export lines npm start writes', () => {
    expect(parseEnvFile("export AWS_REGION='us-east-1'\nexport TABLE_EXCLUDE_PATTERNS='awsdms_*,x'\nexport Q='it'\\''s'\n# comment\n")).toEqual({ AWS_REGION: 'us-east-1', TABLE_EXCLUDE_PATTERNS: 'awsdms_*,x', Q: "it's" });
  });
});
