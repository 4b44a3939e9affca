/**
 * List indexes as bytes: one little-endian float 64 each. Peers send indexes this way where
 * there is one per item (a sorted run's origins, a probe's pivots and samples), so that a
 * message of many indexes costs its reader nothing to decode beyond its size.
 *
 * @example
 * ```ts
 * import { indexBytes, readIndexBytes } from "./index_bytes.ts";
 * readIndexBytes(indexBytes([3, 7]), "indexes"); // Float64Array [3, 7]
 * ```
 * @module
 */
import { BadArgument } from "../wire/errors.ts";

/** Bytes per index. */
export const INDEX_BYTES = 8;

/**
 * Whether `value` is a list index: a safe integer ≥ 0.
 *
 * @example
 * ```ts
 * import { isIndex } from "./index_bytes.ts";
 * isIndex(-1); // false
 * ```
 */
export function isIndex(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/**
 * `values` as bytes.
 *
 * @example
 * ```ts
 * import { indexBytes } from "./index_bytes.ts";
 * indexBytes([1]).length; // 8
 * ```
 */
export function indexBytes(values: ArrayLike<number>): Uint8Array {
  const bytes = new Uint8Array(values.length * INDEX_BYTES);
  const view = new DataView(bytes.buffer);
  for (let k = 0; k < values.length; k++) view.setFloat64(k * INDEX_BYTES, values[k], true);
  return bytes;
}

/**
 * Indexes back from bytes; `BAD_ARGUMENT` naming `what` if the length is not a multiple of 8 or
 * one is not an index.
 *
 * @example
 * ```ts
 * import { readIndexBytes } from "./index_bytes.ts";
 * readIndexBytes(new Uint8Array(8), "origins"); // Float64Array [0]
 * ```
 */
export function readIndexBytes(bytes: Uint8Array, what: string): Float64Array {
  if (bytes.length % INDEX_BYTES !== 0) throw new BadArgument(`${what} must be 8 bytes each`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(bytes.length / INDEX_BYTES);
  for (let k = 0; k < out.length; k++) {
    const value = view.getFloat64(k * INDEX_BYTES, true);
    if (!isIndex(value)) throw new BadArgument(`${what} must be indexes`);
    out[k] = value;
  }
  return out;
}
