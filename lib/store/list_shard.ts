/**
 * One server's share of one list: the items of the blocks this node owns, kept back to back
 * in one array (a node's blocks, in index order, are contiguous in local storage), so reads,
 * ranges and searches are array walks.
 *
 * Values are opaque bytes; the shard copies what it stores (one buffer per batch), so it never
 * holds on to a network buffer.
 *
 * @example
 * ```ts
 * import { ListShard } from "./list_shard.ts";
 * const shard = new ListShard("a", { nodes: ["h:1", "h:2"], partitionSize: 2 }, 0);
 * shard.storeRuns([[0, [new Uint8Array([1]), new Uint8Array([2])]]]);
 * shard.count; // 2 (indexes 2 and 3 would live on h:2)
 * ```
 * @module
 */
import { BadArgument, DataLost } from "../wire/errors.ts";
import {
  type ListLayout,
  localOffset,
  nextOwnedIndex,
  ownerOf,
  previousOwnedIndex,
} from "../wire/list_protocol.ts";

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
  #items: (Uint8Array | undefined)[] = [];
  #count = 0;

  /** An empty share of list `name` for node `self` of `layout`. */
  constructor(name: string, layout: ListLayout, self: number) {
    this.name = name;
    this.layout = layout;
    this.self = self;
  }

  /** Items held here. */
  get count(): number {
    return this.#count;
  }

  /** Whether this node owns index `i` (i ≥ 0). */
  owns(i: number): boolean {
    return ownerOf(this.layout, i) === this.self;
  }

  /** The item at `i`, if held here. */
  get(i: number): Uint8Array | undefined {
    return this.#items[localOffset(this.layout, i)];
  }

  /**
   * Store runs of consecutive items, `[firstIndex, values]` each, all or nothing. Every index
   * must be this node's (`BadArgument`) and follow on from what is held (`DataLost` if items
   * before it are missing: a server that restarted empty never fills a hole silently). An
   * index already held is overwritten (a retry after a failed batch). The bytes are copied
   * into one buffer per call, not one per item.
   */
  storeRuns(runs: [number, Uint8Array[]][]): void {
    const items = this.#items;
    let end = items.length;
    let bytes = 0;
    for (const [first, values] of runs) {
      for (let k = 0; k < values.length; k++) {
        const i = first + k;
        if (!this.owns(i)) {
          const owner = this.layout.nodes[ownerOf(this.layout, i)];
          throw new BadArgument(`index ${i} of list '${this.name}' belongs to ${owner}`);
        }
        const offset = localOffset(this.layout, i);
        if (offset > end) {
          throw new DataLost(
            `list '${this.name}' on ${this.layout.nodes[this.self]} is missing items before ` +
              `index ${i} (did this server restart? it keeps lists in memory only)`,
          );
        }
        if (offset === end) end++;
        bytes += values[k].length;
      }
    }
    const copy = new Uint8Array(bytes);
    let at = 0;
    for (const [first, values] of runs) {
      for (let k = 0; k < values.length; k++) {
        const value = values[k];
        copy.set(value, at);
        const offset = localOffset(this.layout, first + k);
        if (items[offset] === undefined) this.#count++;
        items[offset] = copy.subarray(at, at += value.length);
      }
    }
  }

  /** Replace the item at `i`; false if there is none. */
  replace(i: number, value: Uint8Array): boolean {
    const offset = localOffset(this.layout, i);
    if (this.#items[offset] === undefined) return false;
    this.#items[offset] = value.slice();
    return true;
  }

  /** Remove and return the item at `i` if it is the last one held here; else `undefined`. */
  removeLast(i: number): Uint8Array | undefined {
    const offset = localOffset(this.layout, i);
    if (offset !== this.#items.length - 1) return undefined;
    const value = this.#items[offset];
    this.#items.length = offset;
    if (value !== undefined) this.#count--;
    this.#trimEnd();
    return value;
  }

  /** Remove every item at index `from` or beyond; returns how many were removed. */
  truncate(from: number): number {
    const first = nextOwnedIndex(this.layout, this.self, Math.max(0, from));
    const offset = localOffset(this.layout, first);
    let removed = 0;
    for (let o = offset; o < this.#items.length; o++) {
      if (this.#items[o] !== undefined) removed++;
    }
    if (offset < this.#items.length) this.#items.length = offset;
    this.#count -= removed;
    this.#trimEnd();
    return removed;
  }

  /**
   * The items this node holds along `start, start+step, …` (before `stop`), in that order,
   * in chunks within `limits`. Stops at the first index it should hold but does not: a reader
   * never gets an item from beyond a hole.
   */
  *chunks(start: number, stop: number, step: number, limits: ChunkLimits): Generator<Uint8Array[]> {
    let chunk: Uint8Array[] = [];
    let bytes = 0;
    for (let i = this.#firstOwned(start, stop, step); inRange(i, stop, step);) {
      const value = this.#items[localOffset(this.layout, i)];
      if (value === undefined) break;
      // A chunk stays within maxBytes unless it is a single large item.
      if (
        chunk.length >= limits.maxItems ||
        (chunk.length > 0 && bytes + value.length > limits.maxBytes)
      ) {
        yield chunk;
        chunk = [];
        bytes = 0;
      }
      chunk.push(value);
      bytes += value.length;
      i = this.#firstOwned(i + step, stop, step);
    }
    if (chunk.length > 0) yield chunk;
  }

  /** The smallest index below `stop` held here whose bytes equal `value`, or -1. */
  find(value: Uint8Array, stop: number): number {
    const { partitionSize: size, nodes } = this.layout;
    const items = this.#items;
    for (let offset = 0; offset < items.length; offset++) {
      const item = items[offset];
      if (item === undefined || !equalBytes(item, value)) continue;
      const index = (Math.floor(offset / size) * nodes.length + this.self) * size + offset % size;
      return index < stop ? index : -1;
    }
    return -1;
  }

  /** The first index at or after `i` along the sequence that this node owns. */
  #firstOwned(i: number, stop: number, step: number): number {
    while (inRange(i, stop, step) && !this.owns(i)) {
      if (step === 1) return nextOwnedIndex(this.layout, this.self, i);
      if (step === -1) return previousOwnedIndex(this.layout, this.self, i);
      i += step;
    }
    return i;
  }

  #trimEnd(): void {
    const items = this.#items;
    let end = items.length;
    while (end > 0 && items[end - 1] === undefined) end--;
    items.length = end;
  }
}

function inRange(i: number, stop: number, step: number): boolean {
  return step > 0 ? i < stop : i > stop && i >= 0;
}

/**
 * Whether two byte strings are equal.
 *
 * @example
 * ```ts
 * import { equalBytes } from "./list_shard.ts";
 * equalBytes(new Uint8Array([1, 2]), new Uint8Array([1, 2])); // true
 * ```
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
