/**
 * The consuming end of a stream: an async iterator over the items the other side produces.
 *
 * Backpressure is credit: the producer may send only as many items as it has been granted.
 * The reader grants the first `window` items when it opens the stream, and grants more as
 * items are *consumed* (half a window at a time), so at most `window` items ever wait in
 * memory however slowly the loop runs. Leaving the loop early (`break`, `return()`) sends
 * CANCEL; the producer stops.
 *
 * @example
 * ```ts
 * import { connect } from "./connect.ts";
 * const session = await connect("127.0.0.1:4444");
 * for await (const chunk of session.stream("list.range", ["a", 0, 100, 1])) {
 *   console.log(chunk);
 * }
 * ```
 * @module
 */
import { ProtocolError, TimeoutError, type TypenetError } from "../wire/errors.ts";
import { MAX_TIMER_MS } from "./deadline_timer.ts";

/** What a reader needs from its session. */
export interface StreamControl {
  sendCredit(id: number, n: number): void;
  sendCancel(id: number): void;
  forget(id: number): void;
}

interface Waiter {
  resolve(result: IteratorResult<unknown>): void;
  reject(error: Error): void;
}

/** See the module docs. Made by `Session.stream`. */
export class StreamReader implements AsyncIterableIterator<unknown> {
  readonly #id: number;
  readonly #control: StreamControl;
  #window: number;
  readonly #timeoutMs: number;
  readonly #describe: () => string;
  #queue: unknown[] = [];
  #head = 0;
  #outstanding: number;
  #consumedSinceGrant = 0;
  readonly #grow: WindowGrowth | undefined;
  #seenItems = 0;
  #seenBytes = 0;
  #finished = false;
  #error: Error | undefined;
  #waiter: Waiter | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Made by the session after sending STREAM with `window` credit. */
  constructor(
    id: number,
    control: StreamControl,
    window: number,
    timeoutMs: number,
    describe: () => string,
    grow?: WindowGrowth,
  ) {
    this.#id = id;
    this.#control = control;
    this.#window = window;
    this.#grow = grow;
    this.#outstanding = window;
    // Beyond a timer's range (~24.8 days) means never.
    this.#timeoutMs = timeoutMs > MAX_TIMER_MS ? 0 : timeoutMs;
    this.#describe = describe;
  }

  /** An item arrived. Returns false if the producer broke the credit rule. */
  deliver(item: unknown): boolean {
    if (this.#finished) return true;
    if (this.#outstanding === 0) return false;
    this.#outstanding--;
    if (this.#grow) {
      this.#seenItems++;
      this.#seenBytes += this.#grow.sizeOf(item);
    }
    if (this.#waiter) {
      this.#settle({ value: item, done: false });
      this.#consumed();
    } else {
      this.#queue.push(item);
    }
    return true;
  }

  /** The stream ended: cleanly (no error) or with `error`. Queued items are still read. */
  finish(error?: TypenetError | Error): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#error = error;
    if (this.#waiter && this.#head === this.#queue.length) {
      if (error) this.#fail(error);
      else this.#settle({ value: undefined, done: true });
    }
  }

  /** The next item, waiting at most the stream's timeout for it. */
  next(): Promise<IteratorResult<unknown>> {
    if (this.#head < this.#queue.length) {
      const value = this.#queue[this.#head];
      this.#queue[this.#head++] = undefined;
      if (this.#head === this.#queue.length) {
        this.#queue = [];
        this.#head = 0;
      }
      this.#consumed();
      return Promise.resolve({ value, done: false });
    }
    if (this.#finished) {
      if (this.#error) return Promise.reject(this.#error);
      return Promise.resolve({ value: undefined, done: true });
    }
    if (this.#waiter) return Promise.reject(new Error("next() called before the last resolved"));
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
      if (this.#timeoutMs > 0) {
        this.#timer = setTimeout(() => {
          const error = new TimeoutError(
            `${this.#describe()} sent no stream item within ${this.#timeoutMs} ms`,
          );
          this.#cancel(error);
        }, this.#timeoutMs);
      }
    });
  }

  /** Stop early: tell the producer, drop what is queued. */
  return(): Promise<IteratorResult<unknown>> {
    this.#cancel();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Stop because the caller failed; the error is not swallowed by `for await`. */
  throw(error?: unknown): Promise<IteratorResult<unknown>> {
    this.#cancel();
    return Promise.reject(error);
  }

  /** The reader is its own iterator: `for await (const item of reader)`. */
  [Symbol.asyncIterator](): AsyncIterableIterator<unknown> {
    return this;
  }

  /** Stop and free the stream; pending next() gets `error` or done. */
  #cancel(error?: Error): void {
    const wasOpen = !this.#finished;
    this.#finished = true;
    this.#queue = [];
    this.#head = 0;
    if (wasOpen) {
      this.#control.sendCancel(this.#id);
      this.#control.forget(this.#id);
    }
    if (error) {
      this.#error = error;
      if (this.#waiter) this.#fail(error);
    } else if (this.#waiter) {
      this.#settle({ value: undefined, done: true });
    }
  }

  /** One item was handed to the caller: grant more credit every half window. */
  #consumed(): void {
    if (this.#finished) return;
    this.#consumedSinceGrant++;
    if (this.#consumedSinceGrant * 2 >= this.#window) {
      const more = this.#consumedSinceGrant + this.#widen();
      this.#outstanding += more;
      this.#control.sendCredit(this.#id, more);
      this.#consumedSinceGrant = 0;
    }
  }

  /** With growth on: widen the window towards `bytesAhead` of items; how many it grew by. */
  #widen(): number {
    if (!this.#grow || this.#seenItems === 0) return 0;
    const average = Math.max(1, this.#seenBytes / this.#seenItems);
    const target = Math.min(this.#grow.maxWindow, Math.floor(this.#grow.bytesAhead / average));
    if (target <= this.#window) return 0;
    const grown = target - this.#window;
    this.#window = target;
    return grown;
  }

  #settle(result: IteratorResult<unknown>): void {
    const waiter = this.#waiter!;
    this.#waiter = undefined;
    clearTimeout(this.#timer);
    waiter.resolve(result);
  }

  #fail(error: Error): void {
    const waiter = this.#waiter!;
    this.#waiter = undefined;
    clearTimeout(this.#timer);
    waiter.reject(error);
  }
}

/**
 * How a reader may widen its window: small items are cheap to have in flight, and a window
 * that covers a round trip's worth of them keeps the producer busy.
 */
export interface WindowGrowth {
  /** The widest the window may get, in items. */
  maxWindow: number;
  /** Aim for about this many bytes in flight (judged by the items' average size). */
  bytesAhead: number;
  /** An item's size in bytes. */
  sizeOf(item: unknown): number;
}

/** The error a reader gets when the producer sends items it was not granted. */
export function creditViolation(peer: string): ProtocolError {
  return new ProtocolError(`${peer} sent stream items beyond the credit it was granted`);
}
