/**
 * The producing end of a stream: pulls items from a handler's iterable only while the
 * consumer has granted credit, and stops it when the consumer cancels or the connection drops.
 *
 * @example
 * ```ts
 * import { StreamProducer } from "./stream_producer.ts";
 * // Made by the session for each STREAM it receives:
 * // const producer = new StreamProducer(id, credit, sink);
 * // producer.run(handler(args, { session, signal: producer.signal }));
 * ```
 * @module
 */
import { errorToWire } from "../wire/errors.ts";

/** Where a producer's output goes. */
export interface StreamSink {
  item(id: number, item: unknown): void;
  end(id: number): void;
  error(id: number, code: string, message: string): void;
  /** Resolves when the connection can take more output (backpressure on the socket). */
  writable(): Promise<void> | undefined;
  /** The producer has stopped (after its source is closed); `error` if the source failed. */
  done(producer: StreamProducer, error?: unknown): void;
}

/** See the module docs. */
export class StreamProducer {
  readonly #id: number;
  readonly #sink: StreamSink;
  readonly #abort = new AbortController();
  #credit: number;
  #wake: (() => void) | undefined;

  /** The stream id. */
  get id(): number {
    return this.#id;
  }

  /** A producer for stream `id` with `credit` items granted up front. */
  constructor(id: number, credit: number, sink: StreamSink) {
    this.#id = id;
    this.#credit = credit;
    this.#sink = sink;
  }

  /** Aborted when the consumer cancels or the connection closes. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** The consumer granted `n` more items. */
  grant(n: number): void {
    this.#credit += n;
    this.#wakeUp();
  }

  /** The consumer cancelled, or the connection closed: stop without sending anything. */
  cancel(): void {
    if (this.#abort.signal.aborted) return;
    this.#abort.abort();
    this.#wakeUp();
  }

  /** Pull `source` until it ends, fails or is cancelled. Never rejects. */
  async run(source: Iterable<unknown> | AsyncIterable<unknown>): Promise<void> {
    const signal = this.#abort.signal;
    let iterator: Iterator<unknown> | AsyncIterator<unknown> | undefined;
    let failure: unknown;
    try {
      iterator = Symbol.asyncIterator in source
        ? source[Symbol.asyncIterator]()
        : source[Symbol.iterator]();
      while (!signal.aborted) {
        if (this.#credit === 0) await new Promise<void>((wake) => this.#wake = wake);
        if (signal.aborted) break;
        const result = await iterator.next();
        if (signal.aborted) break;
        if (result.done) {
          iterator = undefined;
          this.#sink.end(this.#id);
          break;
        }
        this.#credit--;
        this.#sink.item(this.#id, result.value);
        await this.#sink.writable();
      }
    } catch (error) {
      failure = error;
      iterator = undefined;
      if (!signal.aborted) this.#sink.error(this.#id, ...errorToWire(error));
    } finally {
      try {
        await iterator?.return?.();
      } catch {
        // A generator that fails while being closed has nothing more to say.
      }
      this.#sink.done(this, failure);
    }
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
