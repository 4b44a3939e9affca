/**
 * Timing helpers for the benchmarks: a round is bounded both in work and in time, and its
 * result is a rate, so a round cut short by the time budget still gives a fair figure.
 *
 * @example
 * ```ts
 * import { median, timeLoop } from "./measure.ts";
 * const rounds = [];
 * for (let r = 0; r < 3; r++) {
 *   rounds.push(await timeLoop(1000, 1, () => Promise.resolve()));
 * }
 * console.log(median(rounds.map((m) => m.rate)), "ops/s");
 * ```
 * @module
 */

/** The longest one round may run; past it the round stops and reports what it did. */
export const ROUND_BUDGET_MS = 10_000;

/** One timed round. */
export interface Measured {
  /** Units (operations or items) per second. */
  rate: number;
  /** Whether the time budget stopped it before it did all its work. */
  cut: boolean;
}

/**
 * Time `body`, which does at most `count` units and should stop early once `late()` is true;
 * it resolves to the units it did.
 */
export async function measure(
  count: number,
  body: (late: () => boolean) => Promise<number>,
): Promise<Measured> {
  const start = performance.now();
  const end = start + ROUND_BUDGET_MS;
  const done = await body(() => performance.now() > end);
  const seconds = (performance.now() - start) / 1000;
  return { rate: done / seconds, cut: done < count };
}

/**
 * Time `op(n)` awaited one call at a time, where `n` is the units done so far and each call
 * does `step` units, until `count` units are done or the budget is spent.
 */
export function timeLoop(
  count: number,
  step: number,
  op: (n: number) => Promise<unknown>,
): Promise<Measured> {
  return measure(count, async (late) => {
    let n = 0;
    while (n < count && !late()) {
      await op(n);
      n += step;
    }
    return n;
  });
}

/** The median of a non-empty list of numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
