/**
 * Time for the membership logic, behind an interface: real timers in a node, a virtual clock
 * in the simulation (tests/support/virtual_clock.ts), where a thousand members' seconds pass in
 * milliseconds and every run is the same.
 *
 * @example
 * ```ts
 * import { REAL_CLOCK } from "./clock.ts";
 * const timer = REAL_CLOCK.setTimer(100, () => console.log("later"));
 * REAL_CLOCK.clearTimer(timer);
 * ```
 * @module
 */

/** A timer set on a {@link Clock}. */
export type Timer = unknown;

/** Milliseconds and timers. */
export interface Clock {
  /** Milliseconds on a clock that never goes back. */
  now(): number;
  /** Call `fn` once, `ms` from now. */
  setTimer(ms: number, fn: () => void): Timer;
  /** Cancel a timer (nothing if it already ran). */
  clearTimer(timer: Timer): void;
}

/** The process's own timers; they do not keep the process alive on their own. */
export const REAL_CLOCK: Clock = {
  now: () => performance.now(),
  setTimer(ms, fn) {
    const timer = setTimeout(fn, ms);
    Deno.unrefTimer(timer);
    return timer;
  },
  clearTimer: (timer) => clearTimeout(timer as number),
};
