/**
 * `List`: a list whose items live on several typenet servers, used like an array.
 *
 * Items live in blocks of `partitionSize` consecutive indexes; block `b` lives on
 * `nodes[b % nodes.length]`, and `nodes[0]` (the *home*) orders appends, so any number of
 * writers may append at once: every index is unique, nothing is lost, each writer's items keep
 * their order, and a reader never sees a hole. Reads go straight to the node holding the item;
 * bulk operations (`extend`, `slice`, `toArray`, iteration, `includes`) move items in batches.
 *
 * Values are anything msgpack carries (null, booleans, numbers, bigints within 64 bits,
 * strings, Uint8Array, Date, arrays, plain objects); they are encoded here and stored by the
 * servers as opaque bytes.
 *
 * @example
 * ```ts
 * import { List } from "./list.ts";
 * const li = await List.open("list-test", {
 *   nodes: ["127.0.0.1:4444", "127.0.0.1:4445"],
 *   partitionSize: 10000,
 * });
 * await li.append(0);
 * await li.append("test");
 * console.log(await li.at(-1)); // "test"
 * for await (const x of li) console.log(x);
 * await li.close();
 * ```
 * @module
 */
import { decodeValue, encodeValue } from "../wire/codec.ts";
import {
  batchLimits,
  batchToWire,
  type ValueBatch,
  ValueBatchWriter,
} from "../wire/value_batch.ts";
import { BadArgument, ProtocolError } from "../wire/errors.ts";
import { checkLayout, type ListLayout, ListOp, ownerOf } from "../wire/list_protocol.ts";
import type { Connection } from "../net/connection.ts";
import { openListLinks } from "./list_links.ts";
import { sendInBatches } from "./batch_sender.ts";
import { type ClientOptions, linkOptions } from "./client_options.ts";
import { ListIterator } from "./list_iterator.ts";
import { RangeReader } from "./range_reader.ts";
import { type SliceBound, sliceIndices } from "./slice.ts";

/** How to open a {@link List}. */
export interface ListOptions extends ClientOptions {
  /** The servers, as `host:port`. Every client of a list must give the same nodes in the same order. */
  nodes: string[];
  /** Consecutive indexes per block (default 10000). */
  partitionSize?: number;
}

/** Whether a search bound is open or counts from the start (no length needed to read it). */
function isOpenOrNonNegative(bound: SliceBound): boolean {
  if (bound === undefined || bound === null) return true;
  if (typeof bound === "bigint") return bound >= 0n;
  if (!Number.isInteger(bound)) throw new TypeError("a search bound must be an integer");
  return bound >= 0;
}

/** The default {@link ListOptions.partitionSize}. */
export const DEFAULT_PARTITION_SIZE = 10_000;

/** Largest batch `extend` sends at once (bytes of encoded values). */
const BATCH_BYTES = 1024 * 1024;

/** See the module docs. */
export class List implements AsyncIterable<unknown>, AsyncDisposable {
  /** The list's name. */
  readonly name: string;
  /** Where its items live. */
  readonly layout: Readonly<ListLayout>;
  readonly #links: Connection[];
  /** Encodes append and push batches; used synchronously, so one per List is enough. */
  readonly #writer = new ValueBatchWriter();
  /** A writer for extend, kept between calls (concurrent calls make their own). */
  #spareWriter: ValueBatchWriter | undefined;

  private constructor(name: string, layout: ListLayout, links: Connection[]) {
    this.name = name;
    this.layout = layout;
    this.#links = links;
  }

  /**
   * Open (or create) the list `name` on `options.nodes`. Fails with `LayoutMismatch` if the
   * list exists with other nodes or another partition size, and with `Unavailable` naming
   * any server that cannot be reached.
   *
   * @example
   * ```ts
   * import { List } from "./list.ts";
   * const li = await List.open("jobs", { nodes: ["127.0.0.1:4444"] });
   * ```
   */
  static async open(name: string, options: ListOptions): Promise<List> {
    if (typeof name !== "string" || name.length === 0) {
      throw new BadArgument("a list name must be a non-empty string");
    }
    const layout = checkLayout({
      nodes: options.nodes,
      partitionSize: options.partitionSize ?? DEFAULT_PARTITION_SIZE,
    });
    const links = await openListLinks(name, layout, linkOptions(options));
    return new List(name, layout, links);
  }

  /**
   * Append one value; resolves to its index.
   *
   * @example
   * ```ts
   * const index = await li.append({ job: 1 });
   * ```
   */
  async append(value: unknown): Promise<number> {
    this.#writer.add(value);
    return await this.#appendBatch(this.#writer.take());
  }

  /**
   * Append values in one round trip; resolves to the length just after they were added.
   *
   * @example
   * ```ts
   * await li.push(1, 2, 3);
   * ```
   */
  async push(...values: unknown[]): Promise<number> {
    if (values.length === 0) return await this.length();
    try {
      for (const value of values) this.#writer.add(value);
    } catch (error) {
      this.#writer.take(); // drop the values before the one that failed
      throw error;
    }
    return await this.#appendBatch(this.#writer.take()) + values.length;
  }

  /**
   * Append everything from a (sync or async) iterable, in batches; resolves to the count.
   * Batches go in order, one at a time, so if one fails, everything before it is in the list
   * and nothing after it is.
   *
   * @example
   * ```ts
   * await li.extend(Array.from({ length: 10_000 }, (_, i) => i));
   * ```
   */
  async extend(values: Iterable<unknown> | AsyncIterable<unknown>): Promise<number> {
    const limits = batchLimits(this.#frameLimit(), BATCH_BYTES, Infinity);
    // A writer kept from the last extend has its buffer grown and warm already.
    const writer = this.#spareWriter ?? new ValueBatchWriter();
    this.#spareWriter = undefined;
    const sent = await sendInBatches(values, writer, limits, (batch) => this.#appendBatch(batch));
    this.#spareWriter = writer;
    return sent;
  }

  /**
   * The item at `index` (negative counts from the end). `IndexError` if out of range.
   *
   * @example
   * ```ts
   * const last = await li.at(-1);
   * ```
   */
  async at(index: number): Promise<unknown> {
    checkIndex(index);
    const bytes = await this.#linkFor(index).request(ListOp.Get, [this.name, index]);
    return decodeValue(this.#bytes(bytes));
  }

  /**
   * Replace the item at `index` (negative counts from the end). `IndexError` if out of range.
   *
   * @example
   * ```ts
   * await li.set(0, "first");
   * ```
   */
  async set(index: number, value: unknown): Promise<void> {
    checkIndex(index);
    const encoded = encodeValue(value);
    await this.#linkFor(index).request(ListOp.Set, [this.name, index, encoded]);
  }

  /**
   * The number of items.
   *
   * @example
   * ```ts
   * console.log(await li.length());
   * ```
   */
  async length(): Promise<number> {
    return this.#index(await this.#home.request(ListOp.Length, [this.name]));
  }

  /**
   * Remove and return the item at `index` (default the last; negative counts from the end).
   * `IndexError` if the list is empty or the index out of range. Popping any item but the last
   * shifts the later items down by one: O(n − index) moves, done by the servers (see
   * {@link delete}).
   *
   * @example
   * ```ts
   * const last = await li.pop();
   * const first = await li.pop(0);
   * ```
   */
  async pop(index?: number): Promise<unknown> {
    const args: unknown[] = [this.name];
    if (index !== undefined) {
      checkIndex(index);
      args.push(index);
    }
    return decodeValue(this.#bytes(await this.#home.request(ListOp.Pop, args)));
  }

  /**
   * Delete the item at `index` (negative counts from the end); `IndexError` if out of range.
   * Deleting the last item costs one store; any other shifts the later items down by one —
   * O(n − index) moves, done by the servers in bulk and in parallel (each moves its own items,
   * and each block's first item crosses to the previous block's server), no item crossing to
   * the client. Appends from other clients wait until it is done.
   *
   * @example
   * ```ts
   * await li.delete(-1);
   * await li.delete(0);
   * ```
   */
  async delete(index: number): Promise<void> {
    checkIndex(index);
    await this.#home.request(ListOp.Delete, [this.name, index]);
  }

  /**
   * Insert `value` before index `index`, as Python's `list.insert`: negative counts from the
   * end, and an index past either end inserts there. The later items shift up by one:
   * O(n − index) moves, done by the servers (see {@link delete}); at the end it is an append.
   *
   * @example
   * ```ts
   * await li.insert(0, "first");
   * await li.insert(-1, "before the last");
   * ```
   */
  async insert(index: number | bigint, value: unknown): Promise<void> {
    // Beyond ±(2^53 − 1) every index inserts at an end, as it does in Python.
    const at = typeof index === "bigint" ? clampedToSafe(index) : index;
    checkIndex(at);
    await this.#home.request(ListOp.Insert, [this.name, at, encodeValue(value)]);
  }

  /**
   * Remove the first item equal to `value` (as {@link indexOf} defines it); resolves to the
   * index it had. `NotFound` if there is none. Costs a search on every server, then a
   * {@link delete}.
   *
   * @example
   * ```ts
   * await li.remove("test");
   * ```
   */
  async remove(value: unknown): Promise<number> {
    return this.#index(await this.#home.request(ListOp.Remove, [this.name, encodeValue(value)]));
  }

  /**
   * Reverse the list in place: every item moves once, server to server, in bulk.
   *
   * @example
   * ```ts
   * await li.reverse();
   * ```
   */
  async reverse(): Promise<void> {
    await this.#home.request(ListOp.Reverse, [this.name]);
  }

  /**
   * Remove every item (the list stays open, empty); resolves to how many there were.
   *
   * @example
   * ```ts
   * await li.clear();
   * ```
   */
  async clear(): Promise<number> {
    return this.#index(await this.#home.request(ListOp.Clear, [this.name]));
  }

  /**
   * Sort the list in place, stably, done by the servers (a sample sort: each sorts its share,
   * the home finds where each block starts, and each item moves once to the server that owns
   * its place). Numbers and bigints compare by value together, strings by code point, Dates by
   * time, false before true; between types: null < booleans < numbers < Dates < strings. An
   * item with no order (an object, an array, bytes) is `BadArgument`, and the list is left
   * unchanged.
   *
   * @example
   * ```ts
   * await li.sort();
   * await li.sort({ reverse: true });
   * ```
   */
  async sort(options: { reverse?: boolean } = {}): Promise<void> {
    await this.#home.request(ListOp.Sort, [this.name, options.reverse === true]);
  }

  /**
   * Items `start` to `stop` (exclusive) every `step`, with Python's slice semantics:
   * negative bounds count from the end, bounds are clamped, a negative step goes backwards.
   *
   * @example
   * ```ts
   * await li.slice(0, 2); // the first two items
   * await li.slice(undefined, undefined, -1); // all, reversed
   * ```
   */
  async slice(start?: SliceBound, stop?: SliceBound, step?: SliceBound): Promise<unknown[]> {
    const indices = sliceIndices(await this.length(), start, stop, step);
    const reader = new RangeReader(this.name, this.layout, this.#links, indices);
    const out: unknown[] = [];
    try {
      for (let chunk; (chunk = await reader.nextChunk()) !== null;) {
        for (const value of chunk) out.push(value);
      }
    } finally {
      reader.close();
    }
    return out;
  }

  /**
   * Every item, in order.
   *
   * @example
   * ```ts
   * const all = await li.toArray();
   * ```
   */
  toArray(): Promise<unknown[]> {
    return this.slice();
  }

  /**
   * The index of the first item equal to `value` in `start…stop-1` (Python's
   * `list.index(v, start, stop)`: negative bounds count from the end), or -1. Equal means the
   * same msgpack encoding: same types and values, object keys in the same order. Each node
   * searches its own items; no item crosses the network.
   *
   * @example
   * ```ts
   * await li.indexOf("test");
   * await li.indexOf("test", 10, -1); // searched from index 10 to before the last item
   * ```
   */
  async indexOf(value: unknown, start?: SliceBound, stop?: SliceBound): Promise<number> {
    const encoded = encodeValue(value);
    const find = (from: number, to: number) =>
      Promise.all(
        this.#links.map((link) => link.request(ListOp.Find, [this.name, encoded, to, from])),
      );
    let length: number, from: number, to: number, found: unknown[];
    if (isOpenOrNonNegative(start) && isOpenOrNonNegative(stop)) {
      // Bounds that need no length: ask for it and search at once (one round trip).
      from = Number(start ?? 0);
      to = stop === undefined || stop === null
        ? Number.MAX_SAFE_INTEGER
        : Math.min(Number(stop), Number.MAX_SAFE_INTEGER);
      [length, found] = await Promise.all([this.length(), find(from, to)]);
    } else {
      [length, [from, to]] = await this.#searchRange(start, stop);
      found = await find(from, to);
    }
    const hits = found.map((i) => this.#index(i, -1)).filter((i) => i >= from && i < length);
    return hits.length === 0 ? -1 : Math.min(...hits);
  }

  /**
   * How many items equal `value` (as {@link indexOf} defines it), in `start…stop-1` if given.
   * Each node counts its own items; no item crosses the network.
   *
   * @example
   * ```ts
   * await li.count(0);
   * ```
   */
  async count(value: unknown, start?: SliceBound, stop?: SliceBound): Promise<number> {
    const encoded = encodeValue(value);
    const [, [from, to]] = await this.#searchRange(start, stop);
    const counts = await Promise.all(
      this.#links.map((link) => link.request(ListOp.Count, [this.name, encoded, from, to])),
    );
    return counts.reduce<number>((sum, n) => sum + this.#index(n), 0);
  }

  /**
   * The list's length, and `[start, stop)` as Python's `index` reads them: negative bounds
   * count from the end, then both are clamped to `0…length`. Never past the length, so a
   * search never sees an item whose append is not yet acknowledged.
   */
  async #searchRange(start?: SliceBound, stop?: SliceBound): Promise<[number, [number, number]]> {
    const length = await this.length();
    const bound = (value: SliceBound, open: number) => {
      if (value === undefined || value === null) return open;
      const { start: at } = sliceIndices(length, value, undefined, 1);
      return at;
    };
    return [length, [bound(start, 0), Math.min(length, bound(stop, length))]];
  }

  /**
   * Whether some item equals `value` (as {@link indexOf} defines it).
   *
   * @example
   * ```ts
   * await li.includes(0); // true
   * ```
   */
  async includes(value: unknown): Promise<boolean> {
    return (await this.indexOf(value)) >= 0;
  }

  /**
   * Each node's share of the list, in the original's format:
   * `Node(name=…, host=…, len=…)` per node under a `---- node info ----` header.
   *
   * @example
   * ```ts
   * console.log(await li.nodeDebug());
   * ```
   */
  async nodeDebug(): Promise<string> {
    const stats = await Promise.all(
      this.#links.map((link) => link.request(ListOp.Stats, [this.name])),
    );
    const lines = stats.map((s, k) => {
      const count = (s as { count?: unknown })?.count;
      return `Node(name=${this.name}, host=${this.layout.nodes[k]}, len=${this.#index(count)})`;
    });
    return ["---- node info ----", ...lines].join("\n");
  }

  /**
   * Iterate the items that were in the list when the loop started, in order, fetched in
   * batches. Each loop has its own cursor: breaking out of one never disturbs another.
   *
   * @example
   * ```ts
   * for await (const item of li) console.log(item);
   * ```
   */
  [Symbol.asyncIterator](): AsyncIterator<unknown> {
    return new ListIterator(
      () => this.length(),
      (count) => new RangeReader(this.name, this.layout, this.#links, { start: 0, step: 1, count }),
    );
  }

  /**
   * Delete the list and every item of it from every node, then close. Resolves to the number
   * of items removed. Not atomic across nodes: if a node is unavailable, the others are
   * still cleared and the call fails naming it; call it again once the node is back.
   *
   * @example
   * ```ts
   * await li.destroy();
   * ```
   */
  async destroy(): Promise<number> {
    try {
      const removed = await Promise.all(
        this.#links.map((link) => link.request(ListOp.Drop, [this.name])),
      );
      return removed.reduce<number>((sum, n) => sum + this.#index(n), 0);
    } finally {
      await this.close();
    }
  }

  /**
   * Close the connections to every node.
   *
   * @example
   * ```ts
   * await li.close();
   * ```
   */
  async close(): Promise<void> {
    for (const link of this.#links) link.close();
    await Promise.all(this.#links.map((link) => link.idle()));
  }

  /** `await using li = await List.open(…)` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Append an encoded batch at the home; resolves to the first index. */
  async #appendBatch(batch: ValueBatch): Promise<number> {
    return this.#index(
      await this.#home.request(ListOp.Append, [this.name, batchToWire(batch)]),
    );
  }

  get #home(): Connection {
    return this.#links[0];
  }

  /** Non-negative indexes go straight to their owner; negative ones to the home. */
  #linkFor(index: number): Connection {
    return this.#links[index < 0 ? 0 : ownerOf(this.layout, index)];
  }

  #frameLimit(): number {
    return Math.min(...this.#links.map((l) => l.welcome?.maxFrameBytes ?? Infinity));
  }

  #index(value: unknown, min = 0): number {
    if (!Number.isSafeInteger(value) || (value as number) < min) {
      throw new ProtocolError(`expected an index from the server, got ${typeof value}`);
    }
    return value as number;
  }

  #bytes(value: unknown): Uint8Array {
    if (!(value instanceof Uint8Array)) {
      throw new ProtocolError(`expected a stored value from the server, got ${typeof value}`);
    }
    return value;
  }
}

/** `index` clamped to ±(2^53 − 1). */
function clampedToSafe(index: bigint): number {
  const max = 2n ** 53n - 1n;
  return Number(index > max ? max : index < -max ? -max : index);
}

function checkIndex(index: number): void {
  if (!Number.isSafeInteger(index)) {
    throw new TypeError(`a list index must be an integer, got ${index}`);
  }
}
