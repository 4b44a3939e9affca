/**
 * A hybrid logical clock (Kulkarni et al.): timestamps that follow the wall clock but never go
 * backwards and always order an event after everything its node has seen — so "last writer
 * wins" means the same thing on every node, even when their clocks disagree a little. Ties
 * are broken by node id.
 *
 * A clock far ahead would win every time until the others' clocks caught up (a Raspberry Pi
 * has no battery clock, and a wrong NTP setting can put any machine in the future), so a
 * timestamp more than `maxSkewMs` ahead of this node's own clock is refused with
 * {@link ClockSkew}, and never taken into this clock.
 *
 * @example
 * ```ts
 * import { compareTimestamps, HybridClock } from "./hlc.ts";
 * const a = new HybridClock("a");
 * const b = new HybridClock("b");
 * const first = a.tick();
 * b.observe(first);
 * compareTimestamps(b.tick(), first) > 0; // true: b's next event is after what it saw
 * ```
 * @module
 */
import { ClockSkew } from "../wire/errors.ts";

/** A moment: wall-clock milliseconds, a counter for events within one, and the node's id. */
export interface Timestamp {
  /** Wall-clock milliseconds (never behind any timestamp the clock issued or saw). */
  wall: number;
  /** Events within the same `wall`, in order. */
  counter: number;
  /** The node that issued it: breaks ties. */
  node: string;
}

/**
 * Order two timestamps: negative if `a` is earlier, positive if later, 0 if the same.
 *
 * @example
 * ```ts
 * import { compareTimestamps } from "./hlc.ts";
 * compareTimestamps({ wall: 1, counter: 0, node: "a" }, { wall: 1, counter: 0, node: "b" }); // < 0
 * ```
 */
export function compareTimestamps(a: Timestamp, b: Timestamp): number {
  return a.wall - b.wall || a.counter - b.counter ||
    (a.node < b.node ? -1 : a.node > b.node ? 1 : 0);
}

/** See the module docs. */
export class HybridClock {
  readonly #node: string;
  readonly #now: () => number;
  readonly #maxSkewMs: number;
  #last: Timestamp;

  /** A clock for node `node`, reading `now` (default `Date.now`), refusing skew past `maxSkewMs`. */
  constructor(node: string, { now = Date.now, maxSkewMs = 60_000 } = {}) {
    this.#node = node;
    this.#now = now;
    this.#maxSkewMs = maxSkewMs;
    this.#last = { wall: 0, counter: 0, node };
  }

  /** The largest skew taken from a remote clock. */
  get maxSkewMs(): number {
    return this.#maxSkewMs;
  }

  /** A timestamp for a new local event: after every one issued or seen before. */
  tick(): Timestamp {
    const now = this.#now();
    // A clock that ran ahead and was set right would keep stamping the future (and be refused
    // everywhere) until the wall caught up: beyond the skew bound, start again from now.
    if (this.#last.wall - now > this.#maxSkewMs) {
      this.#last = { wall: 0, counter: 0, node: this.#node };
    }
    const last = this.#last;
    this.#last = now > last.wall
      ? { wall: now, counter: 0, node: this.#node }
      : { wall: last.wall, counter: last.counter + 1, node: this.#node };
    return { ...this.#last };
  }

  /** Take in a remote timestamp (so later local events order after it); `ClockSkew` if too far ahead. */
  observe(remote: Timestamp): void {
    this.check(remote);
    const last = this.#last;
    if (remote.wall > last.wall || (remote.wall === last.wall && remote.counter > last.counter)) {
      this.#last = { wall: remote.wall, counter: remote.counter, node: this.#node };
    }
  }

  /** Throw `ClockSkew` if `remote` is more than `maxSkewMs` ahead of this clock. */
  check(remote: Timestamp): void {
    const ahead = remote.wall - this.#now();
    if (ahead > this.#maxSkewMs) {
      throw new ClockSkew(
        `a clock ${ahead} ms ahead of ${this.#node}'s was refused (the limit is ` +
          `${this.#maxSkewMs} ms): check the clock of node ${remote.node}`,
      );
    }
  }
}
