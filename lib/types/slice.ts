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

/** A slice bound: an integer, or `undefined`/`null` for "open". */
export type SliceBound = number | undefined | null;

function checkBound(value: SliceBound, what: string): void {
  if (value !== undefined && value !== null && !Number.isInteger(value)) {
    throw new TypeError(`slice ${what} must be an integer, undefined or null`);
  }
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
  checkBound(start, "start");
  checkBound(stop, "stop");
  checkBound(step, "step");
  const by = step ?? 1;
  if (by === 0) throw new RangeError("slice step cannot be zero");
  const first = start == null ? (by < 0 ? length - 1 : 0) : clampBound(start, length, by);
  const end = stop == null ? (by < 0 ? -1 : length) : clampBound(stop, length, by);
  let count = 0;
  if (by < 0 && end < first) count = Math.floor((first - end - 1) / -by) + 1;
  if (by > 0 && first < end) count = Math.floor((end - first - 1) / by) + 1;
  return { start: first, step: by, count };
}
