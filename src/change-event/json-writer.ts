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

/** Characters a JSON string must escape, plus surrogates (a lone one must be escaped to stay valid). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** Thrown when a value is not a well-formed AttributeValue; `path` locates it (e.g. `$.new.lines[2]`). */
export class InvalidAttributeValueError extends MalformedInputError {
  override readonly name: string = 'InvalidAttributeValueError';
  path: string;
  constructor(
    path: string,
    readonly problem: string,
  ) {
    super(`invalid DynamoDB attribute value at ${path}: ${problem}`);
    this.path = path;
  }

  /** Adds an enclosing path segment as the error travels up (paths are built only on failure). */
  within(segment: string): this {
    this.path = segment + this.path;
    this.message = `invalid DynamoDB attribute value at ${this.path}: ${this.problem}`;
    return this;
  }
}

/** JSON string literal; the common case (nothing to escape) skips JSON.stringify's call overhead. */
export function quote(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

const invalid = (problem: string) => new InvalidAttributeValueError('', problem);

function stringText(value: unknown): string {
  if (typeof value !== 'string') throw invalid(`S must be a string, got ${describe(value)}`);
  return quote(value);
}

function numberText(text: unknown): string {
  if (typeof text !== 'string' || !NUMBER_TEXT.test(text)) throw invalid(`N must be a decimal number text, got ${describe(text)}`);
  // The pattern admits only [0-9+-.eE], so the text needs no escaping.
  return `"${text}"`;
}

function binaryText(value: unknown): string {
  if (typeof value === 'string') return quote(value); // Lambda delivers binary already base64-encoded
  if (value instanceof Uint8Array) return `"${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')}"`;
  throw invalid(`B must be base64 text or bytes, got ${describe(value)}`);
}

function boolText(value: unknown): string {
  if (typeof value !== 'boolean') throw invalid(`BOOL must be a boolean, got ${describe(value)}`);
  return value ? 'true' : 'false';
}

function setText(values: unknown, item: (value: unknown) => string): string {
  if (!Array.isArray(values)) throw invalid(`a set must be an array, got ${describe(values)}`);
  let out = '[';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    out += item(values[i]);
  }
  return out + ']';
}

function listText(list: unknown): string {
  if (!Array.isArray(list)) throw invalid(`L must be an array, got ${describe(list)}`);
  let out = '[';
  for (let i = 0; i < list.length; i++) {
    if (i > 0) out += ',';
    try {
      out += valueText(list[i]);
    } catch (error) {
      throw error instanceof InvalidAttributeValueError ? error.within(`[${i}]`) : error;
    }
  }
  return out + ']';
}

// Attribute names repeat in every row of a table: keep their quoted form (bounded, so a
// table with ever-new attribute names cannot grow it without limit).
const quotedNames = new Map<string, string>();
const MAX_CACHED_NAMES = 4_096;
function nameText(name: string): string {
  let text = quotedNames.get(name);
  if (text === undefined) {
    text = `${quote(name)}:`;
    if (quotedNames.size >= MAX_CACHED_NAMES) quotedNames.clear();
    quotedNames.set(name, text);
  }
  return text;
}

function mapText(map: unknown): string {
  if (map === null || typeof map !== 'object' || Array.isArray(map)) throw invalid(`expected an attribute map object, got ${describe(map)}`);
  let out = '{';
  let first = true;
  // for-in is the fastest walk; maps come from JSON.parse or the SDK, so no inherited keys.
  for (const name in map) {
    if (first) first = false;
    else out += ',';
    try {
      out += nameText(name) + valueText((map as Record<string, unknown>)[name]);
    } catch (error) {
      throw error instanceof InvalidAttributeValueError ? error.within(`.${name}`) : error;
    }
  }
  return out + '}';
}

function valueText(value: unknown): string {
  if (value === null || typeof value !== 'object') throw invalid(`expected an AttributeValue object, got ${describe(value)}`);
  // Fast path: an AttributeValue has one member, so switch on the first key instead of
  // probing ten properties on objects of many shapes (which V8 handles megamorphically).
  let type = '';
  for (type in value) break;
  const member = (value as Record<string, unknown>)[type];
  if (member !== undefined) {
    switch (type) {
      case 'S': return stringText(member);
      case 'N': return numberText(member);
      case 'NULL': return 'null';
      case 'BOOL': return boolText(member);
      case 'M': return mapText(member);
      case 'L': return listText(member);
      case 'B': return binaryText(member);
      case 'SS': return setText(member, stringText);
      case 'NS': return setText(member, numberText);
      case 'BS': return setText(member, binaryText);
    }
  }
  // Objects with explicitly undefined members first (some SDK shapes), or nothing known.
  const v = value as AttributeValue;
  if (v.S !== undefined) return stringText(v.S);
  if (v.N !== undefined) return numberText(v.N);
  if (v.NULL !== undefined) return 'null';
  if (v.BOOL !== undefined) return boolText(v.BOOL);
  if (v.M !== undefined) return mapText(v.M);
  if (v.L !== undefined) return listText(v.L);
  if (v.B !== undefined) return binaryText(v.B);
  if (v.SS !== undefined) return setText(v.SS, stringText);
  if (v.NS !== undefined) return setText(v.NS, numberText);
  if (v.BS !== undefined) return setText(v.BS, binaryText);
  throw invalid(`no known type member (S, N, B, BOOL, NULL, M, L, SS, NS, BS) in {${Object.keys(value).join(',')}}`);
}

function rooted<T>(path: string, write: () => T): T {
  try {
    return write();
  } catch (error) {
    throw error instanceof InvalidAttributeValueError ? error.within(path) : error;
  }
}

/** JSON text of one AttributeValue. `path` names its root in error messages. */
export function writeAttributeValue(value: AttributeValue, path = '$'): string {
  return rooted(path, () => valueText(value));
}

/** JSON object text of an attribute map (an item, a key, or an M value), attribute order as given. */
export function writeAttributeMap(map: AttributeMap, path = '$'): string {
  return rooted(path, () => mapText(map));
}

/** True when the map's attribute names are already in canonical (code-unit) order. */
export function hasSortedNames(map: AttributeMap): boolean {
  let previous: string | undefined;
  for (const name in map) {
    if (previous !== undefined && previous > name) return false;
    previous = name;
  }
  return true;
}

/** Like writeAttributeMap, but attribute names sorted (code-unit order): a canonical form. */
export function writeCanonicalAttributeMap(map: AttributeMap, path = '$'): string {
  if (hasSortedNames(map)) return writeAttributeMap(map, path);
  const sorted: AttributeMap = {};
  for (const name of Object.keys(map).sort()) sorted[name] = map[name] as AttributeValue;
  return writeAttributeMap(sorted, path);
}

export type { AttributeMap, AttributeValue, Binary };
