/**
 * What a server compares when it sorts a list: a *sort key* read straight from an item's
 * msgpack bytes — a type rank and a number, or the bytes of a string — so that a server orders
 * items without decoding them into objects (it never instantiates anything from user data).
 *
 * The order (docs/PROTOCOL.md, `list.sort`): null < false < true < numbers and bigints (by
 * value, together; NaN after every other number) < Dates (by time) < strings (by code point:
 * UTF-8 bytes compare in code point order). Anything else — bytes, arrays, maps, other
 * extensions — cannot be ordered, and {@link readSortKey} says so.
 *
 * @example
 * ```ts
 * import { compareKeys, readSortKey } from "./sort_key.ts";
 * const one = readSortKey(new Uint8Array([0x01]))!;   // 1
 * const t = readSortKey(new Uint8Array([0xc3]))!;     // true
 * compareKeys(t, one); // < 0: booleans come before numbers
 * ```
 * @module
 */

/** The type ranks, in sort order. */
export const SortRank = { Nil: 0, Boolean: 1, Number: 2, Date: 3, String: 4 } as const;

/** An item's sort key. Every field is always present, so all keys share one shape. */
export interface SortKey {
  /** One of {@link SortRank}. */
  rank: number;
  /** The value for booleans (0/1), numbers (nearest float64), Dates (ms since 1970). */
  num: number;
  /** The exact value of a 64-bit integer beyond 2^53; else undefined. */
  big: bigint | undefined;
  /** A string's UTF-8 bytes (a view into the item); else undefined. */
  str: Uint8Array | undefined;
}

/**
 * The sort key of one encoded item, or undefined if its type cannot be ordered (bytes,
 * arrays, maps, extensions other than a Date). `bytes` must be exactly one msgpack value.
 *
 * @example
 * ```ts
 * import { readSortKey } from "./sort_key.ts";
 * readSortKey(new Uint8Array([0xa1, 0x61]))?.rank; // 4: the string "a"
 * readSortKey(new Uint8Array([0x90])); // undefined: an array
 * ```
 */
export function readSortKey(bytes: Uint8Array): SortKey | undefined {
  const b = bytes[0];
  if (b <= 0x7f) return numberKey(b);
  if (b >= 0xe0) return numberKey(b - 0x100);
  if (b >= 0xa0 && b <= 0xbf) return stringKey(bytes.subarray(1, 1 + (b & 0x1f)));
  const view = () => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (b) {
    case 0xc0:
      return key(SortRank.Nil, 0);
    case 0xc2:
      return key(SortRank.Boolean, 0);
    case 0xc3:
      return key(SortRank.Boolean, 1);
    case 0xca:
      return numberKey(view().getFloat32(1));
    case 0xcb:
      return numberKey(view().getFloat64(1));
    case 0xcc:
      return numberKey(bytes[1]);
    case 0xcd:
      return numberKey(view().getUint16(1));
    case 0xce:
      return numberKey(view().getUint32(1));
    case 0xcf:
      return bigKey(view().getBigUint64(1));
    case 0xd0:
      return numberKey(view().getInt8(1));
    case 0xd1:
      return numberKey(view().getInt16(1));
    case 0xd2:
      return numberKey(view().getInt32(1));
    case 0xd3:
      return bigKey(view().getBigInt64(1));
    case 0xd9:
      return stringKey(bytes.subarray(2, 2 + bytes[1]));
    case 0xda:
      return stringKey(bytes.subarray(3, 3 + view().getUint16(1)));
    case 0xdb:
      return stringKey(bytes.subarray(5, 5 + view().getUint32(1)));
    case 0xd6: // timestamp 32: seconds
      return bytes[1] === 0xff ? key(SortRank.Date, view().getUint32(2) * 1000) : undefined;
    case 0xd7: { // timestamp 64: 30 bits of nanoseconds, 34 bits of seconds
      if (bytes[1] !== 0xff) return undefined;
      const high = view().getUint32(2);
      const seconds = (high & 0x3) * 2 ** 32 + view().getUint32(6);
      return key(SortRank.Date, seconds * 1000 + Math.floor((high >>> 2) / 1e6));
    }
    case 0xc7: // timestamp 96: nanoseconds, then signed seconds
      if (bytes[1] !== 12 || bytes[2] !== 0xff) return undefined;
      return key(
        SortRank.Date,
        Number(view().getBigInt64(7)) * 1000 + Math.floor(view().getUint32(3) / 1e6),
      );
  }
  return undefined;
}

/** What {@link readSimpleKey} found: a rank and number in {@link simpleKey}, or more. */
export const KeyKind = { Simple: 0, Full: 1, Unorderable: 2 } as const;

/** Where {@link readSimpleKey} leaves what it read. */
export const simpleKey = { rank: 0, num: 0 };

/**
 * The fast path of {@link readSortKey}, for reading a million keys: the item at `bytes[at]`
 * (with `view` over the same buffer) as a rank and number in {@link simpleKey}, allocating
 * nothing. Strings, bigints beyond 2^53 and NaN answer `Full` (read them with readSortKey);
 * anything with no order answers `Unorderable`.
 *
 * @example
 * ```ts
 * import { KeyKind, readSimpleKey, simpleKey } from "./sort_key.ts";
 * const bytes = new Uint8Array([0xcc, 200]);
 * readSimpleKey(bytes, new DataView(bytes.buffer), 0) === KeyKind.Simple; // true
 * simpleKey.num; // 200
 * ```
 */
export function readSimpleKey(bytes: Uint8Array, view: DataView, at: number): number {
  const b = bytes[at];
  let num: number;
  if (b <= 0x7f) num = b;
  else if (b >= 0xe0) num = b - 0x100;
  else {
    switch (b) {
      case 0xcb:
        num = view.getFloat64(at + 1);
        if (num !== num) return KeyKind.Full;
        break;
      case 0xcc:
        num = bytes[at + 1];
        break;
      case 0xcd:
        num = view.getUint16(at + 1);
        break;
      case 0xce:
        num = view.getUint32(at + 1);
        break;
      case 0xd0:
        num = view.getInt8(at + 1);
        break;
      case 0xd1:
        num = view.getInt16(at + 1);
        break;
      case 0xd2:
        num = view.getInt32(at + 1);
        break;
      case 0xca:
        num = view.getFloat32(at + 1);
        if (num !== num) return KeyKind.Full;
        break;
      default: {
        // Everything else the slow way (nil, booleans and Dates too: they are rarer).
        const key = readSortKey(bytes.subarray(at));
        if (!key) return KeyKind.Unorderable;
        if (key.rank === SortRank.String || key.big !== undefined) return KeyKind.Full;
        simpleKey.rank = key.rank;
        simpleKey.num = key.num;
        return KeyKind.Simple;
      }
    }
  }
  simpleKey.rank = SortRank.Number;
  simpleKey.num = num;
  return KeyKind.Simple;
}

/**
 * The length of the msgpack value at `bytes[at]` if it is one a sort can order (nil, a
 * boolean, a number, a string, a Date), or -1 — also when it runs past the end of `bytes`.
 *
 * @example
 * ```ts
 * import { sortableLength } from "./sort_key.ts";
 * sortableLength(new Uint8Array([0xa2, 0x61, 0x62]), 0); // 3: the string "ab"
 * ```
 */
export function sortableLength(bytes: Uint8Array, at: number): number {
  const b = bytes[at];
  let length = -1;
  if (b === undefined) return -1;
  if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) length = 1;
  else if (b >= 0xa0 && b <= 0xbf) length = 1 + (b & 0x1f);
  else if (b === 0xcc || b === 0xd0) length = 2;
  else if (b === 0xcd || b === 0xd1) length = 3;
  else if (b === 0xce || b === 0xd2 || b === 0xca) length = 5;
  else if (b === 0xcf || b === 0xd3 || b === 0xcb) length = 9;
  else if (b === 0xd9 && at + 1 < bytes.length) length = 2 + bytes[at + 1];
  else if (b === 0xda && at + 2 < bytes.length) length = 3 + (bytes[at + 1] << 8 | bytes[at + 2]);
  else if (b === 0xdb && at + 4 < bytes.length) {
    length = 5 +
      (bytes[at + 1] * 2 ** 24 + (bytes[at + 2] << 16 | bytes[at + 3] << 8 | bytes[at + 4]));
  } else if (b === 0xd6 && bytes[at + 1] === 0xff) length = 6;
  else if (b === 0xd7 && bytes[at + 1] === 0xff) length = 10;
  else if (b === 0xc7 && bytes[at + 1] === 12 && bytes[at + 2] === 0xff) length = 15;
  return length > 0 && at + length <= bytes.length ? length : -1;
}

/** A short name for an encoded item's type, for the error that says it cannot be sorted. */
export function describeUnorderable(bytes: Uint8Array): string {
  const b = bytes[0];
  if ((b >= 0x90 && b <= 0x9f) || b === 0xdc || b === 0xdd) return "an array";
  if ((b >= 0x80 && b <= 0x8f) || b === 0xde || b === 0xdf) return "an object";
  if (b === 0xc4 || b === 0xc5 || b === 0xc6) return "a Uint8Array";
  return "a value of a type that has no order";
}

/**
 * Compare two keys: negative, zero or positive. Equal numbers of different types (1 and 1n,
 * 0 and -0) compare equal; NaN equals NaN and comes after every other number.
 *
 * @example
 * ```ts
 * import { compareKeys, readSortKey } from "./sort_key.ts";
 * compareKeys(readSortKey(new Uint8Array([0x02]))!, readSortKey(new Uint8Array([0x01]))!); // > 0
 * ```
 */
export function compareKeys(a: SortKey, b: SortKey): number {
  if (a.rank !== b.rank) return a.rank - b.rank;
  if (a.rank === SortRank.String) return compareBytes(a.str!, b.str!);
  const x = a.num, y = b.num;
  if (x < y) return -1;
  if (x > y) return 1;
  if (x !== y) return (x !== x ? 1 : 0) - (y !== y ? 1 : 0); // NaN last
  // Equal as float64: exact only matters for integers beyond 2^53 (both are integers then).
  if (a.big === undefined && b.big === undefined) return 0;
  const p = a.big ?? BigInt(x), q = b.big ?? BigInt(y);
  return p < q ? -1 : p > q ? 1 : 0;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function key(rank: number, num: number): SortKey {
  return { rank, num, big: undefined, str: undefined };
}

function numberKey(num: number): SortKey {
  return { rank: SortRank.Number, num, big: undefined, str: undefined };
}

function bigKey(big: bigint): SortKey {
  const num = Number(big);
  const exact = Number.isSafeInteger(num);
  return { rank: SortRank.Number, num, big: exact ? undefined : big, str: undefined };
}

function stringKey(str: Uint8Array): SortKey {
  return { rank: SortRank.String, num: 0, big: undefined, str };
}
