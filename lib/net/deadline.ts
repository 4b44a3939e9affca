/**
 * Race a promise against a deadline.
 *
 * @example
 * ```ts
 * import { withDeadline } from "./deadline.ts";
 * const value = await withDeadline(Promise.resolve(1), 100, () => new Error("too slow"));
 * ```
 * @module
 */

/**
 * Resolve with `promise`, or reject with `onTimeout()` if it takes longer than `ms`
 * (`ms <= 0` waits forever). The timer never outlives the race.
 *
 * @example
 * ```ts
 * import { withDeadline } from "./deadline.ts";
 * await withDeadline(new Promise(() => {}), 10, () => new Error("late")).catch((e) => e.message);
 * ```
 */
export function withDeadline<T>(
  promise: Promise<T>,
  ms: number,
  onTimeout: () => Error,
): Promise<T> {
  if (ms <= 0 || ms > 2 ** 31 - 1) return promise; // beyond a timer's range means never
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
