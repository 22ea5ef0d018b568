import { changeFieldsFromStreamRecord, encodeChangeEvent } from '../../../src/change-event';
import { streamRecord } from '../../fixtures/forwarder/stream-records';
import { parseValidEvent } from '../../fixtures/forwarder/validate-event';

/** The schema must reject what the format forbids, or validating every produced event proves nothing. */
describe('schema/change-event.v1.json', () => {
  const valid = () => JSON.parse(Buffer.from(encodeChangeEvent(changeFieldsFromStreamRecord(streamRecord({ eventName: 'MODIFY' }))).data).toString()) as Record<string, unknown>;

  it('accepts an event the encoder produced', () => {
    expect(() => parseValidEvent(JSON.stringify(valid()))).not.toThrow();
  });

  const broken: Array<[string, (event: Record<string, unknown>) => void]> = [
    ['a missing id', (e) => delete e.id],
    ['an unknown operation', (e) => (e.operation = 'upsert')],
    ['schemaVersion 2', (e) => (e.schemaVersion = 2)],
    ['an unknown field', (e) => (e.extra = true)],
    ['a JSON number as an attribute value', (e) => ((e.new as Record<string, unknown>).value = 1)],
    ['an insert with an old image', (e) => (e.operation = 'insert')],
    ['a remove with a new image', (e) => (e.operation = 'remove')],
    ['a snapshot with a sequence number', (e) => ((e.operation = 'snapshot'), (e.old = null), (e.readAt = '2026-01-01T00:00:00.000Z'))],
    ['a stream change with readAt', (e) => (e.readAt = '2026-01-01T00:00:00.000Z')],
    ['truncated old while old is present', (e) => (e.truncated = ['old'])],
    ['a bad creation time', (e) => (e.approximateCreationTime = 'yesterday')],
    ['a non-numeric sequence number', (e) => (e.sequenceNumber = 'abc')],
    ['a Kinesis ARN as table ARN', (e) => ((e.source as Record<string, unknown>).tableArn = 'arn:aws:kinesis:eu-west-1:1:stream/x')],
  ];
  it.each(broken)('rejects %s', (_name, damage) => {
    // Prepare
    const event = valid();
    damage(event);
    // Act
    const act = () => parseValidEvent(JSON.stringify(event));
    // Assess
    expect(act).toThrow('does not match schema');
  });
});
