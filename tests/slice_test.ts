/**
 * `sliceIndices` against Python itself: tests/data/python_slices.json holds
 * `[length, start, stop, step, list(range(length))[start:stop:step]]` rows computed by
 * CPython 3.11 (`None` as null), so these are Python's answers, not ours.
 */
import assert from "node:assert/strict";
import { sliceIndices } from "../lib/types/slice.ts";

const table = JSON.parse(
  await Deno.readTextFile(new URL("./data/python_slices.json", import.meta.url)),
) as [number, number | null, number | null, number | null, number[]][];

function expand(length: number, start: number | null, stop: number | null, step: number | null) {
  const { start: first, step: by, count } = sliceIndices(length, start, stop, step);
  return Array.from({ length: count }, (_, k) => first + k * by);
}

Deno.test("slice indices match Python's for every row of the table", () => {
  assert.ok(table.length > 200);
  for (const [length, start, stop, step, expected] of table) {
    assert.deepEqual(
      expand(length, start, stop, step),
      expected,
      `list(range(${length}))[${start}:${stop}:${step}]`,
    );
  }
});

Deno.test("undefined is an open bound, like null", () => {
  assert.deepEqual(expand(5, null, null, -1), [4, 3, 2, 1, 0]);
  assert.deepEqual(sliceIndices(5, undefined, undefined, -1), sliceIndices(5, null, null, -1));
});

Deno.test("a zero step and fractional bounds are refused", () => {
  assert.throws(() => sliceIndices(5, 0, 5, 0), RangeError);
  assert.throws(() => sliceIndices(5, 0.5), TypeError);
  assert.throws(() => sliceIndices(5, 0, 2.5), TypeError);
});
