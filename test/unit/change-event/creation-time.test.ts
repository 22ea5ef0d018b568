/**
 * ApproximateCreationDateTime in every form real events carry it (epoch seconds, milliseconds,
 * microseconds, E-notation, fractions), and what happens to values no form explains.
 * DynamoDB Streams documents epoch seconds rounded down to the second:
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_StreamRecord.html
 */
import fc from 'fast-check';
import { changeFieldsFromStreamRecord, creationTimeToIso, encodeChangeEvent, type DynamoDbStreamRecord } from '../../../src/change-event';
import { MalformedInputError } from '../../../src/errors';
import { streamRecord } from '../../fixtures/forwarder/stream-records';
import { parseValidEvent } from '../../fixtures/forwarder/validate-event';

/** The whole path a Lambda event takes: JSON text, JSON.parse, the codec, the schema. */
function eventTimeFromJsonNumber(text: string): string | null {
  const record = JSON.parse(`{"dynamodb":{"ApproximateCreationDateTime":${text}}}`) as { dynamodb: { ApproximateCreationDateTime: number } };
  const base = streamRecord();
  const withTime = { ...base, dynamodb: { ...base.dynamodb, ApproximateCreationDateTime: record.dynamodb.ApproximateCreationDateTime } } as DynamoDbStreamRecord;
  return parseValidEvent(encodeChangeEvent(changeFieldsFromStreamRecord(withTime)).data).approximateCreationTime;
}

describe('ApproximateCreationDateTime to approximateCreationTime', () => {
  it.each([
    ['epoch seconds (Lambda, AWS samples)', '1594935882', '2020-07-16T21:44:42.000Z'],
    ['seconds with a zero fraction (Powertools)', '1693997155.0', '2023-09-06T10:45:55.000Z'],
    ['Java E-notation (aws-lambda-java-libs)', '1.44130524E9', '2015-09-03T18:34:00.000Z'],
    ['E-notation with more digits than a double holds', '1.635734407123456789E9', '2021-11-01T02:40:07.123Z'],
    ['lower-case, signed exponent', '1.7e+9', '2023-11-14T22:13:20.000Z'],
    ['seconds with milliseconds, kept (not truncated by float error)', '1693997155.123', '2023-09-06T10:45:55.123Z'],
    ['epoch milliseconds (aws-lambda-dotnet with-ms)', '1480642020000', '2016-12-02T01:27:00.000Z'],
    ['epoch milliseconds (Kinesis Data Streams for DynamoDB)', '1731924555370', '2024-11-18T10:09:15.370Z'],
    ['milliseconds in E-notation', '1.73192455537E12', '2024-11-18T10:09:15.370Z'],
    ['epoch microseconds (MICROSECOND precision)', '1731924555370123', '2024-11-18T10:09:15.370Z'],
    ['zero', '0', '1970-01-01T00:00:00.000Z'],
    ['negative zero', '-0', '1970-01-01T00:00:00.000Z'],
  ])('reads %s', (_name, text, expected) => {
    // Act
    const iso = eventTimeFromJsonNumber(text);
    // Assess
    expect(iso).toBe(expected);
  });

  it('reads the SDK forms: a Date, an RFC 3339 string, a number in a string', () => {
    // Act / Assess
    expect(creationTimeToIso(new Date('2026-01-02T03:04:05.678Z'))).toBe('2026-01-02T03:04:05.678Z');
    expect(creationTimeToIso('2026-01-02T04:04:05.678+01:00')).toBe('2026-01-02T03:04:05.678Z');
    expect(creationTimeToIso('1480642020')).toBe('2016-12-02T01:27:00.000Z');
    expect(creationTimeToIso(undefined)).toBeNull();
  });

  it.each([
    ['a negative number', '-1', 'before 1970'],
    ['an overflowing number (JSON.parse gives Infinity)', '1e400', 'not a finite number'],
    ['nanoseconds', '1731924555370123456', 'too large'],
  ])('refuses %s with a MalformedInputError, never a date', (_name, text, message) => {
    // Act
    const act = () => eventTimeFromJsonNumber(text);
    // Assess
    expect(act).toThrow(MalformedInputError);
    expect(act).toThrow(message);
  });

  it.each([
    ['words', 'soon'],
    ['a date-only string', '2026-01-02'],
    ['a date-time without an offset', '2026-01-02T03:04:05'],
    ['an extended-year Date', new Date('+050000-01-01T00:00:00Z')],
    ['an invalid Date', new Date(Number.NaN)],
    ['a boolean', true],
    ['an object', { seconds: 1 }],
  ])('refuses %s with a MalformedInputError', (_name, value) => {
    // Act / Assess
    expect(() => creationTimeToIso(value as never)).toThrow(MalformedInputError);
  });
});

/** Any JSON number text (RFC 8259 section 6): sign, integer, fraction, exponent. */
const jsonNumberText = fc
  .record({
    minus: fc.boolean(),
    int: fc.oneof(fc.constant('0'), fc.stringMatching(/^[1-9]\d{0,19}$/)),
    fraction: fc.option(fc.stringMatching(/^\d{1,25}$/), { nil: undefined }),
    exponent: fc.option(fc.record({ e: fc.constantFrom('e', 'E'), sign: fc.constantFrom('', '+', '-'), digits: fc.integer({ min: 0, max: 400 }) }), { nil: undefined }),
  })
  .map(({ minus, int, fraction, exponent }) => `${minus ? '-' : ''}${int}${fraction ? `.${fraction}` : ''}${exponent ? `${exponent.e}${exponent.sign}${exponent.digits}` : ''}`);

/** One instant between 2014 (DynamoDB Streams) and 2200, as epoch milliseconds. */
const instantMs = fc.integer({ min: Date.UTC(2014, 0, 1), max: Date.UTC(2200, 0, 1) });

describe('ApproximateCreationDateTime properties', () => {
  it('any JSON number yields a schema-valid date or a MalformedInputError, never anything else', () => {
    fc.assert(
      fc.property(jsonNumberText, (text) => {
        // Act
        let iso: string | null;
        try {
          iso = eventTimeFromJsonNumber(text);
        } catch (error) {
          // Assess: refused only when no unit can read it
          expect(error).toBeInstanceOf(MalformedInputError);
          const value = Number(text);
          expect(!Number.isFinite(value) || value < 0 || value >= 1e17).toBe(true);
          return;
        }
        // Assess: parseValidEvent has checked format date-time; a four-digit year, 1970 to 5138
        expect(iso).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
        expect(Number((iso as string).slice(0, 4))).toBeLessThanOrEqual(5138);
      }),
      { numRuns: 2000 },
    );
  });

  it('every way of writing one instant yields that instant, to the millisecond', () => {
    const forms = fc.constantFrom(
      (ms: number) => (ms / 1000).toFixed(3), // seconds with milliseconds
      (ms: number) => (ms / 1000).toExponential().replace('e+', 'E'), // Java E-notation of seconds
      (ms: number) => (ms / 1000).toExponential(), // lower-case, signed exponent
      (ms: number) => String(ms), // milliseconds
      (ms: number) => `${ms / 1000}e3`, // milliseconds in E-notation
      (ms: number) => `${ms}000`, // microseconds
    );
    fc.assert(
      fc.property(instantMs, forms, (ms, form) => {
        // Act
        const iso = eventTimeFromJsonNumber(form(ms));
        // Assess
        expect(iso).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 1000 },
    );
  });

  it('digits beyond the millisecond move the time by at most one millisecond (rounding)', () => {
    fc.assert(
      fc.property(instantMs, fc.stringMatching(/^\d{1,12}$/), (ms, extra) => {
        // Act
        const iso = eventTimeFromJsonNumber(`${(ms / 1000).toFixed(3)}${extra}`);
        // Assess
        expect(Math.abs(Date.parse(iso as string) - ms)).toBeLessThanOrEqual(1);
      }),
    );
  });
});
