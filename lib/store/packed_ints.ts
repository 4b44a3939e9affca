/**
 * Integers kept as integers. A list of small integers is common (ids, counters, scores), and
 * stored as msgpack bytes each one costs up to 5 bytes plus a 4-byte end offset. An
 * ItemStore segment whose items are all integers keeps them in {@link PackedInts} instead, 1 to
 * 4 bytes each and no offsets, widened when a bigger one arrives (as Redis's intset does).
 *
 * Only an item whose bytes are msgpack's shortest form of an int32 is kept this way, so that
 * encoding it again gives back exactly the bytes that came in: a read, a compare or a journal
 * record cannot tell the two kinds of segment apart.
 *
 * @example
 * ```ts
 * import { canonicalInt, encodeInt } from "./packed_ints.ts";
 * canonicalInt(new Uint8Array([0xcd, 0x01, 0x00]), 0, 3); // 256
 * canonicalInt(new Uint8Array([0xcd, 0x00, 0x05]), 0, 3); // NaN: 5 has a shorter form
 * const out = new Uint8Array(5);
 * encodeInt(256, out, 0); // 3 (out starts 0xcd 0x01 0x00)
 * ```
 * @module
 */

/**
 * The int32 that `bytes[start:end]` encode, if they are msgpack's shortest form of it (what
 * every msgpack library writes); NaN for anything else, including the same number written
 * longer (it must come back byte for byte) and integers past int32.
 *
 * @example
 * ```ts
 * import { canonicalInt } from "./packed_ints.ts";
 * canonicalInt(new Uint8Array([0xff]), 0, 1); // -1
 * canonicalInt(new Uint8Array([0xa1, 0x61]), 0, 2); // NaN: a string
 * ```
 */
export function canonicalInt(bytes: Uint8Array, start: number, end: number): number {
  const head = bytes[start];
  switch (end - start) {
    case 1:
      return head < 0x80 ? head : head >= 0xe0 ? head - 0x100 : NaN;
    case 2: {
      const byte = bytes[start + 1];
      if (head === 0xcc) return byte >= 0x80 ? byte : NaN;
      const n = (byte << 24) >> 24;
      return head === 0xd0 && n < -0x20 ? n : NaN;
    }
    case 3: {
      const u = (bytes[start + 1] << 8) | bytes[start + 2];
      if (head === 0xcd) return u >= 0x100 ? u : NaN;
      const n = (u << 16) >> 16;
      return head === 0xd1 && n < -0x80 ? n : NaN;
    }
    case 5: {
      // As an int32: a uint32 past int32 comes out negative and is refused below.
      const n = (bytes[start + 1] << 24) | (bytes[start + 2] << 16) | (bytes[start + 3] << 8) |
        bytes[start + 4];
      if (head === 0xce) return n >= 0x10000 ? n : NaN;
      return head === 0xd2 && n < -0x8000 ? n : NaN;
    }
    default:
      return NaN;
  }
}

/** True if every item of a batch (`bytes` back to back, `lengths` each) is a {@link canonicalInt}. */
export function allCanonicalInts(
  bytes: Uint8Array,
  lengths: ArrayLike<number>,
  from = 0,
): boolean {
  for (let k = 0, at = from; k < lengths.length; k++) {
    const end = at + lengths[k];
    if (Number.isNaN(canonicalInt(bytes, at, end))) return false;
    at = end;
  }
  return true;
}

/**
 * The size of `n`'s shortest msgpack form (`n` an int32).
 *
 * @example
 * ```ts
 * import { intSize } from "./packed_ints.ts";
 * intSize(127); // 1
 * intSize(-33); // 2
 * intSize(70_000); // 5
 * ```
 */
export function intSize(n: number): number {
  if (n >= 0) return n < 0x80 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 5;
  return n >= -0x20 ? 1 : n >= -0x80 ? 2 : n >= -0x8000 ? 3 : 5;
}

/**
 * Write `n`'s shortest msgpack form (`n` an int32) at `out[at]`; returns its size.
 *
 * @example
 * ```ts
 * import { encodeInt } from "./packed_ints.ts";
 * const out = new Uint8Array(5);
 * encodeInt(-1, out, 0); // 1 (out[0] is 0xff)
 * ```
 */
export function encodeInt(n: number, out: Uint8Array, at: number): number {
  const size = intSize(n);
  switch (size) {
    case 1:
      out[at] = n & 0xff;
      break;
    case 2:
      out[at] = n >= 0 ? 0xcc : 0xd0;
      out[at + 1] = n & 0xff;
      break;
    case 3:
      out[at] = n >= 0 ? 0xcd : 0xd1;
      out[at + 1] = (n >> 8) & 0xff;
      out[at + 2] = n & 0xff;
      break;
    default:
      out[at] = n >= 0 ? 0xce : 0xd2;
      out[at + 1] = (n >>> 24) & 0xff;
      out[at + 2] = (n >> 16) & 0xff;
      out[at + 3] = (n >> 8) & 0xff;
      out[at + 4] = n & 0xff;
  }
  return size;
}

/**
 * The fewest bytes that hold `n` (an int32) in two's complement: 1, 2, 3 or 4.
 *
 * @example
 * ```ts
 * import { widthOf } from "./packed_ints.ts";
 * widthOf(-128); // 1
 * widthOf(100_000); // 3
 * ```
 */
export function widthOf(n: number): number {
  if (n >= -0x80 && n < 0x80) return 1;
  if (n >= -0x8000 && n < 0x8000) return 2;
  return n >= -0x80_0000 && n < 0x80_0000 ? 3 : 4;
}

/**
 * A fixed number of int32 slots, each 1, 2, 3 or 4 bytes wide: as narrow as the widest
 * integer in it needs. (Three bytes hold every integer below 8,388,608 in magnitude, where
 * msgpack needs five; Redis's listpack has the same 24-bit form.)
 *
 * @example
 * ```ts
 * import { PackedInts } from "./packed_ints.ts";
 * let ints = PackedInts.for(5, 4); // 1 byte each
 * ints.set(0, 5);
 * ints = ints.withRoomFor(1, 70_000, 64); // a wider copy: 3 bytes each
 * ints.set(1, 70_000);
 * [ints.get(0), ints.get(1), ints.width]; // [5, 70000, 3]
 * ```
 */
export class PackedInts {
  /** Bytes per integer. */
  readonly width: number;
  /** Integers it has room for. */
  readonly capacity: number;
  readonly #bytes: Uint8Array;
  readonly #i8: Int8Array;
  readonly #i16: Int16Array;
  readonly #i32: Int32Array;

  /** Room for `capacity` integers of `width` bytes each (1 to 4), all zero. */
  constructor(width: number, capacity: number) {
    this.width = width;
    this.capacity = capacity;
    // Rounded up to whole int32s, so that every view below covers the buffer.
    const buffer = new ArrayBuffer(Math.ceil((width * capacity) / 4) * 4);
    this.#bytes = new Uint8Array(buffer);
    this.#i8 = new Int8Array(buffer);
    this.#i16 = new Int16Array(buffer);
    this.#i32 = new Int32Array(buffer);
  }

  /** Room for `capacity` integers, as narrow as `n` allows. */
  static for(n: number, capacity: number): PackedInts {
    return new PackedInts(widthOf(n), capacity);
  }

  /** Bytes of memory it takes. */
  get byteLength(): number {
    return this.#bytes.byteLength;
  }

  /** The integer in slot `k`. */
  get(k: number): number {
    switch (this.width) {
      case 1:
        return this.#i8[k];
      case 2:
        return this.#i16[k];
      case 3: {
        const b = this.#bytes;
        const at = k * 3;
        return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8)) >> 8;
      }
      default:
        return this.#i32[k];
    }
  }

  /** Put `n` (which must fit {@link width}) in slot `k`. */
  set(k: number, n: number): void {
    switch (this.width) {
      case 1:
        this.#i8[k] = n;
        return;
      case 2:
        this.#i16[k] = n;
        return;
      case 3: {
        const b = this.#bytes;
        const at = k * 3;
        b[at] = n >> 16;
        b[at + 1] = n >> 8;
        b[at + 2] = n;
        return;
      }
      default:
        this.#i32[k] = n;
    }
  }

  /**
   * Ready for one more integer, `n`, after the first `count`: this, if it has room and is wide
   * enough; else a copy twice as long (at most `maxCount`) or wider. This one is never
   * written, so a frozen view of it stays as it was.
   */
  withRoomFor(count: number, n: number, maxCount: number): PackedInts {
    const width = Math.max(this.width, widthOf(n));
    if (width === this.width && count < this.capacity) return this;
    const capacity = count < this.capacity
      ? this.capacity
      : Math.min(maxCount, Math.max(8, count * 2));
    return this.#copy(width, capacity, count);
  }

  /**
   * Copy `source`'s integers `from…to-1` into slots from `at` on (they must fit this width):
   * one byte copy when both are as wide.
   */
  copyRun(source: PackedInts, from: number, to: number, at: number): void {
    const width = this.width;
    if (source.width === width) {
      this.#bytes.set(source.#bytes.subarray(from * width, to * width), at * width);
    } else {
      for (let k = from; k < to; k++) this.set(at++, source.get(k));
    }
  }

  /** A copy of the first `count` integers, with the same room or `capacity` (at least `count`). */
  copy(count: number, capacity = this.capacity): PackedInts {
    return this.#copy(this.width, capacity, count);
  }

  #copy(width: number, capacity: number, count: number): PackedInts {
    const out = new PackedInts(width, capacity);
    if (width === this.width) out.#bytes.set(this.#bytes.subarray(0, count * width));
    else for (let k = 0; k < count; k++) out.set(k, this.get(k));
    return out;
  }
}
