/**
 * Lifeguard's suspicion timer: a suspected member is declared dead when the timer runs out,
 * and the timer shortens as other members independently confirm the suspicion — from `max`
 * with no confirmation down to `min` once `k` have come in (logarithmically:
 * `max − (max − min) · log(c + 1) / log(k + 1)`). memberlist's suspicion.go is the model.
 *
 * @example
 * ```ts
 * import { Suspicion } from "./suspicion.ts";
 * import { REAL_CLOCK } from "./clock.ts";
 * const s = new Suspicion("n1", 2, 4000, 24000, REAL_CLOCK, () => console.log("dead"));
 * s.confirm("n2"); // a second member suspects it too: the timer shortens
 * s.stop();
 * ```
 * @module
 */
import type { Clock, Timer } from "./clock.ts";

/** See the module docs. */
export class Suspicion {
  readonly #k: number;
  readonly #minMs: number;
  readonly #maxMs: number;
  readonly #clock: Clock;
  readonly #started: number;
  readonly #onTimeout: () => void;
  readonly #confirmedBy = new Set<string>();
  #timer: Timer | undefined;

  /**
   * Start suspecting, on the word of `from`; `onTimeout` runs once the (shrinking) timeout
   * passes.
   */
  constructor(
    from: string,
    k: number,
    minMs: number,
    maxMs: number,
    clock: Clock,
    onTimeout: () => void,
  ) {
    this.#k = k;
    this.#minMs = minMs;
    this.#maxMs = k < 1 ? minMs : maxMs;
    this.#clock = clock;
    this.#started = clock.now();
    this.#onTimeout = onTimeout;
    this.#confirmedBy.add(from);
    this.#arm();
  }

  /** Independent confirmations so far (the first suspector not counted). */
  get confirmations(): number {
    return this.#confirmedBy.size - 1;
  }

  /** The timeout with the confirmations so far, from the start. */
  get timeoutMs(): number {
    if (this.#k < 1) return this.#minMs;
    const fraction = Math.log(this.confirmations + 1) / Math.log(this.#k + 1);
    return Math.max(this.#minMs, this.#maxMs - fraction * (this.#maxMs - this.#minMs));
  }

  /** Another member suspects it too; true if that member had not said so before. */
  confirm(from: string): boolean {
    if (this.#confirmedBy.has(from) || this.confirmations >= this.#k) return false;
    this.#confirmedBy.add(from);
    this.#arm();
    return true;
  }

  /** Stop the timer (the member refuted, or is dead already). */
  stop(): void {
    if (this.#timer !== undefined) this.#clock.clearTimer(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    this.stop();
    const left = Math.max(0, this.timeoutMs - (this.#clock.now() - this.#started));
    this.#timer = this.#clock.setTimer(left, () => {
      this.#timer = undefined;
      this.#onTimeout();
    });
  }
}
