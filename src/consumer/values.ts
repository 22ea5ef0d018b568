/**
 * Value helpers. The event keeps DynamoDB numbers as JSON strings holding the exact decimal
 * text (DynamoDB numbers have up to 38 significant digits, more than a JavaScript number
 * holds) and binaries as base64 strings. These helpers read them without losing a digit.
 *
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html#HowItWorks.DataTypes.Number
 */
import { Buffer } from 'node:buffer';
import { ValueFormatError } from './errors';
import type { JsonValue } from './types';

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Far beyond DynamoDB's range (1E-130 to about 1E+126); keeps a hostile exponent from allocating. */
const MAX_EXPONENT = 1_000;

interface Decimal {
  negative: boolean;
  /** All significant digits, integer and fraction parts together. */
  digits: string;
  /** Where the decimal point goes in `digits` (may be negative or past the end). */
  point: number;
}

function parseDecimal(value: JsonValue | undefined): Decimal {
  const match = typeof value === 'string' ? DECIMAL.exec(value) : null;
  const [, sign = '', integer = '', fraction = '', exponent = '0'] = match ?? [];
  if (!match || integer.length + fraction.length === 0) throw new ValueFormatError(`not a DynamoDB number: ${JSON.stringify(value)}`);
  const shift = Number(exponent);
  if (Math.abs(shift) > MAX_EXPONENT) throw new ValueFormatError(`number exponent out of range: ${JSON.stringify(value)}`);
  return { negative: sign === '-', digits: integer + fraction, point: integer.length + shift };
}

/** The exact decimal text of a number attribute (as DynamoDB wrote it); throws unless it is one. */
export function decimalText(value: JsonValue | undefined): string {
  parseDecimal(value);
  return value as string;
}

/** True when the number has no fractional part (`"12"`, `"1.20E+1"`, `"-0.0"`). */
export function isIntegral(value: JsonValue | undefined): boolean {
  const { digits, point } = parseDecimal(value);
  return point >= digits.length || /^0*$/.test(digits.slice(Math.max(point, 0)));
}

/** The number as a bigint, exactly; throws ValueFormatError when it has a fractional part. */
export function toBigInt(value: JsonValue | undefined): bigint {
  const { negative, digits, point } = parseDecimal(value);
  if (!isIntegral(value)) throw new ValueFormatError(`not an integral number: ${JSON.stringify(value)}`);
  const whole = point <= 0 ? '0' : point >= digits.length ? digits + '0'.repeat(point - digits.length) : digits.slice(0, point);
  const result = BigInt(whole);
  return negative ? -result : result;
}

/** The nearest JavaScript number: may round beyond 15-17 significant digits. Prefer decimalText or toBigInt for exact use. */
export function toNumber(value: JsonValue | undefined): number {
  return Number(decimalText(value));
}

/** A binary attribute (base64 text) as bytes; throws unless it is canonical base64. */
export function fromBase64(value: JsonValue | undefined): Uint8Array {
  if (typeof value !== 'string' || !BASE64.test(value)) throw new ValueFormatError(`not base64 binary: ${JSON.stringify(value)}`);
  const bytes = Buffer.from(value, 'base64');
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
