/**
 * One server's share of one list: the items of the blocks this node owns. A node's blocks, in
 * index order, sit back to back in local positions 0, 1, 2, … (see `localOffset`), kept dense
 * in an {@link ItemStore}; this class maps list indexes to those positions and checks that
 * every index it is given is this node's.
 *
 * Values are opaque bytes; they are copied in once per batch and out once per range chunk.
 *
 * @example
 * ```ts
 * import { ListShard } from "./list_shard.ts";
 * const shard = new ListShard("a", { nodes: ["h:1", "h:2"], partitionSize: 2 }, 0);
 * shard.store(0, { bytes: new Uint8Array([1, 2, 3]), lengths: [1, 1, 1] });
 * shard.count; // 3: indexes 0, 1 and 4 (2 and 3 live on h:2)
 * ```
 * @module
 */
import { BadArgument, DataLost } from "../wire/errors.ts";
import {
  indexAt,
  type ListLayout,
  localOffset,
  nextOwnedIndex,
  ownerOf,
  previousOwnedIndex,
} from "../wire/list_protocol.ts";
import { firstInWindow } from "../wire/stride.ts";
import { yieldToEventLoop } from "../net/yield.ts";
import { type ValueBatch, ValueBatchWriter } from "../wire/value_batch.ts";
import { ItemStore } from "./item_store.ts";

/** Items compared in one go by {@link ListShard.find} before it lets other work in. */
export const FIND_SLICE_ITEMS = 65_536;

/** Limits on one chunk of a range stream. */
export interface ChunkLimits {
  maxItems: number;
  maxBytes: number;
}

/** See the module docs. */
export class ListShard {
  /** The list's name. */
  readonly name: string;
  /** The list's layout, as first opened. */
  readonly layout: ListLayout;
  /** This node's position in `layout.nodes`. */
  readonly self: number;
  readonly #store = new ItemStore();
  /** What {@link removeLast} removed last, until the list changes otherwise. */
  #lastRemoved: { index: number; value: Uint8Array } | undefined;

  /** An empty share of list `name` for node `self` of `layout`. */
  constructor(name: string, layout: ListLayout, self: number) {
    this.name = name;
    this.layout = layout;
    this.self = self;
  }

  /**
   * A length the list is known to have reached with every append below it acknowledged: what
   * the home said in its last `list.store`, or learnt since. An item at an index at or past it
   * may belong to a batch still under way, so a read there asks the home first.
   */
  acknowledged = 0;
  /** Bumped whenever the home changes this node's items (store, truncate, take). */
  changes = 0;
  /**
   * Told of every change to the items, as a record that {@link ListShard.replay} applies again
   * (set by a server with a data directory, once its log is replayed).
   */
  journal: ((record: unknown[]) => void) | undefined;

  /** Bytes of the items held here. */
  get bytes(): number {
    return this.#store.bytesHeld;
  }

  /** Bytes of memory the items held here take (their arrays, room to grow included). */
  get memoryBytes(): number {
    return this.#store.arrayBytes;
  }

  /** Items held here. */
  get count(): number {
    return this.#store.length;
  }

  /**
   * Apply a record this shard's {@link journal} was given (read back from the log at start).
   * Returns false for a kind that is not an item change.
   */
  replay(record: unknown[]): boolean {
    const [kind, , a, b, c] = record as [string, string, number, unknown, unknown];
    if (kind === "l.store") this.store(a, { bytes: b as Uint8Array, lengths: c as number[] });
    else if (kind === "l.set") this.replace(a, (b as Uint8Array).slice());
    else if (kind === "l.take") this.removeLast(a);
    else if (kind === "l.trunc") this.truncate(a);
    else if (kind === "l.rebuild") {
      this.rebuildFrom(
        a,
        (b as unknown[][]).map((piece) =>
          piece.length === 2
            ? { batch: { bytes: piece[0] as Uint8Array, lengths: piece[1] as number[] } }
            : {
              index: piece[0] as number,
              count: piece[1] as number,
              backwards: piece[2] as boolean,
            }
        ),
      );
    } else return false;
    return true;
  }

  /**
   * Records that put these items back (`l.store`s of at most about `chunkBytes` each), for a
   * compacted log: the items are taken as they are now, and copied into records only as the
   * records are asked for, while the shard goes on changing (ItemStore.freeze).
   */
  snapshot(chunkBytes = 1024 * 1024): Iterable<unknown[]> {
    const frozen = this.#store.freeze();
    const { name, layout, self } = this;
    return (function* () {
      let position = 0;
      for (const { bytes, lengths } of frozen.batches(chunkBytes)) {
        yield ["l.store", name, indexAt(layout, self, position), bytes, lengths];
        position += lengths.length;
      }
    })();
  }

  /** Whether this node owns index `i` (i ≥ 0). */
  owns(i: number): boolean {
    return ownerOf(this.layout, i) === this.self;
  }

  /** The item at `i`, if held here (a view: encode it before changing the list). */
  get(i: number): Uint8Array | undefined {
    return this.#store.get(localOffset(this.layout, i));
  }

  /**
   * Store `batch` at the indexes this node holds from `first` on — `first`, then the next
   * index of this node's, and so on, crossing into its next block where one ends (they are
   * consecutive local positions). All or nothing. `first` must be this node's (`BadArgument`)
   * and follow on from what is held (`DataLost` otherwise: a server that restarted empty never
   * fills a hole silently). Starting below what is held replaces from there on (a home
   * re-sending after a failed batch).
   */
  store(first: number, batch: ValueBatch): void {
    if (!this.owns(first)) {
      const owner = this.layout.nodes[ownerOf(this.layout, first)];
      throw new BadArgument(
        `index ${first} of list '${this.name}' is not this node's (it belongs to ${owner})`,
      );
    }
    const position = localOffset(this.layout, first);
    if (position > this.#store.length) {
      throw new DataLost(
        `list '${this.name}' on ${this.layout.nodes[this.self]} is missing items before ` +
          `index ${first} (did this server restart? it keeps lists in memory only)`,
      );
    }
    this.#lastRemoved = undefined;
    this.#store.write(position, batch.bytes, batch.lengths);
    this.journal?.(["l.store", this.name, first, batch.bytes, batch.lengths]);
  }

  /** Replace the item at `i`; false if there is none. */
  replace(i: number, value: Uint8Array): boolean {
    const replaced = this.#store.replace(localOffset(this.layout, i), value);
    if (replaced) this.journal?.(["l.set", this.name, i, value]);
    return replaced;
  }

  /**
   * Remove and return (a copy of) the item at `i` if it is the last one held here. Asked again
   * for the item it removed last (the home retrying after the answer was lost), it returns
   * that item again, so a retried pop neither fails nor removes a second item.
   */
  removeLast(i: number): Uint8Array | undefined {
    if (localOffset(this.layout, i) === this.#store.length - 1) {
      const value = this.#store.removeLast()!;
      this.#lastRemoved = { index: i, value };
      this.journal?.(["l.take", this.name, i]);
      return value;
    }
    return this.#lastRemoved?.index === i ? this.#lastRemoved.value : undefined;
  }

  /** The item at local position `p` (a view, as {@link get} gives). */
  itemAt(p: number): Uint8Array | undefined {
    return this.#store.get(p);
  }

  /** Visit the items at local positions `0…count-1` (see ItemStore.scan). */
  scan(count: number, visit: (bytes: Uint8Array, view: DataView, at: number) => void): void {
    this.#store.scan(count, visit);
  }

  /** Copy the items at local positions `positions` into `out`, in that order. */
  gather(out: ValueBatchWriter, positions: ArrayLike<number>): void {
    this.#store.gather(out, positions);
  }

  /** The list index of local position `p`. */
  indexAt(p: number): number {
    return indexAt(this.layout, this.self, p);
  }

  /** How many of the local positions hold indexes below `length`. */
  positionsBelow(length: number): number {
    if (length <= 0) return 0;
    const next = nextOwnedIndex(this.layout, this.self, length);
    return Math.min(this.#store.length, localOffset(this.layout, next));
  }

  /** `DataLost` unless this node holds every index it owns below `length`. */
  checkHoldsBelow(length: number): void {
    const due = length <= 0
      ? 0
      : localOffset(this.layout, nextOwnedIndex(this.layout, this.self, length));
    if (this.#store.length < due) {
      throw new DataLost(
        `list '${this.name}' on ${this.layout.nodes[this.self]} holds ${this.#store.length} ` +
          `items where ${due} are due (did this server restart? it keeps lists in memory only)`,
      );
    }
  }

  /**
   * Copy `count` items of one block into `out`, from index `index` up (or, `backwards`, down).
   * `DataLost` if any is missing.
   */
  copyRun(out: ValueBatchWriter, index: number, count: number, backwards = false): void {
    const from = localOffset(this.layout, index);
    const to = backwards ? from - count : from + count;
    const reached = this.#store.copyTo(out, from, to, Infinity, Infinity);
    if (reached !== to) {
      throw new DataLost(
        `list '${this.name}' on ${this.layout.nodes[this.self]} is missing items near index ` +
          `${index} (did this server restart? it keeps lists in memory only)`,
      );
    }
  }

  /**
   * Replace every item at index `from` or beyond with `pieces`, which fill this node's indexes
   * from `from` on, in order (a rewrite's commit): batches, or runs of this node's own items
   * named by index (read before anything is replaced).
   */
  rebuildFrom(
    from: number,
    pieces: ({ batch: ValueBatch } | { index: number; count: number; backwards: boolean })[],
  ): void {
    const at = localOffset(this.layout, nextOwnedIndex(this.layout, this.self, Math.max(0, from)));
    this.#lastRemoved = undefined;
    this.#store.rebuildFrom(
      at,
      pieces.map((piece) =>
        "batch" in piece ? piece : { ...piece, from: localOffset(this.layout, piece.index) }
      ),
    );
    this.journal?.([
      "l.rebuild",
      this.name,
      from,
      pieces.map((piece) =>
        "batch" in piece
          ? [piece.batch.bytes, piece.batch.lengths]
          : [piece.index, piece.count, piece.backwards]
      ),
    ]);
  }

  /** Remove every item at index `from` or beyond; returns how many were removed. */
  truncate(from: number): number {
    const first = nextOwnedIndex(this.layout, this.self, Math.max(0, from));
    this.#lastRemoved = undefined;
    const removed = this.#store.truncate(localOffset(this.layout, first));
    if (removed > 0) this.journal?.(["l.trunc", this.name, from]);
    return removed;
  }

  /**
   * The items this node holds along `start, start+step, …` (before `stop`), in that order, as
   * batches within `limits`. Stops at the first index it should hold but does not: a reader
   * never gets an item from beyond a hole.
   */
  *chunks(start: number, stop: number, step: number, limits: ChunkLimits): Generator<ValueBatch> {
    const out = new ValueBatchWriter();
    const size = this.layout.partitionSize;
    const store = this.#store;
    // Walk only over indexes this node could hold: whatever start and stop a caller sends,
    // the walk is as long as this node's share of the list, not as long as 2^53. Going down
    // from beyond the last item held, the first item is missing, so there is nothing to send.
    if (store.length === 0) return;
    const last = indexAt(this.layout, this.self, store.length - 1);
    if (step > 0) stop = Math.min(stop, last + 1);
    else if (start > last) return;
    for (let i = this.#firstOwned(start, stop, step); inRange(i, stop, step);) {
      const position = localOffset(this.layout, i);
      if (position >= store.length) break;
      // Neighbouring indexes in one block are neighbouring positions: copy them as a run.
      const blockStart = Math.floor(i / size) * size;
      const run = step === 1
        ? Math.min(stop, blockStart + size) - i
        : step === -1
        ? i - Math.max(stop + 1, blockStart) + 1
        : 1;
      const target = step === -1 ? position - run : position + run;
      const reached = store.copyTo(out, position, target, limits.maxItems, limits.maxBytes);
      const copied = Math.abs(reached - position);
      i += copied * step;
      if (copied < run) {
        if (step !== -1 && reached >= store.length) break; // the items ran out
        yield out.take(); // a limit was reached
        continue;
      }
      i = this.#firstOwned(i, stop, step);
    }
    if (out.count > 0) yield out.take();
  }

  /**
   * The smallest index in `start…stop-1` held here whose bytes equal `value`, or -1. A search
   * over more than {@link FIND_SLICE_ITEMS} items goes on in slices, letting other clients in
   * between; items stored meanwhile may or may not be seen.
   */
  find(value: Uint8Array, stop: number, start = 0): number | Promise<number> {
    return this.#sliced(start, stop, -1, (from, count) => {
      const { found, next } = this.#store.find(value, from, count);
      return found >= 0 ? { done: indexAt(this.layout, this.self, found) } : { next };
    });
  }

  /**
   * How many items in `start…stop-1` held here have bytes equal to `value`, searched in slices
   * as {@link find} does.
   */
  countEqual(value: Uint8Array, start: number, stop: number): number | Promise<number> {
    let total = 0;
    return this.#sliced(start, stop, 0, (from, count) => {
      const { matches, next } = this.#store.count(value, from, count);
      total += matches;
      return { next, total };
    }, () => total);
  }

  /**
   * Run `step` over the local positions that hold indexes `start…stop-1`, at most
   * FIND_SLICE_ITEMS at a time, yielding to other clients between slices. `step` answers
   * `{ done }` to stop with a result, or where to go on; at the end the result is `atEnd()`.
   */
  #sliced(
    start: number,
    stop: number,
    empty: number,
    step: (from: number, count: number) => { done?: number; next?: number },
    atEnd: () => number = () => empty,
  ): number | Promise<number> {
    const [from, end] = this.#positions(start, stop);
    if (from >= end) return empty;
    const run = (position: number): number | { next: number } => {
      const result = step(position, Math.min(FIND_SLICE_ITEMS, end - position));
      if (result.done !== undefined) return result.done;
      return result.next! >= end ? atEnd() : { next: result.next! };
    };
    const first = run(from);
    if (typeof first === "number") return first;
    return (async () => {
      let next = first.next;
      while (true) {
        await yieldToEventLoop();
        const result = run(next);
        if (typeof result === "number") return result;
        next = result.next;
      }
    })();
  }

  /** The local positions `[from, end)` that hold indexes `start…stop-1`. */
  #positions(start: number, stop: number): [number, number] {
    const length = this.#store.length;
    if (length === 0 || stop <= 0 || stop <= start) return [0, 0];
    const last = indexAt(this.layout, this.self, length - 1);
    const end = stop > last
      ? length
      : localOffset(this.layout, nextOwnedIndex(this.layout, this.self, stop));
    const first = Math.max(0, start);
    const from = first > last
      ? length
      : localOffset(this.layout, nextOwnedIndex(this.layout, this.self, first));
    return [from, end];
  }

  /**
   * The first index along `i, i+step, …` that this node owns — found by arithmetic, never by
   * walking, so a step that skips this node's blocks for a long way costs nothing — or an
   * index out of range if there is none before `stop`.
   */
  #firstOwned(i: number, stop: number, step: number): number {
    if (!inRange(i, stop, step) || this.owns(i)) return i;
    if (step === 1) return nextOwnedIndex(this.layout, this.self, i);
    if (step === -1) return previousOwnedIndex(this.layout, this.self, i);
    // Index j is ours when j mod (size · nodes) falls in our slot of each round of blocks.
    const size = BigInt(this.layout.partitionSize);
    const first = BigInt(this.self) * size;
    const round = size * BigInt(this.layout.nodes.length);
    const k = firstInWindow(BigInt(i), BigInt(step), round, first, first + size - 1n);
    if (k < 0n) return stop;
    const next = BigInt(i) + k * BigInt(step);
    return inRange(Number(next), stop, step) ? Number(next) : stop;
  }
}

function inRange(i: number, stop: number, step: number): boolean {
  return step > 0 ? i < stop : i > stop && i >= 0;
}
