import fc from 'fast-check';
import {
  InvalidAttributeValueError,
  quote,
  writeAttributeMap,
  writeAttributeValue,
  writeCanonicalAttributeMap,
  type AttributeMap,
  type AttributeValue,
} from '../../../src/change-event';

describe('writeAttributeValue: the documented DynamoDB -> JSON mapping', () => {
  const cases: Array<[string, AttributeValue, unknown]> = [
    ['string', { S: 'hello' }, 'hello'],
    ['empty string', { S: '' }, ''],
    ['unicode string (BMP, astral, combining)', { S: 'Grüße 日本 🚀 e\u0301' }, 'Grüße 日本 🚀 e\u0301'],
    ['string needing escapes', { S: 'quote " backslash \\ newline \n tab \t nul \u0000' }, 'quote " backslash \\ newline \n tab \t nul \u0000'],
    ['lone surrogate stays valid JSON', { S: 'a\uD800b' }, 'a\uD800b'],
    ['integer', { N: '42' }, '42'],
    ['zero', { N: '0' }, '0'],
    ['negative', { N: '-17.25' }, '-17.25'],
    ['38 significant digits', { N: '12345678901234567890123456789012345678' }, '12345678901234567890123456789012345678'],
    ['38 digits with fraction', { N: '-0.12345678901234567890123456789012345678' }, '-0.12345678901234567890123456789012345678'],
    ['beyond the safe integer range', { N: '9007199254740993' }, '9007199254740993'],
    ['tiny', { N: '1E-130' }, '1E-130'],
    ['huge', { N: '9.9999999999999999999999999999999999999E+125' }, '9.9999999999999999999999999999999999999E+125'],
    ['exponent lowercase, negative', { N: '-2.5e-3' }, '-2.5e-3'],
    ['trailing zeros kept verbatim', { N: '1.500' }, '1.500'],
    ['binary from Lambda (base64 text)', { B: 'AAEC/w==' }, 'AAEC/w=='],
    ['binary from the SDK (bytes)', { B: new Uint8Array([0, 1, 2, 255]) }, 'AAEC/w=='],
    ['binary: a view into a larger buffer', { B: new Uint8Array([9, 9, 0, 1, 2, 255, 9]).subarray(2, 6) }, 'AAEC/w=='],
    ['empty binary', { B: new Uint8Array(0) }, ''],
    ['true', { BOOL: true }, true],
    ['false', { BOOL: false }, false],
    ['null', { NULL: true }, null],
    ['string set', { SS: ['a', 'b', 'ü'] }, ['a', 'b', 'ü']],
    ['number set, exact', { NS: ['1', '-0.5', '12345678901234567890123456789012345678'] }, ['1', '-0.5', '12345678901234567890123456789012345678']],
    ['binary set, mixed sources', { BS: ['AQI=', new Uint8Array([3, 4])] }, ['AQI=', 'AwQ=']],
    ['empty map', { M: {} }, {}],
    ['empty list', { L: [] }, []],
    ['list of mixed', { L: [{ S: 'x' }, { N: '1' }, { NULL: true }, { BOOL: false }] }, ['x', '1', null, false]],
    ['map with empty-string attribute name', { M: { '': { S: 'v' } } }, { '': 'v' }],
  ];

  it.each(cases)('%s', (_name, value, expected) => {
    // Act
    const text = writeAttributeValue(value);
    // Assess
    expect(JSON.parse(text)).toEqual(expected);
  });

  it('maps deep nesting (32 levels, the DynamoDB maximum) naturally', () => {
    // Prepare
    let value: AttributeValue = { N: '3.14159265358979323846264338327950288' };
    let expected: unknown = '3.14159265358979323846264338327950288';
    for (let depth = 0; depth < 32; depth++) {
      value = depth % 2 === 0 ? { M: { [`level${depth}`]: value } } : { L: [value] };
      expected = depth % 2 === 0 ? { [`level${depth}`]: expected } : [expected];
    }
    // Act
    const parsed = JSON.parse(writeAttributeValue(value));
    // Assess
    expect(parsed).toEqual(expected);
  });

  it('keeps attribute order of maps as delivered', () => {
    // Act
    const text = writeAttributeMap({ b: { N: '1' }, a: { N: '2' } });
    // Assess
    expect(text).toBe('{"b":"1","a":"2"}');
  });

  it('sorts attribute names in the canonical form', () => {
    // Act
    const text = writeCanonicalAttributeMap({ sk: { S: 'x' }, pk: { N: '1' }, Pk: { S: 'y' } });
    // Assess
    expect(text).toBe('{"Pk":"y","pk":"1","sk":"x"}');
  });

  const invalid: Array<[string, unknown, string]> = [
    ['no type member', {}, 'no known type member'],
    ['unknown type member', { X: 'y' }, 'no known type member'],
    ['N that is not a number', { N: '12abc' }, 'N must be a decimal number text'],
    ['N with whitespace', { N: ' 1' }, 'N must be a decimal number text'],
    ['N that is NaN', { N: 'NaN' }, 'N must be a decimal number text'],
    ['N of the wrong type', { N: 12 }, 'N must be a decimal number text'],
    ['S of the wrong type', { S: 5 }, 'S must be a string'],
    ['BOOL of the wrong type', { BOOL: 'yes' }, 'BOOL must be a boolean'],
    ['L that is not an array', { L: {} }, 'L must be an array'],
    ['B of the wrong type', { B: 5 }, 'B must be base64 text or bytes'],
    ['NS with a bad member', { NS: ['1', 'x'] }, 'N must be a decimal number text'],
    ['null', null, 'expected an AttributeValue object'],
  ];

  it.each(invalid)('rejects %s with a clear error', (_name, value, message) => {
    // Act
    const act = () => writeAttributeValue(value as AttributeValue);
    // Assess
    expect(act).toThrow(InvalidAttributeValueError);
    expect(act).toThrow(message);
  });

  it('names the path of a bad nested value', () => {
    // Act
    const act = () => writeAttributeMap({ order: { M: { lines: { L: [{ N: '1' }, { N: 'oops' }] } } } }, '$.new');
    // Assess
    expect(act).toThrow('$.new.order.lines[1]');
  });
});

/** Arbitrary DynamoDB number text: up to 38 significant digits, sign, fraction, exponent. */
const numberText = fc
  .tuple(
    fc.constantFrom('', '-'),
    fc.stringMatching(/^[1-9][0-9]{0,37}$/),
    fc.nat({ max: 38 }),
    fc.option(fc.integer({ min: -130, max: 125 }), { nil: undefined }),
  )
  .map(([sign, digits, point, exponent]) => {
    const at = Math.min(point, digits.length);
    const mantissa = at === 0 || at === digits.length ? digits : `${digits.slice(0, at)}.${digits.slice(at)}`;
    return `${sign}${mantissa}${exponent === undefined ? '' : `E${exponent}`}`;
  });

const base64Text = fc.uint8Array({ maxLength: 24 }).map((bytes) => Buffer.from(bytes).toString('base64'));

const { value: attributeValue } = fc.letrec<{ value: AttributeValue; map: AttributeMap }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.string({ unit: 'grapheme' }).map((S) => ({ S })),
    fc.string({ unit: 'binary' }).map((S) => ({ S })),
    numberText.map((N) => ({ N })),
    base64Text.map((B) => ({ B })),
    fc.uint8Array({ maxLength: 24 }).map((B) => ({ B })),
    fc.boolean().map((BOOL) => ({ BOOL })),
    fc.constant({ NULL: true }),
    fc.uniqueArray(fc.string(), { minLength: 1, maxLength: 5 }).map((SS) => ({ SS })),
    fc.uniqueArray(numberText, { minLength: 1, maxLength: 5 }).map((NS) => ({ NS })),
    fc.uniqueArray(base64Text, { minLength: 1, maxLength: 5 }).map((BS) => ({ BS })),
    fc.array(tie('value'), { maxLength: 4 }).map((L) => ({ L })),
    tie('map').map((M) => ({ M })),
  ),
  map: fc.dictionary(fc.string({ unit: 'binary' }), tie('value'), { maxKeys: 5 }) as fc.Arbitrary<AttributeMap>,
}));

/** Reference mapping, written the obvious (slow) way, that the fast writer must agree with. */
function expectedJson(value: AttributeValue): unknown {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return value.N;
  if (value.B !== undefined) return typeof value.B === 'string' ? value.B : Buffer.from(value.B).toString('base64');
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.SS !== undefined) return value.SS;
  if (value.NS !== undefined) return value.NS;
  if (value.BS !== undefined) return value.BS.map((b) => (typeof b === 'string' ? b : Buffer.from(b).toString('base64')));
  if (value.L !== undefined) return value.L.map(expectedJson);
  if (value.M !== undefined) return Object.fromEntries(Object.entries(value.M).map(([k, v]) => [k, expectedJson(v)]));
  throw new Error('unreachable');
}

describe('writeAttributeMap: properties', () => {
  it('any attribute map gives valid JSON equal to the reference mapping, numbers digit for digit', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'binary' }), attributeValue, { maxKeys: 8 }), (item) => {
        // Act
        const text = writeAttributeMap(item as AttributeMap);
        // Assess: JSON.parse accepts it (RFC 8259) and every value, numbers included, is exact
        expect(JSON.parse(text)).toEqual(expectedJson({ M: item as AttributeMap }));
        // and it is well-formed UTF-16 (no lone surrogates leak into the text)
        expect((text as string & { isWellFormed(): boolean }).isWellFormed()).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('UTF-8 byte writer: escaping and number grammar', () => {
  const strings: Array<[string, string]> = [
    ['every control character', Array.from({ length: 0x20 }, (_, code) => String.fromCharCode(code)).join('')],
    ['quote, backslash, slash, DEL', '"\\/\u007f'],
    ['2- and 3-byte UTF-8', 'ÿĀ߿ࠀ￿'],
    ['surrogate pair (4-byte UTF-8)', '🚀x😀'],
    ['lone high surrogate at the end', 'ab\ud83d'],
    ['lone low surrogate first', '\ude80ab'],
    ['two high surrogates in a row', '\ud83d\ud83d\ude80'],
    ['escape after a long ASCII run', `${'a'.repeat(100)}\n${'b'.repeat(100)}`],
  ];

  it.each(strings)('writes %s exactly as JSON.stringify does', (_name, text) => {
    // Act
    const written = quote(text);
    // Assess
    expect(written).toBe(JSON.stringify(text));
  });

  it('writes any string exactly as JSON.stringify does (and as valid UTF-8)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        // Act
        const written = writeAttributeValue({ S: text });
        // Assess: identical text, so identical escaping; decoding back from UTF-8 lost nothing
        expect(written).toBe(JSON.stringify(text));
      }),
      { numRuns: 500 },
    );
  });

  const numbers: Array<[string, boolean]> = [
    ['0', true], ['-0', true], ['+1', true], ['1.', true], ['.5', true], ['-.5', true], ['1e5', true], ['1E+05', true], ['2.5e-3', true],
    ['', false], ['-', false], ['.', false], ['1e', false], ['1e+', false], ['e5', false], ['1.2.3', false], ['1e5.0', false],
    ['1 ', false], ['1\u0000', false], ['0x10', false], ['Infinity', false], ['١', false],
  ];

  it.each(numbers)('N %j accepted: %s (the documented grammar)', (text, accepted) => {
    // Act
    const act = () => writeAttributeValue({ N: text });
    // Assess
    if (accepted) expect(JSON.parse(act())).toBe(text);
    else expect(act).toThrow('N must be a decimal number text');
  });

  it('agrees with the number grammar as a regular expression on any short text over its alphabet', () => {
    const grammar = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('0', '7', '.', 'e', 'E', '+', '-', 'x'), maxLength: 8 }), (text) => {
        // Act
        let accepted = true;
        try {
          writeAttributeValue({ N: text });
        } catch {
          accepted = false;
        }
        // Assess
        expect(accepted).toBe(grammar.test(text));
      }),
      { numRuns: 1_000 },
    );
  });

  it('grows its buffer for large values and reuses it afterwards', () => {
    // Prepare: far beyond the initial 4 KiB / 64 KiB buffers, with multi-byte characters
    const big = 'ü€'.repeat(200_000);
    // Act
    const large = writeAttributeMap({ big: { S: big } });
    const small = writeAttributeMap({ n: { N: '1' } });
    // Assess
    expect(JSON.parse(large)).toEqual({ big });
    expect(small).toBe('{"n":"1"}');
  });
});
