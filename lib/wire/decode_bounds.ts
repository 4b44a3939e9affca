/**
 * What decoding one msgpack body may cost, checked *before* anything is built.
 *
 * msgpack lets four bytes announce four billion elements and lets one byte open another level
 * of nesting, so a frame of a few megabytes can decode into gigabytes of objects and keep the
 * event loop busy for minutes. {@link checkDecodeBounds} walks the encoding once without
 * building anything — it reads headers and skips payloads — and refuses a body that is nested
 * too deep, holds too many values or objects, or would expand too far in memory. Only a body
 * that passes is handed to the msgpack library. The walk is iterative (no recursion), costs
 * a few nanoseconds per value, and stops at the first value past a bound.
 *
 * The memory estimate follows what V8 was measured to spend here (bench/decode_budget.ts
 * prints the real figures): 8 bytes per value (its slot in an array or object), 64 more per
 * array, map, map entry, bin or extension, 16 more per float or 64-bit integer, 24 more per
 * string of two bytes or more plus its bytes (and the bytes of bins and extensions where the
 * decoder copies them).
 *
 * @example
 * ```ts
 * import { checkDecodeBounds, MESSAGE_BOUNDS } from "./decode_bounds.ts";
 * checkDecodeBounds(new Uint8Array([0x92, 0x01, 0xa1, 0x61]), MESSAGE_BOUNDS); // [1, "a"]: fine
 * checkDecodeBounds(new Uint8Array(40).fill(0x91), MESSAGE_BOUNDS); // LimitExceeded: too deep
 * ```
 * @module
 */
import { LimitExceeded, ProtocolError } from "./errors.ts";

/** The bounds one decode must stay within. */
export interface DecodeBounds {
  /** Arrays and maps nested at most this deep (the outermost counts as 1). */
  maxDepth: number;
  /** msgpack values in all, at every depth (a map entry is two: its key and its value). */
  maxValues: number;
  /** Arrays, maps, map entries, bins and extension values in all. */
  maxObjects: number;
  /** The memory estimate may be at most this many times the encoded size … */
  maxExpansion: number;
  /** … plus this many bytes (so small bodies may hold ordinary structures). */
  expansionAllowance: number;
  /** Whether decoded bins and extensions get their own copy of their bytes. */
  copiesBinary: boolean;
  /** What is being decoded, for error messages (`"message"`, `"value"`). */
  what: string;
}

/**
 * Bounds on a protocol message (a frame body). Messages are a few levels of arrays and maps
 * around strings, integers and `bin`s; user values inside them are `bin`s the receiver does
 * not decode, so these bounds only ever stop what no honest peer sends.
 */
export const MESSAGE_BOUNDS: Readonly<DecodeBounds> = Object.freeze({
  maxDepth: 32,
  maxValues: 1 << 20,
  maxObjects: 1 << 15,
  maxExpansion: 4,
  expansionAllowance: 64 * 1024,
  copiesBinary: false,
  what: "message",
});

/**
 * Bounds on a user value (what a client stores and reads back). The depth is the msgpack
 * library's own encoding limit (100), so whatever a typenet client can write it can read;
 * a value may expand up to 32× (an array of small integer pairs takes 24×) — enough for any
 * ordinary data, not for a "decompression bomb" of empty containers.
 */
export const VALUE_BOUNDS: Readonly<DecodeBounds> = Object.freeze({
  maxDepth: 100,
  maxValues: Infinity,
  maxObjects: Infinity,
  maxExpansion: 32,
  expansionAllowance: 1024 * 1024,
  copiesBinary: true,
  what: "value",
});

/** Bytes of a value's slot in its array or object. */
const SLOT_BYTES = 8;
/** Bytes of an array, map, map entry, bin view or extension object. */
const OBJECT_BYTES = 64;
/** Bytes of a heap number or bigint (floats, 64-bit integers). */
const BOXED_BYTES = 16;
/** Bytes of a string's header (strings of one character or none are shared, and free). */
const STRING_HEADER_BYTES = 24;

/** What a string of `n` UTF-8 bytes costs beyond its slot. */
function stringBytes(n: number): number {
  return n < 2 ? 0 : STRING_HEADER_BYTES + n;
}

/**
 * Check that decoding `bytes[start:end]` as one msgpack value stays within `bounds`.
 * Throws `ProtocolError` if the bytes are not exactly one well-formed msgpack value
 * (truncated, the unused byte `c1`, bytes left over) and `LimitExceeded` if decoding them
 * would go past a bound. Error messages are short and never quote the input.
 *
 * @example
 * ```ts
 * import { checkDecodeBounds, VALUE_BOUNDS } from "./decode_bounds.ts";
 * const bomb = new Uint8Array([0xdd, 0, 0x10, 0, 0, ...new Uint8Array(1 << 20).fill(0x80)]);
 * checkDecodeBounds(bomb, VALUE_BOUNDS); // LimitExceeded: a million empty maps
 * ```
 */
export function checkDecodeBounds(
  bytes: Uint8Array,
  bounds: Readonly<DecodeBounds>,
  start = 0,
  end: number = bytes.length,
): void {
  const { maxDepth, maxObjects, copiesBinary, what } = bounds;
  const budget = bounds.maxExpansion * (end - start) + bounds.expansionAllowance;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Per open container, how many of its values are still to be read; `left` is the
  // innermost one's count (the top level holds one value).
  const parents: number[] = [];
  let left = 1;
  let pos = start;
  // Values, objects and memory are counted when a header announces them, so a lying header
  // fails at once rather than after a long walk.
  let values = 1;
  let objects = 0;
  let cost = SLOT_BYTES;

  while (true) {
    if (pos >= end) truncated(what);
    const type = bytes[pos++];
    left--;
    if (type <= 0x7f || type >= 0xe0) {
      // fixint, the commonest case: nothing more to read.
    } else if (type >= 0xa0 && type <= 0xbf) { // fixstr
      const n = type & 0x1f;
      pos += n;
      if (pos > end) truncated(what);
      cost += stringBytes(n);
      if (cost > budget) checkCounts(values, objects, cost, bounds, budget, end - start);
    } else if (type <= 0x9f || type === 0xdc || type === 0xdd || type === 0xde || type === 0xdf) {
      // A container: fixmap, fixarray, array 16/32, map 16/32.
      let entries = 0;
      let children: number;
      if (type <= 0x8f) {
        entries = type & 0x0f;
        children = 2 * entries;
      } else if (type <= 0x9f) {
        children = type & 0x0f;
      } else {
        const width = type === 0xdc || type === 0xde ? 2 : 4;
        const n = readLength(view, pos, width, end, what);
        pos += width;
        if (type >= 0xde) entries = n;
        children = type >= 0xde ? 2 * n : n;
      }
      if (parents.length + 1 > maxDepth) {
        throw new LimitExceeded(`${what} is nested more than ${maxDepth} levels deep`);
      }
      // Every value takes at least one byte: more values than bytes left is a lie.
      if (children > end - pos) truncated(what);
      objects += 1 + entries;
      values += children;
      cost += OBJECT_BYTES * (1 + entries) + SLOT_BYTES * children;
      checkCounts(values, objects, cost, bounds, budget, end - start);
      if (children > 0) {
        parents.push(left);
        left = children;
        continue;
      }
    } else {
      switch (type) {
        case 0xc0: // nil, false, true
        case 0xc2:
        case 0xc3:
          break;
        case 0xcc: // uint 8, int 8
        case 0xd0:
          pos += 1;
          break;
        case 0xcd: // uint 16, int 16
        case 0xd1:
          pos += 2;
          break;
        case 0xce: // uint 32, int 32
        case 0xd2:
          pos += 4;
          break;
        case 0xca: // float 32: a heap number
          pos += 4;
          cost += BOXED_BYTES;
          break;
        case 0xcb: // float 64, uint 64, int 64: heap numbers or bigints
        case 0xcf:
        case 0xd3:
          pos += 8;
          cost += BOXED_BYTES;
          break;
        case 0xd9: // str 8/16/32
        case 0xda:
        case 0xdb: {
          const width = 1 << (type - 0xd9);
          const n = readLength(view, pos, width, end, what);
          pos += width + n;
          if (pos > end) truncated(what);
          cost += stringBytes(n);
          break;
        }
        case 0xc4: // bin 8/16/32
        case 0xc5:
        case 0xc6: {
          const width = 1 << (type - 0xc4);
          const n = readLength(view, pos, width, end, what);
          pos += width + n;
          if (pos > end) truncated(what);
          objects++;
          cost += OBJECT_BYTES + (copiesBinary ? n : 0);
          break;
        }
        case 0xc7: // ext 8/16/32: length, type, data
        case 0xc8:
        case 0xc9: {
          const width = 1 << (type - 0xc7);
          const n = readLength(view, pos, width, end, what);
          pos += width + 1 + n;
          if (pos > end) truncated(what);
          objects++;
          cost += OBJECT_BYTES + n;
          break;
        }
        case 0xd4: // fixext 1/2/4/8/16: type, data
        case 0xd5:
        case 0xd6:
        case 0xd7:
        case 0xd8: {
          const n = 1 << (type - 0xd4);
          pos += 1 + n;
          objects++;
          cost += OBJECT_BYTES + n;
          break;
        }
        default: // 0xc1 is never used
          throw new ProtocolError(`malformed ${what}: byte c1 is not msgpack`);
      }
      if (cost > budget || objects > maxObjects) {
        checkCounts(values, objects, cost, bounds, budget, end - start);
      }
    }
    while (left === 0) {
      if (parents.length === 0) {
        if (pos > end) truncated(what);
        if (pos !== end) {
          throw new ProtocolError(`malformed ${what}: ${end - pos} bytes after the msgpack value`);
        }
        return;
      }
      left = parents.pop()!;
    }
  }
}

function truncated(what: string): never {
  throw new ProtocolError(`malformed ${what}: msgpack ends in the middle of a value`);
}

/** The big-endian length of `width` bytes at `pos`. */
function readLength(view: DataView, pos: number, width: number, end: number, what: string): number {
  if (width > end - pos) truncated(what);
  return width === 1 ? view.getUint8(pos) : width === 2 ? view.getUint16(pos) : view.getUint32(pos);
}

function checkCounts(
  values: number,
  objects: number,
  cost: number,
  bounds: Readonly<DecodeBounds>,
  budget: number,
  size: number,
): void {
  const what = bounds.what;
  if (values > bounds.maxValues) {
    throw new LimitExceeded(`${what} holds more than ${bounds.maxValues} msgpack values`);
  }
  if (objects > bounds.maxObjects) {
    throw new LimitExceeded(
      `${what} holds more than ${bounds.maxObjects} arrays, maps, map entries and binaries`,
    );
  }
  if (cost > budget) {
    throw new LimitExceeded(
      `${what} of ${size} bytes would take more than ${budget} bytes once decoded`,
    );
  }
}
