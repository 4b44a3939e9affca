/**
 * A session's outgoing requests that wait for an answer: each has an id and, usually, a
 * deadline. One {@link DeadlineTimer} covers all the deadlines.
 *
 * @example
 * ```ts
 * import { PendingRequests } from "./pending_requests.ts";
 * const pending = new PendingRequests("127.0.0.1:4444");
 * const answer = pending.add(1, "ping", 5000);
 * pending.take(1)?.resolve("pong");
 * console.log(await answer); // "pong"
 * ```
 * @module
 */
import { TimeoutError } from "../wire/errors.ts";
import { DeadlineTimer } from "./deadline_timer.ts";

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  op: string;
  timeoutMs: number;
  /** `Date.now()` time by which the answer must arrive (Infinity: no timeout). */
  deadline: number;
}

/** See the module docs. */
export class PendingRequests {
  readonly #label: string;
  readonly #waiting = new Map<number, Pending>();
  readonly #deadlines = new DeadlineTimer((now) => this.#expire(now));

  /** Requests to the server `label` (named in timeout errors). */
  constructor(label: string) {
    this.#label = label;
  }

  /** Requests waiting for their answer. */
  get size(): number {
    return this.#waiting.size;
  }

  /** Whether a request with this id is waiting. */
  has(id: number): boolean {
    return this.#waiting.has(id);
  }

  /**
   * Wait for the answer to request `id`; it fails with `TimeoutError` after `timeoutMs`
   * (0: never).
   */
  add(id: number, op: string, timeoutMs: number): Promise<unknown> {
    const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Infinity;
    if (deadline < Infinity) this.#deadlines.track(deadline);
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject, op, timeoutMs, deadline });
    });
  }

  /** The waiting request `id`, removed (its answer came); undefined if unknown or timed out. */
  take(id: number): Pick<Pending, "resolve" | "reject"> | undefined {
    const pending = this.#waiting.get(id);
    if (pending) this.#waiting.delete(id);
    return pending;
  }

  /** Fail every waiting request with `error` (the connection is gone). */
  failAll(error: Error): void {
    this.#deadlines.stop();
    for (const pending of this.#waiting.values()) pending.reject(error);
    this.#waiting.clear();
  }

  /** Fail the requests whose deadline has passed; returns the next deadline. */
  #expire(now: number): number {
    let next = Infinity;
    for (const [id, pending] of this.#waiting) {
      if (pending.deadline <= now) {
        this.#waiting.delete(id);
        pending.reject(
          new TimeoutError(
            `${this.#label} did not answer ${pending.op} within ${pending.timeoutMs} ms`,
          ),
        );
      } else if (pending.deadline < next) {
        next = pending.deadline;
      }
    }
    return next;
  }
}
