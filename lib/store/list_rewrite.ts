/**
 * One server's part in a *rewrite* of a list: an insert or delete in the middle, a reverse or
 * a sort — anything that gives items new indexes. The home drives it (list_edit.ts) in three
 * steps, and nothing a client can see changes before the last:
 *
 * 1. **move** — each server copies the items it holds that change place into *runs* (items
 *    with consecutive new indexes, all in one block) and stages each run on the server that
 *    owns its new place (`list.stage`: on itself, or on another server). Items move once,
 *    server to server, in bulk; none crosses to a client.
 * 2. **commit** — once every server has staged all it sends, each replaces its items from the
 *    rewrite's first index on with what it was sent, checking that it got exactly the
 *    indexes it owns. A commit is answered again if repeated, so the home can re-send one
 *    whose answer was lost.
 * 3. or **abort** — if any move failed, every server drops what was staged.
 *
 * While a rewrite is staged here, single-item reads and writes (`list.get`, `list.set`) wait
 * for it to end, so no client ever reads a new item here and then an old one elsewhere, and no
 * write lands in an item that is being moved (it would be lost).
 *
 * A sort adds two steps before the move ({@link ShardRewrite.sortPrepare},
 * {@link ShardRewrite.probe}); see list_sort.ts.
 *
 * @example
 * ```ts
 * import { ShardRewrite } from "./list_rewrite.ts";
 * // const rewrite = new ShardRewrite(shard);
 * // const outgoing = rewrite.move(op, { kind: "reverse", length: 10 });
 * ```
 * @module
 */
import { BadArgument, DataLost, InternalError } from "../wire/errors.ts";
import { nextOwnedIndex, ownerOf } from "../wire/list_protocol.ts";
import { type ValueBatch, ValueBatchWriter } from "../wire/value_batch.ts";
import type { ListShard } from "./list_shard.ts";
import { compareKeys, describeUnorderable, readSortKey, type SortKey } from "./sort_key.ts";

/**
 * Items that go to consecutive new indexes from `first`, all in one block. A sorted run
 * (`origins` set: each item's index before the sort) is one server's share of a block, in
 * order; the block's owner merges the shares when it commits.
 */
export interface Run {
  first: number;
  batch: ValueBatch;
  origins?: number[];
}

/** What a move does with a server's items (docs/PROTOCOL.md, `list.move`). */
export type MoveSpec =
  /** Items from `at` on shift by `delta`: +1 opens index `at` for `value`, -1 deletes `at`. */
  | { kind: "shift"; at: number; delta: 1 | -1; length: number; value?: Uint8Array }
  /** Item `j` goes to `length - 1 - j`. */
  | { kind: "reverse"; length: number }
  /** Locally sorted items `cuts[k]…cuts[k+1]-1` go to block `k` (after sortPrepare). */
  | { kind: "sort"; cuts: number[] };

/** A server's sorted view of its items, kept from sortPrepare to commit. */
interface SortState {
  keys: SortKey[];
  /** Local positions, in sort order. */
  order: Uint32Array;
  descending: boolean;
}

/** A pivot a sort probe compares with: an encoded item and the index it had. */
export type Pivot = [Uint8Array, number];
/** One item a probe offers as a pivot: encoded, its index, and how many items it stands for. */
export type ProbeSample = [Uint8Array, number, number];

/** How long a staged rewrite may wait for its commit before it is dropped (its home is gone). */
export const STAGED_REWRITE_MS = 60_000;

/** See the module docs. */
export class ShardRewrite {
  readonly #shard: ListShard;
  /** The rewrite staged here, if any. */
  #op: number | undefined;
  #runs: Run[] = [];
  #sort: SortState | undefined;
  /** The last rewrite committed here: a repeated commit of it succeeds again. */
  #committed: number | undefined;
  #waiters: (() => void)[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** The rewrite state of `shard`. */
  constructor(shard: ListShard) {
    this.#shard = shard;
  }

  /** Resolves when no rewrite is staged here (undefined if none is now). */
  settled(): Promise<void> | undefined {
    if (this.#op === undefined) return undefined;
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /**
   * Step 1 on this server: copy the items that `spec` moves into runs, grouped by the server
   * that owns their new place. The caller stages the runs for this server here and sends the
   * others. A delete returns the item it removes.
   */
  move(op: number, spec: MoveSpec): { outgoing: Map<number, Run[]>; removed?: Uint8Array } {
    this.#begin(op);
    const outgoing = new Map<number, Run[]>();
    const add = (run: Run) => {
      const owner = ownerOf(this.#shard.layout, run.first);
      const runs = outgoing.get(owner);
      if (runs) runs.push(run);
      else outgoing.set(owner, [run]);
    };
    let removed: Uint8Array | undefined;
    if (spec.kind === "sort") {
      this.#sortRuns(spec.cuts, add);
    } else if (spec.kind === "shift") {
      const { at, delta, length } = spec;
      if (delta === -1 && this.#shard.owns(at)) removed = this.#shard.get(at)?.slice();
      if (delta === 1 && spec.value && this.#shard.owns(at)) {
        add({ first: at, batch: { bytes: spec.value.slice(), lengths: [spec.value.length] } });
      }
      this.#mapped(delta === 1 ? at : at + 1, length, (j) => j + delta, add);
    } else {
      this.#mapped(0, spec.length, (j) => spec.length - 1 - j, add);
    }
    return { outgoing, removed };
  }

  /** Keep `runs` (sent by a server's move, or this one's) until the commit. */
  stage(op: number, runs: Run[]): void {
    this.#begin(op);
    for (const run of runs) {
      if (!this.#shard.owns(run.first)) {
        throw new BadArgument(
          `index ${run.first} of list '${this.#shard.name}' is not this server's to stage`,
        );
      }
      this.#runs.push(run);
    }
  }

  /**
   * Step 2: replace the items held from index `from` on with the staged runs, which must
   * cover exactly the indexes this server owns in `from…newLength-1`. Returns the items now
   * held. Repeating the commit of the last rewrite is answered again.
   */
  commit(op: number, from: number, newLength: number): number {
    if (this.#committed === op && this.#op !== op) return this.#shard.count;
    if (this.#op !== op) {
      throw new DataLost(
        `no rewrite ${op} is staged for list '${this.#shard.name}' here (did this server ` +
          `restart, or did the rewrite wait past ${STAGED_REWRITE_MS / 1000} s?)`,
      );
    }
    const runs = this.#mergedRuns().sort((a, b) => a.first - b.first);
    this.#checkCovers(runs, from, newLength);
    this.#shard.replaceFrom(from, runs.map((run) => run.batch));
    this.#committed = op;
    this.#end();
    return this.#shard.count;
  }

  /** Step 2 instead: drop what `op` staged (nothing if another rewrite is staged). */
  abort(op: number): void {
    if (this.#op === op) this.#end();
  }

  /**
   * The first step of a sort: read the sort key of every item held below `length`, refusing
   * the sort if one has no order, and sort them here. Returns how many there are.
   */
  sortPrepare(op: number, length: number, descending: boolean): number {
    this.#begin(op);
    const shard = this.#shard;
    const count = shard.positionsBelow(length);
    const keys: SortKey[] = new Array(count);
    for (let p = 0; p < count; p++) {
      const bytes = shard.itemAt(p)!;
      const key = readSortKey(bytes);
      if (!key) {
        this.#end();
        throw new BadArgument(
          `cannot sort list '${shard.name}': the item at index ${shard.indexAt(p)} is ` +
            `${describeUnorderable(bytes)} (only null, booleans, numbers, bigints, Dates and ` +
            `strings have an order)`,
        );
      }
      keys[p] = key;
    }
    const sign = descending ? -1 : 1;
    // Positions follow index order here, so the position breaks ties: the sort is stable.
    const order = new Uint32Array(count);
    for (let p = 0; p < count; p++) order[p] = p;
    order.sort((a, b) => sign * compareKeys(keys[a], keys[b]) || a - b);
    this.#sort = { keys, order, descending };
    return count;
  }

  /**
   * Answer the home's search for the places where blocks start in sorted order. For each
   * query `[lo, hi, pivot]` (a range of this server's sorted items, and an item to compare
   * with, or null): how many items of `lo…hi-1` come before the pivot (`c`), and a middle
   * item of `lo…c-1` and of `c…hi-1` to offer as the next pivot.
   */
  probe(op: number, queries: [number, number, Pivot | null][]): unknown[] {
    const sort = this.#sortState(op);
    const count = sort.order.length;
    return queries.map(([lo, hi, pivot]) => {
      if (!(0 <= lo && lo <= hi && hi <= count)) {
        throw new BadArgument(`a probe range ${lo}…${hi} is outside 0…${count}`);
      }
      const c = pivot ? this.#countBefore(sort, lo, hi, pivot) : lo;
      return [c, this.#middle(sort, lo, c), this.#middle(sort, c, hi)];
    });
  }

  /** Where local sorted position `t` comes relative to the pivot. */
  #countBefore(sort: SortState, lo: number, hi: number, [bytes, origin]: Pivot): number {
    const key = readSortKey(bytes);
    if (!key) throw new BadArgument("a sort pivot must be an orderable value");
    const sign = sort.descending ? -1 : 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const p = sort.order[mid];
      const before = sign * compareKeys(sort.keys[p], key) || this.#shard.indexAt(p) - origin;
      if (before < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #middle(sort: SortState, lo: number, hi: number): ProbeSample | null {
    if (hi <= lo) return null;
    const p = sort.order[(lo + hi) >>> 1];
    return [this.#shard.itemAt(p)!.slice(), this.#shard.indexAt(p), hi - lo];
  }

  #sortState(op: number): SortState {
    if (this.#op !== op || !this.#sort) {
      throw new BadArgument(`no sort ${op} is being prepared for list '${this.#shard.name}' here`);
    }
    return this.#sort;
  }

  /** Sorted items `cuts[k]…cuts[k+1]-1` become a run for block `k`. */
  #sortRuns(cuts: number[], add: (run: Run) => void): void {
    const sort = this.#sortState(this.#op!);
    const count = sort.order.length;
    if (cuts[0] !== 0 || cuts[cuts.length - 1] !== count) {
      throw new BadArgument(`sort cuts must run from 0 to ${count}`);
    }
    const size = this.#shard.layout.partitionSize;
    for (let k = 0; k + 1 < cuts.length; k++) {
      if (!(cuts[k] <= cuts[k + 1])) throw new BadArgument("sort cuts must not go down");
      if (cuts[k] === cuts[k + 1]) continue;
      const out = new ValueBatchWriter();
      const origins: number[] = [];
      for (let t = cuts[k]; t < cuts[k + 1]; t++) {
        const p = sort.order[t];
        out.addEncoded(this.#shard.itemAt(p)!);
        origins.push(this.#shard.indexAt(p));
      }
      add({ first: k * size, batch: out.take(), origins });
    }
  }

  /**
   * Runs for the items held at old indexes `lo…length-1`, each going to `newIndex(j)` (a shift
   * by one or a reversal): each of this server's blocks in that range is cut where its new
   * indexes cross a block boundary.
   */
  #mapped(lo: number, length: number, newIndex: (j: number) => number, add: (run: Run) => void) {
    const shard = this.#shard;
    const size = shard.layout.partitionSize;
    for (let j = nextOwnedIndex(shard.layout, shard.self, lo); j < length;) {
      const blockEnd = Math.min(length, (Math.floor(j / size) + 1) * size);
      while (j < blockEnd) {
        // The longest stretch from j whose new indexes stay in one block.
        const target = newIndex(j);
        const forwards = newIndex(j + 1) > target || blockEnd - j === 1;
        const room = forwards ? size - (target % size) : (target % size) + 1;
        const count = Math.min(room, blockEnd - j);
        const first = forwards ? target : target - count + 1;
        const out = new ValueBatchWriter();
        shard.copyRun(out, forwards ? j : j + count - 1, count, !forwards);
        add({ first, batch: out.take() });
        j += count;
      }
      j = nextOwnedIndex(shard.layout, shard.self, j);
    }
  }

  /** Merge each block's sorted shares into one run, in sort order (ties: the old index). */
  #mergedRuns(): Run[] {
    const sorted = this.#runs.filter((run) => run.origins);
    if (sorted.length === 0) return this.#runs;
    const sign = this.#sort?.descending ? -1 : 1;
    const byBlock = new Map<number, Run[]>();
    for (const run of sorted) {
      const runs = byBlock.get(run.first);
      if (runs) runs.push(run);
      else byBlock.set(run.first, [run]);
    }
    const merged = this.#runs.filter((run) => !run.origins);
    for (const [first, runs] of byBlock) {
      const items: { key: SortKey; origin: number; bytes: Uint8Array }[] = [];
      for (const run of runs) {
        let offset = 0;
        run.batch.lengths.forEach((length, k) => {
          const bytes = run.batch.bytes.subarray(offset, offset += length);
          const key = readSortKey(bytes);
          if (!key) throw new BadArgument("a sorted run holds an item that has no order");
          items.push({ key, origin: run.origins![k], bytes });
        });
      }
      items.sort((a, b) => sign * compareKeys(a.key, b.key) || a.origin - b.origin);
      const out = new ValueBatchWriter();
      for (const item of items) out.addEncoded(item.bytes);
      merged.push({ first, batch: out.take() });
    }
    return merged;
  }

  /** Runs in index order must fill this server's indexes in `from…newLength-1` exactly. */
  #checkCovers(runs: Run[], from: number, newLength: number): void {
    const { layout, self, name } = this.#shard;
    const size = layout.partitionSize;
    let expected = nextOwnedIndex(layout, self, from);
    for (const run of runs) {
      const blockEnd = (Math.floor(run.first / size) + 1) * size;
      const end = run.first + run.batch.lengths.length;
      if (run.first !== expected || end > blockEnd || end > newLength) {
        throw new InternalError(
          `rewrite of list '${name}' staged index ${run.first} here where ${expected} was due`,
        );
      }
      expected = end === blockEnd ? nextOwnedIndex(layout, self, end) : end;
    }
    if (expected < newLength) {
      throw new InternalError(`rewrite of list '${name}' did not stage index ${expected} here`);
    }
  }

  /** Start staging `op` here, dropping any other rewrite's leftovers. */
  #begin(op: number): void {
    if (this.#op === op) return;
    if (this.#op !== undefined) this.#end();
    this.#op = op;
    // A home that vanished mid-rewrite must not hold this list's reads and writes forever.
    const timer = setTimeout(() => this.#end(), STAGED_REWRITE_MS);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  #end(): void {
    clearTimeout(this.#timer);
    this.#op = undefined;
    this.#runs = [];
    this.#sort = undefined;
    for (const wake of this.#waiters.splice(0)) wake();
  }
}

/**
 * Pack runs into `list.stage` requests of at most `limits` (value bytes, and values — a
 * sorted run's origins count as values too), cutting a run that is too big on its own.
 *
 * @example
 * ```ts
 * import { packRuns } from "./list_rewrite.ts";
 * const run = { first: 0, batch: { bytes: new Uint8Array([1, 2]), lengths: [1, 1] } };
 * packRuns([run], { maxBytes: 1, maxItems: 10 }).length; // 2
 * ```
 */
export function packRuns(runs: Run[], limits: { maxBytes: number; maxItems: number }): Run[][] {
  const requests: Run[][] = [];
  let request: Run[] = [];
  let bytes = 0;
  let items = 0;
  const cost = (run: Run) => run.batch.lengths.length * (run.origins ? 2 : 1);
  for (const run of runs.flatMap((run) => cutRun(run, limits))) {
    if (
      request.length > 0 && (bytes + run.batch.bytes.length > limits.maxBytes ||
        items + cost(run) > limits.maxItems)
    ) {
      requests.push(request);
      request = [];
      bytes = 0;
      items = 0;
    }
    request.push(run);
    bytes += run.batch.bytes.length;
    items += cost(run);
  }
  if (request.length > 0) requests.push(request);
  return requests;
}

/** A run cut into pieces that each fit `limits` (a piece holds at least one item). */
function cutRun(run: Run, limits: { maxBytes: number; maxItems: number }): Run[] {
  const perItem = run.origins ? 2 : 1;
  const pieces: Run[] = [];
  const { bytes, lengths } = run.batch;
  let start = 0;
  let offset = 0;
  while (start < lengths.length) {
    let end = start;
    let size = 0;
    while (
      end < lengths.length &&
      (end === start ||
        (size + lengths[end] <= limits.maxBytes && (end - start + 1) * perItem <= limits.maxItems))
    ) size += lengths[end++];
    pieces.push({
      // A sorted run's `first` names its block (its owner merges it), not its first index.
      first: run.origins ? run.first : run.first + start,
      batch: { bytes: bytes.subarray(offset, offset + size), lengths: lengths.slice(start, end) },
      origins: run.origins?.slice(start, end),
    });
    start = end;
    offset += size;
  }
  return pieces;
}
