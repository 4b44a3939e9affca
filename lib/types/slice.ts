/**
 * Python's slice semantics, for `List.slice(start, stop, step)`: negative bounds count from
 * the end, out-of-range bounds are clamped, a negative step walks backwards, and a missing
 * bound (`undefined` or `null`) means "from the beginning/to the end" in the step's direction.
 *
 * @example
 * ```ts
 * import { sliceIndices } from "./slice.ts";
 * sliceIndices(10, -3, undefined, 1); // { start: 7, step: 1, count: 3 } → 7, 8, 9
 * sliceIndices(5, undefined, undefined, -2); // { start: 4, step: -2, count: 3 } → 4, 2, 0
 * ```
 * @module
 */

/** The indexes a slice selects: `start, start+step, …`, `count` of them. */
export interface SliceIndices {
  start: number;
  step: number;
  count: number;
}

/**
 * A slice bound: an integer (a bigint too, of any size, as Python's `sys.maxsize`), or
 * `undefined`/`null` for "open".
 */
export type SliceBound = number | bigint | undefined | null;

/** A bound as a number: beyond ±(2^53−1) every list behaves the same, so clamp there. */
function checkBound(value: SliceBound, what: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "bigint") {
    const max = BigInt(Number.MAX_SAFE_INTEGER);
    return Number(value > max ? max : value < -max ? -max : value);
  }
  if (!Number.isInteger(value)) {
    throw new TypeError(`slice ${what} must be an integer, undefined or null`);
  }
  return Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, value));
}

function clampBound(bound: number, length: number, step: number): number {
  if (bound < 0) {
    bound += length;
    if (bound < 0) bound = step < 0 ? -1 : 0;
  } else if (bound >= length) {
    bound = step < 0 ? length - 1 : length;
  }
  return bound;
}

/**
 * The indexes `list[start:stop:step]` selects from a list of `length` items, exactly as
 * Python computes them. A zero step is a `RangeError`; a fractional bound a `TypeError`.
 *
 * @example
 * ```ts
 * import { sliceIndices } from "./slice.ts";
 * sliceIndices(3, 0, 2); // { start: 0, step: 1, count: 2 }
 * ```
 */
export function sliceIndices(
  length: number,
  start?: SliceBound,
  stop?: SliceBound,
  step?: SliceBound,
): SliceIndices {
  const from = checkBound(start, "start");
  const to = checkBound(stop, "stop");
  let by = checkBound(step, "step") ?? 1;
  if (by === 0) throw new RangeError("slice step cannot be zero");
  const first = from === undefined ? (by < 0 ? length - 1 : 0) : clampBound(from, length, by);
  const end = to === undefined ? (by < 0 ? -1 : length) : clampBound(to, length, by);
  let count = 0;
  if (by < 0 && end < first) count = Math.floor((first - end - 1) / -by) + 1;
  if (by > 0 && first < end) count = Math.floor((end - first - 1) / by) + 1;
  // A step longer than the list selects one item at most: any step that long selects the same
  // (and a server takes it as it is).
  if (Math.abs(by) > length) by = Math.sign(by) * Math.max(1, length);
  return { start: first, step: by, count };
}
