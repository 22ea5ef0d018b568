/**
 * Exact, fast DynamoDB AttributeValue -> JSON text.
 *
 * The mapping (documented in docs/forwarder.md):
 * | DynamoDB | JSON |
 * |---|---|
 * | S | string |
 * | N | string holding the number's decimal text exactly as DynamoDB gave it |
 * | B | string, base64 |
 * | BOOL | true / false |
 * | NULL | null |
 * | M | object (attribute order as delivered) |
 * | L | array |
 * | SS / NS / BS | array of strings (NS: decimal texts, BS: base64) |
 *
 * Why numbers become strings: DynamoDB numbers have up to 38 significant digits and an
 * exponent range far beyond a double. A bare JSON number token would be valid JSON, but
 * JavaScript's JSON.parse, Python's float, jq and Go's float64 silently round it. A
 * string keeps every digit in every parser, gives each column one stable JSON type
 * (schema inference in Glue/Athena/Firehose does not flip between number and string),
 * and is what DynamoDB's own wire format does.
 *
 * The writer builds the text directly instead of materialising JS objects and calling
 * JSON.stringify on them: that halves the allocations and is what makes the forwarder
 * faster than `unmarshall` + `JSON.stringify`.
 */
import { Buffer } from 'node:buffer';
import { MalformedInputError } from '../errors';
import type { AttributeMap, AttributeValue, Binary } from './attribute-value';

/** A DynamoDB-number text: optional sign, digits with optional fraction, optional exponent. */
const NUMBER_TEXT = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;

/** Thrown when a value is not a well-formed AttributeValue; `path` locates it. */
export class InvalidAttributeValueError extends MalformedInputError {
  override readonly name: string = 'InvalidAttributeValueError';
  constructor(
    readonly path: string,
    problem: string,
  ) {
    super(`invalid DynamoDB attribute value at ${path}: ${problem}`);
  }
}

const quote = JSON.stringify as (text: string) => string;

function numberText(text: unknown, path: string): string {
  if (typeof text !== 'string' || !NUMBER_TEXT.test(text)) {
    throw new InvalidAttributeValueError(path, `N must be a decimal number text, got ${describe(text)}`);
  }
  // The pattern admits only [0-9+-.eE], so the text needs no escaping.
  return `"${text}"`;
}

function binaryText(value: unknown, path: string): string {
  if (typeof value === 'string') return quote(value); // Lambda delivers binary already base64-encoded
  if (value instanceof Uint8Array) return `"${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')}"`;
  throw new InvalidAttributeValueError(path, `B must be base64 text or bytes, got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function setText(values: unknown, path: string, item: (value: unknown, path: string) => string): string {
  if (!Array.isArray(values)) throw new InvalidAttributeValueError(path, `a set must be an array, got ${describe(values)}`);
  let out = '[';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    out += item(values[i], path);
  }
  return out + ']';
}

function stringText(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new InvalidAttributeValueError(path, `S must be a string, got ${describe(value)}`);
  return quote(value);
}

/** JSON text of one AttributeValue. `path` only feeds error messages. */
export function writeAttributeValue(value: AttributeValue, path = '$'): string {
  if (value === null || typeof value !== 'object') {
    throw new InvalidAttributeValueError(path, `expected an AttributeValue object, got ${describe(value)}`);
  }
  // Ordered by how common each type is in DMS rows.
  if (value.S !== undefined) return stringText(value.S, path);
  if (value.N !== undefined) return numberText(value.N, path);
  if (value.NULL !== undefined) return 'null';
  if (value.BOOL !== undefined) {
    if (typeof value.BOOL !== 'boolean') throw new InvalidAttributeValueError(path, `BOOL must be a boolean, got ${describe(value.BOOL)}`);
    return value.BOOL ? 'true' : 'false';
  }
  if (value.M !== undefined) return writeAttributeMap(value.M, path);
  if (value.L !== undefined) {
    const list = value.L;
    if (!Array.isArray(list)) throw new InvalidAttributeValueError(path, `L must be an array, got ${describe(list)}`);
    let out = '[';
    for (let i = 0; i < list.length; i++) {
      if (i > 0) out += ',';
      out += writeAttributeValue(list[i] as AttributeValue, `${path}[${i}]`);
    }
    return out + ']';
  }
  if (value.B !== undefined) return binaryText(value.B, path);
  if (value.SS !== undefined) return setText(value.SS, path, stringText);
  if (value.NS !== undefined) return setText(value.NS, path, numberText);
  if (value.BS !== undefined) return setText(value.BS, path, binaryText);
  throw new InvalidAttributeValueError(path, `no known type member (S, N, B, BOOL, NULL, M, L, SS, NS, BS) in {${Object.keys(value).join(',')}}`);
}

/** JSON object text of an attribute map (an item, a key, or an M value). */
export function writeAttributeMap(map: AttributeMap, path = '$'): string {
  if (map === null || typeof map !== 'object' || Array.isArray(map)) {
    throw new InvalidAttributeValueError(path, `expected an attribute map object, got ${describe(map)}`);
  }
  let out = '{';
  let first = true;
  // for-in is the fastest walk; maps come from JSON.parse or the SDK, so no inherited keys.
  for (const name in map) {
    if (first) first = false;
    else out += ',';
    out += quote(name);
    out += ':';
    out += writeAttributeValue(map[name] as AttributeValue, `${path}.${name}`);
  }
  return out + '}';
}

/** Like writeAttributeMap, but attribute names sorted (code-unit order): a canonical form. */
export function writeCanonicalAttributeMap(map: AttributeMap, path = '$'): string {
  const names = Object.keys(map).sort();
  const sorted: AttributeMap = {};
  for (const name of names) sorted[name] = map[name] as AttributeValue;
  return writeAttributeMap(sorted, path);
}

export type { AttributeMap, AttributeValue, Binary };
