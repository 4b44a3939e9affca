/**
 * A clock whose time moves only when told to: the simulation runs a thousand members' minutes
 * in a second of real time, the same way on every run.
 *
 * @example
 * ```ts
 * import { VirtualClock } from "./virtual_clock.ts";
 * const clock = new VirtualClock();
 * clock.setTimer(1000, () => console.log("a second later, at", clock.now()));
 * clock.runFor(5000);
 * ```
 * @module
 */
import type { Clock, Timer } from "../../lib/cluster/clock.ts";

interface Scheduled {
  at: number;
  /** Order of scheduling: timers due at the same time run in the order they were set. */
  order: number;
  fn: () => void;
  cancelled: boolean;
}

/** See the module docs. */
export class VirtualClock implements Clock {
  #now = 0;
  #order = 0;
  /** A binary min-heap by (at, order). */
  #heap: Scheduled[] = [];

  /** Virtual milliseconds since the start. */
  now(): number {
    return this.#now;
  }

  /** Call `fn` when the clock reaches now + `ms`. */
  setTimer(ms: number, fn: () => void): Timer {
    const entry = { at: this.#now + Math.max(0, ms), order: this.#order++, fn, cancelled: false };
    this.#push(entry);
    return entry;
  }

  /** Cancel a timer. */
  clearTimer(timer: Timer): void {
    if (timer) (timer as Scheduled).cancelled = true;
  }

  /** Run everything due in the next `ms`, in order, and end at now + `ms`. */
  runFor(ms: number): void {
    this.runUntil(this.#now + ms);
  }

  /** Run everything due by `time`, in order, and end at `time`. */
  runUntil(time: number): void {
    while (this.#heap.length > 0 && this.#heap[0].at <= time) {
      const next = this.#pop();
      this.#now = next.at;
      if (!next.cancelled) next.fn();
    }
    this.#now = Math.max(this.#now, time);
  }

  /** Run until `condition()` holds (checked after each timer) or `limitMs` pass; true if it held. */
  runUntilTrue(condition: () => boolean, limitMs: number): boolean {
    const end = this.#now + limitMs;
    while (!condition()) {
      if (this.#heap.length === 0 || this.#heap[0].at > end) {
        this.#now = end;
        return condition();
      }
      const next = this.#pop();
      this.#now = next.at;
      if (!next.cancelled) next.fn();
    }
    return true;
  }

  #push(entry: Scheduled): void {
    const heap = this.#heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  #pop(): Scheduled {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      while (true) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && before(heap[left], heap[smallest])) smallest = left;
        if (right < heap.length && before(heap[right], heap[smallest])) smallest = right;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest], heap[i]];
        i = smallest;
      }
    }
    return top;
  }
}

function before(a: Scheduled, b: Scheduled): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order);
}

/**
 * One process's view of a {@link VirtualClock}: while paused (SIGSTOP, in a simulation) none
 * of its timers run; those that came due run, in order, when it resumes — as a stopped
 * process's overdue timers do.
 *
 * @example
 * ```ts
 * import { PausableClock, VirtualClock } from "./virtual_clock.ts";
 * const clock = new PausableClock(new VirtualClock());
 * clock.pause();
 * clock.resume();
 * ```
 */
export class PausableClock implements Clock {
  readonly #clock: VirtualClock;
  #paused = false;
  #due: (() => void)[] = [];

  /** A view of `clock`. */
  constructor(clock: VirtualClock) {
    this.#clock = clock;
  }

  /** The shared time (a paused process's clock keeps going too). */
  now(): number {
    return this.#clock.now();
  }

  /** As `VirtualClock.setTimer`, but held back while paused. */
  setTimer(ms: number, fn: () => void): Timer {
    return this.#clock.setTimer(ms, () => {
      if (this.#paused) this.#due.push(fn);
      else fn();
    });
  }

  /** As `VirtualClock.clearTimer` (a timer already due and held back still runs). */
  clearTimer(timer: Timer): void {
    this.#clock.clearTimer(timer);
  }

  /** Stop running timers. */
  pause(): void {
    this.#paused = true;
  }

  /** Run the timers that came due meanwhile, then carry on. */
  resume(): void {
    this.#paused = false;
    const due = this.#due;
    this.#due = [];
    for (const fn of due) fn();
  }
}
