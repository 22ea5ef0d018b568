/** Change events for the consumer kit's unit tests. */
import type { ChangeEvent } from '../../../src/consumer';

const TABLE_ARN = 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders';
export const STREAM_1 = `${TABLE_ARN}/stream/2026-03-01T00:00:00.000`;
export const STREAM_2 = `${TABLE_ARN}/stream/2026-03-05T00:00:00.000`;

/** A stream change of item `id` (insert unless told). */
export function change(sequenceNumber: string, at: string, overrides: Partial<ChangeEvent> = {}): ChangeEvent {
  return {
    schemaVersion: 1,
    id: `evt-${sequenceNumber}`,
    operation: 'modify',
    table: 'orders',
    sequenceNumber,
    approximateCreationTime: at,
    readAt: null,
    ttlDeletion: false,
    source: { eventSource: 'aws:dynamodb', region: 'eu-west-1', tableArn: TABLE_ARN, streamArn: STREAM_1 },
    truncated: [],
    keys: { id: '1' },
    old: null,
    new: { id: '1', v: sequenceNumber },
    ...overrides,
  };
}

/** A snapshot of item 1 read at `readAt`, of a run of `reason` started at `runStartedAt`. */
export function snapshot(readAt: string, reason: 'initial' | 'forced' | 'heal' | undefined, runStartedAt = readAt, overrides: Partial<ChangeEvent> = {}): ChangeEvent {
  return change('0', readAt, {
    id: `snapshot-${readAt}-${reason}`,
    operation: 'snapshot',
    sequenceNumber: null,
    readAt,
    new: { id: '1', v: `snapshot ${readAt}` },
    ...(reason ? { snapshot: { reason, runStartedAt } } : {}),
    ...overrides,
  });
}

/** The same event as the Lambda Kinesis event record that carries it. */
export function lambdaRecord(data: unknown, sequenceNumber: string) {
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  return { kinesis: { data: Buffer.from(text, 'utf8').toString('base64'), sequenceNumber, partitionKey: 'orders|{"id":"1"}' }, eventID: `shardId-000000000000:${sequenceNumber}` };
}
