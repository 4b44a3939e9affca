/**
 * The iterator behind `for await (const x of list)`: reads the length once, then pulls the
 * items in decoded chunks through a {@link RangeReader}.
 * Leaving the loop early cancels the streams it opened.
 *
 * @example
 * ```ts
 * import { ListIterator } from "./list_iterator.ts";
 * // new ListIterator(() => list.length(), (count) => new RangeReader(…, { start: 0, step: 1, count }))
 * ```
 * @module
 */
import type { RangeReader } from "./range_reader.ts";

/** See the module docs. */
export class ListIterator implements AsyncIterator<unknown> {
  readonly #length: () => Promise<number>;
  readonly #open: (count: number) => RangeReader;
  #reader: RangeReader | undefined;
  #chunk: unknown[] = [];
  #position = 0;
  #finished = false;
  #refilling: Promise<unknown> | undefined;

  /** An iterator over the first `await length()` items, read through `open(count)`. */
  constructor(length: () => Promise<number>, open: (count: number) => RangeReader) {
    this.#length = length;
    this.#open = open;
  }

  /** The next item. */
  next(): Promise<IteratorResult<unknown>> {
    if (this.#position < this.#chunk.length) {
      return Promise.resolve({ value: this.#chunk[this.#position++], done: false });
    }
    // Calls that overlap (next() again before the last resolved) queue behind the refill.
    if (this.#refilling) return this.#refilling.then(() => this.next());
    const refill = this.#refill();
    this.#refilling = refill.finally(() => this.#refilling = undefined).catch(() => {});
    return refill;
  }

  /** Stop early: cancel the streams. */
  return(): Promise<IteratorResult<unknown>> {
    this.#finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  async #refill(): Promise<IteratorResult<unknown>> {
    if (this.#finished) return { value: undefined, done: true };
    try {
      this.#reader ??= this.#open(await this.#length());
      const chunk = await this.#reader.nextChunk();
      if (chunk === null || chunk.length === 0) {
        this.#finish();
        return { value: undefined, done: true };
      }
      this.#chunk = chunk;
      this.#position = 1;
      return { value: chunk[0], done: false };
    } catch (error) {
      this.#finish();
      throw error;
    }
  }

  #finish(): void {
    this.#finished = true;
    this.#chunk = [];
    this.#position = 0;
    this.#reader?.close();
  }
}
