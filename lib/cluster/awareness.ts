/**
 * Lifeguard's local health multiplier: a node that misses acks it should have had (nobody
 * else is missing, the trouble is probably its own: a busy event loop, a paused process)
 * slows its own probing and waits longer before suspecting others, so it does not accuse
 * healthy members of its own slowness. memberlist's awareness.go is the model.
 *
 * @example
 * ```ts
 * import { Awareness } from "./awareness.ts";
 * const health = new Awareness(8);
 * health.apply(+1);
 * health.scale(500); // 1000: one step unhealthier, twice as patient
 * ```
 * @module
 */

/** See the module docs. */
export class Awareness {
  readonly #max: number;
  #score = 0;

  /** Scores run from 0 (healthy) to `maxMultiplier - 1`. */
  constructor(maxMultiplier: number) {
    this.#max = Math.max(1, maxMultiplier);
  }

  /** 0 when healthy; higher is worse. */
  get score(): number {
    return this.#score;
  }

  /** Add `delta` (+1: a sign of trouble here, -1: a probe went well), within the bounds. */
  apply(delta: number): void {
    this.#score = Math.min(this.#max - 1, Math.max(0, this.#score + delta));
  }

  /** A timeout or interval stretched by the current score: `ms × (score + 1)`. */
  scale(ms: number): number {
    return ms * (this.#score + 1);
  }
}
