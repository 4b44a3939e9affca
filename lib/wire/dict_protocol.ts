/**
 * What the list server and the `Dict` client agree on: operation names, what a key is on the
 * wire, and which node holds it.
 *
 * A key travels as its msgpack encoding (a string, an integer in its shortest form, a float64,
 * or bin); two keys are the same key when those bytes are. A key lives on the node with the
 * highest rendezvous score ({@link ownerOfKey}): every client that names the same nodes (in any
 * order) agrees, and adding a node moves only the keys it wins.
 *
 * @example
 * ```ts
 * import { encodeKey, ownerOfKey } from "./dict_protocol.ts";
 * ownerOfKey(["127.0.0.1:4444", "127.0.0.1:4445"], encodeKey("ada")); // 0 or 1
 * ```
 * @module
 */
import { encodeValue } from "./codec.ts";
import { BadArgument } from "./errors.ts";

/** Operation names of the dict protocol (arguments in docs/PROTOCOL.md §13.1). */
export const DictOp = {
  Set: "dict.set",
  Get: "dict.get",
  Delete: "dict.delete",
  SetMany: "dict.setMany",
  GetMany: "dict.getMany",
  Size: "dict.size",
  Clear: "dict.clear",
  Scan: "dict.scan",
  Stats: "dict.stats",
} as const;

/** Longest key, in encoded bytes. */
export const MAX_KEY_BYTES = 4096;

/** Most entries in one `dict.setMany` or `dict.getMany` (within the decode bounds). */
export const MAX_BATCH_KEYS = 4096;

/** A key as users give it. */
export type DictKey = string | number | bigint | Uint8Array;

/**
 * A key's wire form: its msgpack encoding, integers (numbers or bigints) in their shortest
 * form, so `1` and `1n` are one key. Throws `BadArgument` for another type, NaN, an infinity or
 * a key over {@link MAX_KEY_BYTES}.
 *
 * @example
 * ```ts
 * import { encodeKey } from "./dict_protocol.ts";
 * encodeKey(1); // Uint8Array [1]
 * encodeKey(1n); // Uint8Array [1]
 * ```
 */
export function encodeKey(key: DictKey): Uint8Array {
  const bytes = encodeValue(canonicalKey(key));
  if (bytes.length > MAX_KEY_BYTES) {
    throw new BadArgument(`a dict key takes at most ${MAX_KEY_BYTES} bytes encoded`);
  }
  return bytes;
}

/**
 * A key in the form that encodes to its wire bytes (see {@link encodeKey}, which also checks the
 * encoded size): integral bigints within ±(2^53−1) as numbers, -0 as 0. Throws `BadArgument`.
 *
 * @example
 * ```ts
 * import { canonicalKey } from "./dict_protocol.ts";
 * canonicalKey(7n); // 7
 * ```
 */
export function canonicalKey(key: DictKey): DictKey {
  let canonical: DictKey = key;
  if (typeof key === "bigint") {
    if (key >= BigInt(Number.MIN_SAFE_INTEGER) && key <= BigInt(Number.MAX_SAFE_INTEGER)) {
      canonical = Number(key);
    } else if (key < -(2n ** 63n) || key >= 2n ** 64n) {
      throw new BadArgument("a bigint key must fit in 64 bits");
    }
  } else if (typeof key === "number") {
    if (!Number.isFinite(key)) throw new BadArgument(`a dict key cannot be ${key}`);
    if (Object.is(key, -0)) canonical = 0;
  } else if (typeof key !== "string" && !(key instanceof Uint8Array)) {
    throw new BadArgument("a dict key must be a string, a number, a bigint or a Uint8Array");
  }
  return canonical;
}

/**
 * Check that `bytes` is exactly one msgpack string, integer, float or bin (the server's check;
 * it decodes nothing). Throws `BadArgument`.
 *
 * @example
 * ```ts
 * import { checkKeyBytes } from "./dict_protocol.ts";
 * checkKeyBytes(new Uint8Array([0xa1, 0x61])); // "a": fine
 * ```
 */
export function checkKeyBytes(bytes: Uint8Array, start = 0, end = bytes.length): void {
  if (end <= start || end - start > MAX_KEY_BYTES) {
    throw new BadArgument(`a key must be 1 to ${MAX_KEY_BYTES} bytes of msgpack`);
  }
  if (keyLength(bytes, start, end) !== end - start) {
    throw new BadArgument("a key must be one msgpack string, integer, float or bin");
  }
}

/** The length the header at `b[start]` announces (reading nothing at or past `end`). */
function keyLength(b: Uint8Array, start: number, end: number): number {
  const t = b[start];
  const u8 = (i: number) => start + i < end ? b[start + i] : 0;
  const u16 = (i: number) => (u8(i) << 8) | u8(i + 1);
  const u32 = (i: number) => u16(i) * 65536 + u16(i + 2);
  if (t <= 0x7f || t >= 0xe0) return 1;
  if (t >= 0xa0 && t <= 0xbf) return 1 + (t & 0x1f);
  switch (t) {
    case 0xcc:
    case 0xd0:
      return 2;
    case 0xcd:
    case 0xd1:
      return 3;
    case 0xce:
    case 0xd2:
    case 0xca:
      return 5;
    case 0xcf:
    case 0xd3:
    case 0xcb:
      return 9;
    case 0xd9:
    case 0xc4:
      return 2 + u8(1);
    case 0xda:
    case 0xc5:
      return 3 + u16(1);
    case 0xdb:
    case 0xc6:
      return 5 + u32(1);
    default:
      return -1;
  }
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a (32 bits) of `bytes[start:end]`, continuing from `hash`. */
function fnv1a(hash: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  let h = hash;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i], FNV_PRIME);
  return h >>> 0;
}

/** MurmurHash3's finaliser: spreads every input bit over the output. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Per node, the FNV-1a state after its address and a 0 byte: scoring a key goes on from it. */
export function nodeSeeds(nodes: readonly string[]): number[] {
  const encoder = new TextEncoder();
  return nodes.map((address) => fnv1a(fnv1a(FNV_OFFSET, encoder.encode(address)), ZERO));
}
const ZERO = new Uint8Array([0]);

/**
 * The index of the node that holds `key` (its wire bytes, or `key[start:end]`): the highest of
 * `mix(FNV-1a-32(UTF-8(address) ‖ 0x00 ‖ key))` over the nodes, the lowest index on a tie.
 *
 * @example
 * ```ts
 * import { encodeKey, ownerOfKey } from "./dict_protocol.ts";
 * ownerOfKey(["a:1", "b:2", "c:3"], encodeKey("ada"));
 * ```
 */
export function ownerOfKey(
  nodes: readonly string[],
  key: Uint8Array,
  seeds: readonly number[] = nodeSeeds(nodes),
  start = 0,
  end = key.length,
): number {
  let best = 0;
  let bestScore = -1;
  for (let i = 0; i < seeds.length; i++) {
    const score = mix(fnv1a(seeds[i], key, start, end));
    if (score > bestScore) {
      best = i;
      bestScore = score;
    }
  }
  return best;
}
