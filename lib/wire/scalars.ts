/**
 * Fast msgpack for the values lists hold most: null, booleans, numbers, bigints, strings and
 * bytes at the top level. The general msgpack library costs ~0.5 µs per 100-character string
 * each way (measured here); these paths cost a fifth of that.
 *
 * The bytes written are exactly the ones the library writes (same smallest encodings, same
 * float64 for non-integers and for integers beyond 32 bits, bigints as uint64/int64), so a
 * value encodes identically whichever path took it — which `List.indexOf` relies on. Anything
 * else (arrays, maps, dates, extensions) returns "not mine" and goes to the library.
 *
 * @example
 * ```ts
 * import { readScalar, NOT_SCALAR, ScalarWriter } from "./scalars.ts";
 * const w = new ScalarWriter();
 * w.write("hello");
 * const bytes = w.take();
 * readScalar(bytes, 0, bytes.length); // "hello"
 * readScalar(new Uint8Array([0x90]), 0, 1) === NOT_SCALAR; // true: an array
 * ```
 * @module
 */

/** Returned by {@link readScalar} for encodings it leaves to the library. */
export const NOT_SCALAR: unique symbol = Symbol("not a scalar");

const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;
const textEncoder = new TextEncoder();
/** Longer strings are encoded with TextEncoder, here as in the msgpack library. */
const TEXT_ENCODER_MIN = 50;
const textDecoder = new TextDecoder();

/**
 * A growing buffer that scalars are encoded into, back to back.
 *
 * @example
 * ```ts
 * import { ScalarWriter } from "./scalars.ts";
 * const w = new ScalarWriter();
 * w.write(1); w.write("a");
 * w.take(); // Uint8Array [1, 161, 97]
 * ```
 */
export class ScalarWriter {
  /** The buffer; valid up to {@link length}. */
  bytes = new Uint8Array(4096);
  /** Bytes written. */
  length = 0;
  #view = new DataView(this.bytes.buffer);

  /** Encode `value` if it is a scalar; false (and nothing written) otherwise. */
  write(value: unknown): boolean {
    switch (typeof value) {
      case "string":
        return this.#string(value);
      case "number":
        this.#number(value);
        return true;
      case "boolean":
        this.#reserve(1);
        this.bytes[this.length++] = value ? 0xc3 : 0xc2;
        return true;
      case "bigint":
        if (value < INT64_MIN || value > UINT64_MAX) return false; // the library's error
        this.#reserve(9);
        this.bytes[this.length] = value >= 0n ? 0xcf : 0xd3;
        if (value >= 0n) this.#view.setBigUint64(this.length + 1, value);
        else this.#view.setBigInt64(this.length + 1, value);
        this.length += 9;
        return true;
      case "undefined":
        this.#reserve(1);
        this.bytes[this.length++] = 0xc0;
        return true;
      case "object":
        if (value === null) {
          this.#reserve(1);
          this.bytes[this.length++] = 0xc0;
          return true;
        }
        if (value instanceof Uint8Array) {
          this.#binary(value);
          return true;
        }
        return false;
      default:
        return false;
    }
  }

  /** Append bytes that are already encoded (`bytes[start:end]`, all of it by default). */
  writeRaw(bytes: Uint8Array, start = 0, end = bytes.length): void {
    this.#reserve(end - start);
    if (end - start <= 16) {
      // A few bytes are cheaper copied one by one than through a view made for the purpose.
      const out = this.bytes;
      for (let i = start, at = this.length; i < end; i++, at++) out[at] = bytes[i];
      this.length += end - start;
      return;
    }
    this.bytes.set(
      start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end),
      this.length,
    );
    this.length += end - start;
  }

  /** A copy of everything written; the writer starts empty again. */
  take(): Uint8Array {
    const out = this.bytes.slice(0, this.length);
    this.length = 0;
    return out;
  }

  #reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.bytes.length) return;
    const bigger = new Uint8Array(Math.max(needed, this.bytes.length * 2));
    bigger.set(this.bytes.subarray(0, this.length));
    this.bytes = bigger;
    this.#view = new DataView(bigger.buffer);
  }

  #number(n: number): void {
    this.#reserve(9);
    const b = this.bytes;
    const at = this.length;
    if (Number.isSafeInteger(n) && n >= -0x8000_0000 && n < 0x1_0000_0000) {
      if (n >= 0) {
        if (n < 0x80) b[at] = n, this.length += 1;
        else if (n < 0x100) b[at] = 0xcc, b[at + 1] = n, this.length += 2;
        else if (n < 0x10000) b[at] = 0xcd, this.#view.setUint16(at + 1, n), this.length += 3;
        else b[at] = 0xce, this.#view.setUint32(at + 1, n), this.length += 5;
      } else {
        if (n >= -0x20) b[at] = 0xe0 | (n + 0x20), this.length += 1;
        else if (n >= -0x80) b[at] = 0xd0, this.#view.setInt8(at + 1, n), this.length += 2;
        else if (n >= -0x8000) b[at] = 0xd1, this.#view.setInt16(at + 1, n), this.length += 3;
        else b[at] = 0xd2, this.#view.setInt32(at + 1, n), this.length += 5;
      }
      return;
    }
    b[at] = 0xcb;
    this.#view.setFloat64(at + 1, n);
    this.length += 9;
  }

  /**
   * Strings up to TEXT_ENCODER_MIN characters that are not all ASCII go to the library: it
   * writes those with its own UTF-8 loop, which encodes a lone surrogate differently from
   * TextEncoder, and the bytes must match the library's exactly.
   */
  #string(s: string): boolean {
    // Reserve for the longest UTF-8 the string could need, write it after the biggest header
    // that length allows, then slide it left if the real header is shorter.
    const most = s.length * 3;
    const guessed = headerBytes(most);
    this.#reserve(guessed + most);
    const start = this.length + guessed;
    let written: number;
    if (s.length <= TEXT_ENCODER_MIN) {
      written = asciiInto(s, this.bytes, start);
      if (written < 0) return false;
    } else {
      written = textEncoder.encodeInto(s, this.bytes.subarray(start)).written;
    }
    const header = headerBytes(written);
    if (header !== guessed) this.bytes.copyWithin(this.length + header, start, start + written);
    const at = this.length;
    if (header === 1) this.bytes[at] = 0xa0 | written;
    else if (header === 2) this.bytes[at] = 0xd9, this.bytes[at + 1] = written;
    else if (header === 3) this.bytes[at] = 0xda, this.#view.setUint16(at + 1, written);
    else this.bytes[at] = 0xdb, this.#view.setUint32(at + 1, written);
    this.length += header + written;
    return true;
  }

  #binary(data: Uint8Array): void {
    const n = data.length;
    this.#reserve(5 + n);
    const at = this.length;
    let header: number;
    if (n < 0x100) this.bytes[at] = 0xc4, this.bytes[at + 1] = n, header = 2;
    else if (n < 0x10000) this.bytes[at] = 0xc5, this.#view.setUint16(at + 1, n), header = 3;
    else this.bytes[at] = 0xc6, this.#view.setUint32(at + 1, n), header = 5;
    this.bytes.set(data, at + header);
    this.length += header + n;
  }
}

/** Header bytes of a msgpack string of `n` UTF-8 bytes. */
function headerBytes(n: number): number {
  return n < 32 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 5;
}

/** Copy an all-ASCII string byte for byte; -1 (nothing promised) if it is not all ASCII. */
function asciiInto(s: string, out: Uint8Array, at: number): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return -1;
    out[at + i] = c;
  }
  return s.length;
}

/** Decode short ASCII without TextDecoder's fixed cost; `undefined` if not ASCII. */
function asciiFrom(bytes: Uint8Array, start: number, end: number): string | undefined {
  let s = "";
  for (let i = start; i < end; i++) {
    const c = bytes[i];
    if (c >= 0x80) return undefined;
    s += String.fromCharCode(c);
  }
  return s;
}

/**
 * Decode the one value in `bytes[start:end]` if it is a scalar this module writes; otherwise
 * (or if the bytes do not add up exactly) {@link NOT_SCALAR}, and the caller asks the library,
 * which also reports malformed input. Bytes values are copies.
 *
 * @example
 * ```ts
 * import { readScalar } from "./scalars.ts";
 * readScalar(new Uint8Array([0xc3]), 0, 1); // true
 * ```
 */
export function readScalar(bytes: Uint8Array, start: number, end: number): unknown {
  const size = end - start;
  if (size < 1) return NOT_SCALAR;
  const head = bytes[start];
  if (head < 0x80) return size === 1 ? head : NOT_SCALAR;
  if (head >= 0xe0) return size === 1 ? head - 0x100 : NOT_SCALAR;
  if ((head & 0xe0) === 0xa0) return text(bytes, start + 1, head & 0x1f, end);
  // The commonest longer forms first, without a DataView.
  if (head === 0xd9) return size >= 2 ? text(bytes, start + 2, bytes[start + 1], end) : NOT_SCALAR;
  if (head === 0xc4) {
    return size >= 2 ? binary(bytes, start + 2, bytes[start + 1], end) : NOT_SCALAR;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + start, size);
  switch (head) {
    case 0xc0:
      return size === 1 ? null : NOT_SCALAR;
    case 0xc2:
    case 0xc3:
      return size === 1 ? head === 0xc3 : NOT_SCALAR;
    case 0xcc:
      return size === 2 ? view.getUint8(1) : NOT_SCALAR;
    case 0xcd:
      return size === 3 ? view.getUint16(1) : NOT_SCALAR;
    case 0xce:
      return size === 5 ? view.getUint32(1) : NOT_SCALAR;
    case 0xcf:
      return size === 9 ? view.getBigUint64(1) : NOT_SCALAR;
    case 0xd0:
      return size === 2 ? view.getInt8(1) : NOT_SCALAR;
    case 0xd1:
      return size === 3 ? view.getInt16(1) : NOT_SCALAR;
    case 0xd2:
      return size === 5 ? view.getInt32(1) : NOT_SCALAR;
    case 0xd3:
      return size === 9 ? view.getBigInt64(1) : NOT_SCALAR;
    case 0xca:
      return size === 5 ? view.getFloat32(1) : NOT_SCALAR;
    case 0xcb:
      return size === 9 ? view.getFloat64(1) : NOT_SCALAR;
    case 0xda:
      return size >= 3 ? text(bytes, start + 3, view.getUint16(1), end) : NOT_SCALAR;
    case 0xdb:
      return size >= 5 ? text(bytes, start + 5, view.getUint32(1), end) : NOT_SCALAR;
    case 0xc5:
      return size >= 3 ? binary(bytes, start + 3, view.getUint16(1), end) : NOT_SCALAR;
    case 0xc6:
      return size >= 5 ? binary(bytes, start + 5, view.getUint32(1), end) : NOT_SCALAR;
    default:
      return NOT_SCALAR;
  }
}

function text(bytes: Uint8Array, from: number, length: number, end: number): unknown {
  if (from + length !== end) return NOT_SCALAR;
  if (length <= 16) {
    const ascii = asciiFrom(bytes, from, end);
    if (ascii !== undefined) return ascii;
  }
  return textDecoder.decode(bytes.subarray(from, end));
}

function binary(bytes: Uint8Array, from: number, length: number, end: number): unknown {
  return from + length === end ? bytes.slice(from, end) : NOT_SCALAR;
}
