/**
 * DynamoDB Streams events written by others (AWS SDK test data, AWS guides, SAM CLI,
 * Powertools, a real capture: ../shared/fixtures/real/PROVENANCE.md) through the forwarder
 * handler. Every record is published exactly (checked field by field against the record,
 * with a mapping written here independently of the codec) or, where its eventSourceARN names
 * no table, published as an unconvertible marker in its place. Files are found by name pattern: a new one is played too.
 */
import type { AttributeMap, AttributeValue, DynamoDbStreamRecord } from '../../../src/change-event';
import type { ChangeEventV1 } from '../../../src/change-event';
import { expectPublishedAsMarker, playThroughForwarder, type RecordOutcome } from '../../fixtures/forwarder/playback';
import { listAllRealJsonFixtures, listRealFixtures, readRealFixture, RealFixtureKind } from '../../support/real-fixtures';

/** The documented DynamoDB -> JSON mapping (docs/change-events.md), as an oracle. */
function jsonOf(value: AttributeValue): unknown {
  const [type, inner] = Object.entries(value)[0] as [string, unknown];
  switch (type) {
    case 'S':
    case 'N':
    case 'B':
    case 'BOOL':
      return inner;
    case 'NULL':
      return null;
    case 'SS':
    case 'NS':
    case 'BS':
      return [...(inner as unknown[])];
    case 'L':
      return (inner as AttributeValue[]).map(jsonOf);
    case 'M':
      return mapOf(inner as AttributeMap);
    default:
      throw new Error(`unknown attribute type ${type}`);
  }
}
function mapOf(map: AttributeMap | undefined): Record<string, unknown> | null {
  if (map === undefined) return null;
  return Object.fromEntries(Object.entries(map).map(([name, value]) => [name, jsonOf(value)]));
}

/** Table name from a stream ARN, or undefined when the ARN names none. */
function tableOf(eventSourceArn: unknown): string | undefined {
  return typeof eventSourceArn === 'string' ? /^arn:[^:]+:dynamodb:[^:]*:[^:]*:table\/([^/]+)\/stream\/[^/]+$/.exec(eventSourceArn)?.[1] : undefined;
}

/** Epoch ms a fixture's ApproximateCreationDateTime stands for (the fixtures use seconds or milliseconds). */
function creationMs(value: unknown): number | null {
  if (value === undefined) return null;
  const n = value as number;
  return n < 1e11 ? Math.round(n * 1000) : n;
}

function expectPublishedExactly(outcome: RecordOutcome): void {
  const { record, events, failure } = outcome;
  expect(failure).toBeUndefined();
  expect(events).toHaveLength(1);
  const { partitionKey, event } = events[0] as { partitionKey: string; event: ChangeEventV1 };
  const dynamodb = record.dynamodb ?? {};
  const table = tableOf(record.eventSourceARN) as string;
  const expectedTime = creationMs(dynamodb.ApproximateCreationDateTime);
  const identity = record.userIdentity as { type?: string; principalId?: string } | undefined;
  expect(event).toEqual({
    schemaVersion: 1,
    id: record.eventID,
    operation: String(record.eventName).toLowerCase(),
    table,
    sequenceNumber: dynamodb.SequenceNumber,
    approximateCreationTime: expectedTime === null ? null : new Date(expectedTime).toISOString(),
    readAt: null,
    ttlDeletion: record.eventName === 'REMOVE' && identity?.type === 'Service' && identity.principalId === 'dynamodb.amazonaws.com',
    source: {
      eventSource: 'aws:dynamodb',
      region: record.awsRegion,
      tableArn: String(record.eventSourceARN).slice(0, String(record.eventSourceARN).indexOf('/stream/')),
      streamArn: record.eventSourceARN,
    },
    // None of these captures comes from a DMS task with the header mapping: no source position.
    origin: { commitTime: null, changeSequence: null, transactionId: null, streamPosition: null },
    truncated: [],
    keys: mapOf(dynamodb.Keys),
    old: mapOf(dynamodb.OldImage),
    new: mapOf(dynamodb.NewImage),
  });
  expect(partitionKey.startsWith(`${table}|`)).toBe(true);
}

/** Asserts one outcome per record, in order, each published exactly or as a marker. */
function expectEveryRecordAccountedFor(records: readonly DynamoDbStreamRecord[], outcomes: readonly RecordOutcome[]): void {
  expect(outcomes.map((outcome) => outcome.record)).toEqual(records);
  for (const outcome of outcomes) {
    if (tableOf(outcome.record.eventSourceARN) !== undefined) expectPublishedExactly(outcome);
    else expectPublishedAsMarker(outcome, 'not a DynamoDB stream ARN');
  }
}

describe('real DynamoDB Streams events through the forwarder', () => {
  const streamEvents = listRealFixtures(RealFixtureKind.StreamEvent);

  it('finds the shared fixtures, and every file there is of a kind some test plays', () => {
    // Prepare
    const patterns = Object.values(RealFixtureKind);
    // Act
    const unplayed = listAllRealJsonFixtures().filter((name) => !patterns.some((pattern) => listRealFixtures(pattern).includes(name)));
    // Assess
    expect(streamEvents.length).toBeGreaterThanOrEqual(20);
    expect(unplayed).toEqual([]);
  });

  it.each(streamEvents)('%s: every record published exactly or as a marker, as one batch', async (name) => {
    // Prepare
    const { Records, ...extra } = readRealFixture<{ Records: DynamoDbStreamRecord[] }>(name);
    expect(Records.length).toBeGreaterThan(0);
    // Act (a time-window event's window/state fields stay next to Records, as Lambda sends them)
    const outcomes = await playThroughForwarder(Records, extra);
    // Assess
    expectEveryRecordAccountedFor(Records, outcomes);
  });

  it.each(streamEvents)('%s: every record alone, as Lambda delivers it after bisecting', async (name) => {
    // Prepare
    const { Records } = readRealFixture<{ Records: DynamoDbStreamRecord[] }>(name);
    for (const record of Records) {
      // Act
      const outcomes = await playThroughForwarder([record]);
      // Assess
      expectEveryRecordAccountedFor([record], outcomes);
    }
  });

  it.each(listRealFixtures(RealFixtureKind.StreamRecord))('%s (a single record): published exactly as a batch of one', async (name) => {
    // Prepare
    const record = readRealFixture<DynamoDbStreamRecord>(name);
    // Act
    const outcomes = await playThroughForwarder([record]);
    // Assess
    expectEveryRecordAccountedFor([record], outcomes);
  });

  it.each(listRealFixtures(RealFixtureKind.KinesisWrapped))(
    '%s (a Kinesis event, not a DynamoDB Streams batch): every record published as a marker, nothing fails',
    async (name) => {
      // Prepare
      const { Records } = readRealFixture<{ Records: DynamoDbStreamRecord[] }>(name);
      // Act
      const outcomes = await playThroughForwarder(Records);
      // Assess: they are no DynamoDB stream records (eventName aws:kinesis:record), so each becomes a marker
      expect(outcomes).toHaveLength(Records.length);
      for (const outcome of outcomes) expectPublishedAsMarker(outcome, 'malformed-record: stream record');
    },
  );
});
