/**
 * The one place that orders changes to a list's tail (appends and pops); it lives on the
 * list's home node.
 *
 * While nothing is in flight, an operation runs at once (synchronously, when every item it
 * touches is local). While one is in flight — waiting on another node — new operations queue;
 * when it finishes, all queued appends go out as one batch (group commit), so concurrent
 * writers cost one round trip per batch, not per item. Because only one batch is ever in
 * flight, the length only moves when a batch is fully stored: every index below the length
 * holds an item (no holes), indexes are handed out once, and a failed batch is simply not
 * counted — its writers get the error and nothing acknowledged is touched.
 *
 * @example
 * ```ts
 * import { Sequencer } from "./sequencer.ts";
 * let stored = 0;
 * const seq = new Sequencer({
 *   place: (_start, values) => { stored += values.lengths.length; },
 *   take: () => new Uint8Array([1]),
 * });
 * seq.append({ bytes: new Uint8Array([1]), lengths: [1] }); // 0
 * seq.length; // 1
 * ```
 * @module
 */
import { IndexError, Unavailable, Unreachable } from "../wire/errors.ts";
import { joinBatches, type ValueBatch } from "../wire/value_batch.ts";

/** The most value bytes one group commit gathers from queued appends (one append may be more). */
export const GROUP_COMMIT_MAX_BYTES = 8 * 1024 * 1024;

/** How the sequencer stores and removes items; either may be synchronous. */
export interface Placement {
  /** Store `values` at `start…`; all or nothing (undo any part stored before failing). */
  place(start: number, values: ValueBatch): void | Promise<void>;
  /** Remove and return the item at `index`. */
  take(index: number): Uint8Array | Promise<Uint8Array>;
  /**
   * After a place or take that failed with `Unavailable` — it may have happened in part or
   * in full — bring every node back in line with the list as it stood (`length` items) and
   * resolve to the true length (a take that did happen removed one).
   */
  repair?(length: number): Promise<number>;
}

type TailOperation =
  | {
    kind: "append";
    values: ValueBatch;
    resolve(first: number): void;
    reject(error: unknown): void;
  }
  | {
    kind: "pop";
    resolve(value: Uint8Array): void;
    reject(error: unknown): void;
  }
  | {
    kind: "exclusive";
    work: (length: number) => Promise<Rewritten<unknown>>;
    resolve(value: unknown): void;
    reject(error: unknown): void;
  };

/** What an {@link Sequencer.exclusive} operation leaves: the new length, and its result. */
export interface Rewritten<T> {
  length: number;
  value: T;
}

/** See the module docs. */
export class Sequencer {
  #length = 0;
  readonly #placement: Placement;
  readonly #describe: string;
  readonly #onLength: ((length: number) => void) | undefined;
  #queue: TailOperation[] = [];
  #busy = false;
  /** An operation's outcome is unknown: repair before handing out or taking any index. */
  #inDoubt = false;

  /**
   * A sequencer for an empty list; `describe` names the list in errors; `onLength` is told of
   * every new length (a server with a data directory writes it down).
   */
  constructor(
    placement: Placement,
    describe = "the list",
    onLength?: (length: number) => void,
  ) {
    this.#placement = placement;
    this.#describe = describe;
    this.#onLength = onLength;
  }

  /** Items stored: every index below it holds an item. */
  get length(): number {
    return this.#length;
  }

  set length(length: number) {
    if (length === this.#length) return;
    this.#length = length;
    this.#onLength?.(length);
  }

  /**
   * Whether an operation's outcome is unknown, so that the next one repairs first. Set from
   * outside only by a home replaying its log (a step it had not finished when it stopped).
   */
  get inDoubt(): boolean {
    return this.#inDoubt;
  }

  set inDoubt(doubt: boolean) {
    this.#inDoubt = doubt && this.#placement.repair !== undefined;
  }

  /** Append `values`; returns (or resolves to) the index of the first. */
  append(values: ValueBatch): number | Promise<number> {
    if (this.#mustWait()) {
      return this.#enqueue((resolve, reject) => ({ kind: "append", values, resolve, reject }));
    }
    return this.#runAppend(values);
  }

  #runAppend(values: ValueBatch): number | Promise<number> {
    const start = this.length;
    const end = start + values.lengths.length;
    const placed = this.#placement.place(start, values);
    if (!(placed instanceof Promise)) {
      this.length = end;
      return start;
    }
    return this.#whileBusy(placed.then(() => {
      this.length = end;
      return start;
    }, (error) => this.#failed(error)));
  }

  /**
   * A failure that leaves the nodes in an unknown state puts the list in doubt: a lost
   * connection or a timeout, but not a server that was never reached.
   */
  #failed(error: unknown): never {
    const unknown = error instanceof Unavailable && !(error instanceof Unreachable);
    if (unknown && this.#placement.repair) this.#inDoubt = true;
    throw error;
  }

  /** Remove and return the last item (`IndexError` if there is none). */
  pop(): Uint8Array | Promise<Uint8Array> {
    if (this.#mustWait()) {
      return this.#enqueue((resolve, reject) => ({ kind: "pop", resolve, reject }));
    }
    return this.#runPop();
  }

  /**
   * Run `work` with the list to itself (an insert, delete, sort…): no append or pop runs until
   * it settles. It is given the length and resolves to the new length and its result; if it
   * fails with the outcome unknown, the list is repaired before anything else runs.
   */
  exclusive<T>(work: (length: number) => Promise<Rewritten<T>>): Promise<T> {
    if (this.#mustWait()) {
      return this.#enqueue<T>((resolve, reject) => ({
        kind: "exclusive",
        work,
        resolve: resolve as (value: unknown) => void,
        reject,
      }));
    }
    return this.#runExclusive(work);
  }

  #runExclusive<T>(work: (length: number) => Promise<Rewritten<T>>): Promise<T> {
    const done = Promise.resolve(this.length).then(work).then(({ length, value }) => {
      this.length = length;
      return value;
    }, (error) => this.#failed(error));
    return this.#whileBusy(done);
  }

  #mustWait(): boolean {
    return this.#busy || this.#queue.length > 0 || this.#inDoubt;
  }

  #enqueue<T>(
    make: (resolve: (value: T) => void, reject: (error: unknown) => void) => TailOperation,
  ): Promise<T> {
    const queued = new Promise<T>((resolve, reject) => this.#queue.push(make(resolve, reject)));
    if (!this.#busy) this.#drain();
    return queued;
  }

  #runPop(): Uint8Array | Promise<Uint8Array> {
    const last = this.length - 1;
    if (last < 0) throw new IndexError(`cannot remove an item from ${this.#describe}: it is empty`);
    const taken = this.#placement.take(last);
    if (!(taken instanceof Promise)) {
      this.length = last;
      return taken;
    }
    return this.#whileBusy(taken.then((value) => {
      this.length = last;
      return value;
    }, (error) => this.#failed(error)));
  }

  #whileBusy<T>(work: Promise<T>): Promise<T> {
    this.#busy = true;
    return work.finally(() => {
      this.#busy = false;
      this.#drain();
    });
  }

  /** Find out what a doubtful operation did; until then nothing else may run. */
  #repair(): void {
    this.#busy = true;
    this.#placement.repair!(this.length).then(
      (length) => {
        this.length = length;
        this.#inDoubt = false;
      },
      (error) => {
        // Still unknown: the waiting operations fail; the next one tries again.
        for (const op of this.#queue.splice(0)) op.reject(error);
      },
    ).finally(() => {
      this.#busy = false;
      this.#drain();
    });
  }

  /** Run queued operations: pops one at a time, consecutive appends as one batch. */
  #drain(): void {
    if (this.#inDoubt && this.#queue.length > 0 && !this.#busy) return this.#repair();
    while (!this.#busy && this.#queue.length > 0) {
      const head = this.#queue[0];
      if (head.kind === "pop") {
        this.#queue.shift();
        settle(() => this.#runPop(), head.resolve, head.reject);
        continue;
      }
      if (head.kind === "exclusive") {
        this.#queue.shift();
        settle(() => this.#runExclusive(head.work), head.resolve, head.reject);
        continue;
      }
      let end = 1;
      let bytes = head.values.bytes.length;
      while (end < this.#queue.length) {
        const next = this.#queue[end];
        if (next.kind !== "append") break;
        bytes += next.values.bytes.length;
        if (bytes > GROUP_COMMIT_MAX_BYTES) break;
        end++;
      }
      const batch = this.#queue.splice(0, end) as Extract<TailOperation, { kind: "append" }>[];
      const values = joinBatches(batch.map((op) => op.values));
      settle(
        () => this.#runAppend(values),
        (first) => {
          for (const op of batch) {
            op.resolve(first);
            first += op.values.lengths.length;
          }
        },
        (error) => batch.forEach((op) => op.reject(error)),
      );
    }
  }
}

/** Run `work` (sync or async) and route its outcome; never throws. */
function settle<T>(
  work: () => T | Promise<T>,
  resolve: (value: T) => void,
  reject: (error: unknown) => void,
): void {
  try {
    const result = work();
    if (result instanceof Promise) result.then(resolve, reject);
    else resolve(result);
  } catch (error) {
    reject(error);
  }
}
