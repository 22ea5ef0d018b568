/**
 * Exact, fast DynamoDB AttributeValue -> JSON, written straight to UTF-8 bytes.
 *
 * The mapping (documented in README.md, "Value mapping"):
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
 * Why bytes and not a JS string: Kinesis needs UTF-8 bytes and the size check needs their
 * count. Building a string by concatenation leaves V8 a rope of a few hundred pieces that
 * it must flatten and then encode; profiling showed that (and the regex escape check) to be
 * most of the encoder's time. Writing each character's UTF-8 bytes into one reusable
 * buffer does the escape check, the encoding and the byte count in a single pass and
 * allocates nothing per value. The string APIs below decode the same bytes, so there is
 * one implementation of the mapping.
 */
import { Buffer } from 'node:buffer';
import { MalformedInputError } from '../errors';
import type { AttributeMap, AttributeValue, Binary } from './attribute-value';

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

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

const invalid = (problem: string) => new InvalidAttributeValueError('', problem);

/** 1 for the ASCII characters a JSON string holds as they are: printable, not '"' nor '\\'. */
const PLAIN_ASCII = new Uint8Array(0x80);
for (let c = 0x20; c < 0x7f; c++) PLAIN_ASCII[c] = c === 0x22 || c === 0x5c ? 0 : 1;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const HEX = '0123456789abcdef';
/** Short escapes JSON.stringify uses for control characters; the others become \u00xx. */
const SHORT_ESCAPE: Readonly<Record<number, number>> = { 0x08: 0x62, 0x09: 0x74, 0x0a: 0x6e, 0x0c: 0x66, 0x0d: 0x72 };

/**
 * A growable UTF-8 buffer holding JSON text. Not re-entrant: one writer is reused for
 * every event (the encoder is synchronous), so nothing is allocated per value. It keeps
 * the size of the largest event it has written; with DynamoDB's 400 KB item limit that
 * is a few MB at worst (two images, every character escaped), a fair price for a
 * long-lived Lambda container.
 */
export class JsonByteWriter {
  private buf: Buffer;
  /** Bytes written so far. */
  pos = 0;

  constructor(initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafeSlow(initialBytes);
  }

  reset(): void {
    this.pos = 0;
  }

  /** Makes room for `bytes` more bytes (callers reserve a worst case before a tight loop). */
  private reserve(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.pos + bytes));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  /** Appends text known to be ASCII needing no escapes (field names, constants, base64). */
  ascii(text: string): void {
    const n = text.length;
    this.reserve(n);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < n; i++) buf[pos++] = text.charCodeAt(i);
    this.pos = pos;
  }

  /** Appends one byte (an ASCII character code). */
  byte(code: number): void {
    this.reserve(1);
    this.buf[this.pos++] = code;
  }

  /** Appends pre-encoded bytes (cached fragments). */
  bytes(chunk: Uint8Array): void {
    this.reserve(chunk.length);
    this.buf.set(chunk, this.pos);
    this.pos += chunk.length;
  }

  /**
   * Appends a JSON string literal: escaped exactly like JSON.stringify (short escapes,
   * \u00xx for other controls, lone surrogates as \udxxx so the text stays valid UTF-8),
   * everything else as UTF-8.
   */
  string(text: string): void {
    const n = text.length;
    // Worst case per UTF-16 unit: 6 bytes (\u00xx or an escaped lone surrogate).
    this.reserve(6 * n + 2);
    const buf = this.buf;
    let pos = this.pos;
    buf[pos++] = QUOTE;
    // Fast path: the leading run of printable ASCII (usually the whole string) is copied as is.
    let i = 0;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c > 0x7e || PLAIN_ASCII[c] === 0) break; // one table load instead of four comparisons
      buf[pos + i] = c;
    }
    pos += i;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x80) {
        if (c >= 0x20 && c !== QUOTE && c !== BACKSLASH) {
          buf[pos++] = c;
        } else {
          buf[pos++] = BACKSLASH;
          if (c === QUOTE || c === BACKSLASH) buf[pos++] = c;
          else if (SHORT_ESCAPE[c] !== undefined) buf[pos++] = SHORT_ESCAPE[c] as number;
          else pos = writeUnicodeEscape(buf, pos, c);
        }
      } else if (c < 0x800) {
        buf[pos++] = 0xc0 | (c >> 6);
        buf[pos++] = 0x80 | (c & 0x3f);
      } else if (c < 0xd800 || c > 0xdfff) {
        buf[pos++] = 0xe0 | (c >> 12);
        buf[pos++] = 0x80 | ((c >> 6) & 0x3f);
        buf[pos++] = 0x80 | (c & 0x3f);
      } else {
        const next = i + 1 < n ? text.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          const code = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          buf[pos++] = 0xf0 | (code >> 18);
          buf[pos++] = 0x80 | ((code >> 12) & 0x3f);
          buf[pos++] = 0x80 | ((code >> 6) & 0x3f);
          buf[pos++] = 0x80 | (code & 0x3f);
          i++;
        } else {
          buf[pos++] = BACKSLASH;
          pos = writeUnicodeEscape(buf, pos, c);
        }
      }
    }
    buf[pos++] = QUOTE;
    this.pos = pos;
  }

  /**
   * Appends a DynamoDB number as a JSON string, checking its grammar while copying
   * (optional sign, digits with optional fraction, optional exponent): one pass, no regex.
   * Only [0-9+-.eE] pass, so nothing needs escaping.
   */
  number(text: unknown): void {
    if (typeof text !== 'string') throw invalid(`N must be a decimal number text, got ${describe(text)}`);
    const n = text.length;
    this.reserve(n + 2);
    const buf = this.buf;
    let pos = this.pos;
    buf[pos++] = QUOTE;
    let i = 0;
    let c = n > 0 ? text.charCodeAt(0) : 0;
    if (c === 0x2b || c === 0x2d) {
      buf[pos++] = c;
      c = ++i < n ? text.charCodeAt(i) : 0;
    }
    let digits = 0;
    while (c >= 0x30 && c <= 0x39) {
      buf[pos++] = c;
      digits++;
      c = ++i < n ? text.charCodeAt(i) : 0;
    }
    if (c === 0x2e) {
      buf[pos++] = c;
      c = ++i < n ? text.charCodeAt(i) : 0;
      while (c >= 0x30 && c <= 0x39) {
        buf[pos++] = c;
        digits++;
        c = ++i < n ? text.charCodeAt(i) : 0;
      }
    }
    let valid = digits > 0;
    if (valid && (c === 0x65 || c === 0x45)) {
      buf[pos++] = c;
      c = ++i < n ? text.charCodeAt(i) : 0;
      if (c === 0x2b || c === 0x2d) {
        buf[pos++] = c;
        c = ++i < n ? text.charCodeAt(i) : 0;
      }
      let exponentDigits = 0;
      while (c >= 0x30 && c <= 0x39) {
        buf[pos++] = c;
        exponentDigits++;
        c = ++i < n ? text.charCodeAt(i) : 0;
      }
      valid = exponentDigits > 0;
    }
    // `i < n` catches trailing garbage, including a NUL (which the loops read as "end").
    if (!valid || i < n) throw invalid(`N must be a decimal number text, got ${describe(text)}`);
    buf[pos++] = QUOTE;
    this.pos = pos;
  }

  /** Appends one AttributeValue's JSON. */
  attributeValue(value: unknown): void {
    if (value === null || typeof value !== 'object') throw invalid(`expected an AttributeValue object, got ${describe(value)}`);
    // Probe the members in order of frequency in DMS rows (strings and numbers first).
    const v = value as AttributeValue;
    if (v.S !== undefined) return this.stringValue(v.S);
    if (v.N !== undefined) return this.number(v.N);
    if (v.NULL !== undefined) return this.ascii('null');
    if (v.BOOL !== undefined) return this.bool(v.BOOL);
    if (v.M !== undefined) return this.attributeMap(v.M);
    if (v.L !== undefined) return this.list(v.L);
    if (v.B !== undefined) return this.binary(v.B);
    if (v.SS !== undefined) return this.set(v.SS, this.stringValue);
    if (v.NS !== undefined) return this.set(v.NS, this.number);
    if (v.BS !== undefined) return this.set(v.BS, this.binary);
    throw invalid(`no known type member (S, N, B, BOOL, NULL, M, L, SS, NS, BS) in {${Object.keys(value).join(',')}}`);
  }

  /** Appends an attribute map (an item, a key, or an M value) as a JSON object, attribute order as given. */
  attributeMap(map: unknown): void {
    if (map === null || typeof map !== 'object' || Array.isArray(map)) throw invalid(`expected an attribute map object, got ${describe(map)}`);
    this.byte(0x7b); // '{'
    let first = true;
    // for-in is the fastest walk; maps come from JSON.parse or the SDK, so no inherited keys.
    for (const name in map) {
      if (first) first = false;
      else this.byte(0x2c); // ','
      try {
        this.string(name);
        this.byte(0x3a); // ':'
        this.attributeValue((map as Record<string, unknown>)[name]);
      } catch (error) {
        throw error instanceof InvalidAttributeValueError ? error.within(`.${name}`) : error;
      }
    }
    this.byte(0x7d); // '}'
  }

  /**
   * Like attributeMap, leaving out the attributes named in `omit` (a handful of names: a linear
   * scan beats a Set at that size). Used for items that carry DMS header columns.
   */
  attributeMapWithout(map: unknown, omit: readonly string[]): void {
    if (map === null || typeof map !== 'object' || Array.isArray(map)) throw invalid(`expected an attribute map object, got ${describe(map)}`);
    this.byte(0x7b); // '{'
    let first = true;
    for (const name in map) {
      if (omit.includes(name)) continue;
      if (first) first = false;
      else this.byte(0x2c); // ','
      try {
        this.string(name);
        this.byte(0x3a); // ':'
        this.attributeValue((map as Record<string, unknown>)[name]);
      } catch (error) {
        throw error instanceof InvalidAttributeValueError ? error.within(`.${name}`) : error;
      }
    }
    this.byte(0x7d); // '}'
  }

  private stringValue(value: unknown): void {
    if (typeof value !== 'string') throw invalid(`S must be a string, got ${describe(value)}`);
    this.string(value);
  }

  private bool(value: unknown): void {
    if (typeof value !== 'boolean') throw invalid(`BOOL must be a boolean, got ${describe(value)}`);
    this.ascii(value ? 'true' : 'false');
  }

  private binary(value: unknown): void {
    if (typeof value === 'string') return this.string(value); // Lambda delivers binary already base64-encoded
    if (value instanceof Uint8Array) {
      this.ascii('"');
      this.ascii(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'));
      return this.ascii('"');
    }
    throw invalid(`B must be base64 text or bytes, got ${describe(value)}`);
  }

  private set(values: unknown, item: (this: JsonByteWriter, value: unknown) => void): void {
    if (!Array.isArray(values)) throw invalid(`a set must be an array, got ${describe(values)}`);
    this.byte(0x5b); // '['
    for (let i = 0; i < values.length; i++) {
      if (i > 0) this.byte(0x2c); // ','
      item.call(this, values[i]);
    }
    this.byte(0x5d); // ']'
  }

  private list(list: unknown): void {
    if (!Array.isArray(list)) throw invalid(`L must be an array, got ${describe(list)}`);
    this.byte(0x5b); // '['
    for (let i = 0; i < list.length; i++) {
      if (i > 0) this.byte(0x2c); // ','
      try {
        this.attributeValue(list[i]);
      } catch (error) {
        throw error instanceof InvalidAttributeValueError ? error.within(`[${i}]`) : error;
      }
    }
    this.byte(0x5d); // ']'
  }

  /** The text of bytes [start, end) (JSON written here is valid UTF-8, so this is lossless). */
  text(start = 0, end = this.pos): string {
    return this.buf.toString('utf8', start, end);
  }

  /** A copy of everything written, sized exactly (small ones come from Node's buffer pool). */
  copy(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    // TypedArray#set is a plain memcpy; Buffer#copy's argument checks made it twice as slow (~0.7 vs ~0.4 µs for 1.7 KB).
    out.set(this.buf.subarray(0, this.pos));
    return out;
  }
}

function writeUnicodeEscape(buf: Buffer, pos: number, c: number): number {
  buf[pos++] = 0x75; // u
  buf[pos++] = HEX.charCodeAt(c >> 12);
  buf[pos++] = HEX.charCodeAt((c >> 8) & 0xf);
  buf[pos++] = HEX.charCodeAt((c >> 4) & 0xf);
  buf[pos++] = HEX.charCodeAt(c & 0xf);
  return pos;
}

/** The writer behind the string APIs (separate from the event encoder's, so they may nest). */
const scratch = new JsonByteWriter(4 * 1024);

function rooted(path: string, write: () => void): string {
  scratch.reset();
  try {
    write();
  } catch (error) {
    throw error instanceof InvalidAttributeValueError ? error.within(path) : error;
  }
  return scratch.text();
}

/** JSON string literal, escaped exactly like JSON.stringify. */
export function quote(text: string): string {
  return rooted('$', () => scratch.string(text));
}

/** JSON text of one AttributeValue. `path` names its root in error messages. */
export function writeAttributeValue(value: AttributeValue, path = '$'): string {
  return rooted(path, () => scratch.attributeValue(value));
}

/** JSON object text of an attribute map (an item, a key, or an M value), attribute order as given. */
export function writeAttributeMap(map: AttributeMap, path = '$'): string {
  return rooted(path, () => scratch.attributeMap(map));
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
