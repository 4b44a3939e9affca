/**
 * Integers kept as integers. A list of small integers is common (ids, counters, scores), and
 * stored as msgpack bytes each one costs up to 5 bytes plus a 4-byte end offset. An
 * {@link ItemStore} segment whose items are all integers keeps them in a typed array instead,
 * 1, 2 or 4 bytes each and no offsets, widened when a bigger one arrives (as Redis's intset
 * does).
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

/** Where a segment's integers live: the narrowest array that holds them all. */
export type IntArray = Int8Array | Int16Array | Int32Array;

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
 * `ints` (holding `count` integers) made ready for one more, `n`: the same array if it has
 * room and is wide enough, else a copy twice as long (at most `maxCount`) or wider. The old
 * array is never written, so a frozen view of it stays as it was.
 *
 * @example
 * ```ts
 * import { roomForInt } from "./packed_ints.ts";
 * const ints = roomForInt(new Int8Array(4), 0, 1_000, 64);
 * ints instanceof Int16Array; // true
 * ```
 */
export function roomForInt(ints: IntArray, count: number, n: number, maxCount: number): IntArray {
  const wide = ints instanceof Int32Array ||
    (ints instanceof Int16Array ? n >= -0x8000 && n < 0x8000 : n >= -0x80 && n < 0x80);
  if (wide && count < ints.length) return ints;
  const length = count < ints.length ? ints.length : Math.min(maxCount, Math.max(8, count * 2));
  const grown = wide ? new (ints.constructor as Int32ArrayConstructor)(length) : intsFor(n, length);
  // A narrower array's values fit a wider one as they are.
  grown.set(ints.subarray(0, count));
  return grown;
}

/**
 * An empty array of `length` integers, as narrow as `n` allows.
 *
 * @example
 * ```ts
 * import { intsFor } from "./packed_ints.ts";
 * intsFor(5, 64) instanceof Int8Array; // true
 * ```
 */
export function intsFor(n: number, length: number): IntArray {
  if (n >= -0x80 && n < 0x80) return new Int8Array(length);
  if (n >= -0x8000 && n < 0x8000) return new Int16Array(length);
  return new Int32Array(length);
}
