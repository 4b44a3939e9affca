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
 * for it to end, so no client reads a new item here and then an old one elsewhere, and no write
 * lands in an item that is being moved (it would be lost) — for {@link STAGED_REWRITE_MS} at
 * most: a home that is down that long gets its reads going on (showing the items as before; if
 * the home had committed on some servers, a client can then see both) and, with a data
 * directory, its writes refused until it is back.
 *
 * A sort adds two steps before the move ({@link ShardRewrite.sortPrepare},
 * {@link ShardRewrite.probe}); see list_sort.ts.
 *
 * With a data directory, what is staged is written to the log as it is staged (`l.stage`) and
 * its end (`l.unstage`, committed or not), so a server killed between a move and the commit
 * comes back with the rewrite still staged and the home's commit (which it re-sends until it
 * is answered) succeeds.
 *
 * @example
 * ```ts
 * import { ShardRewrite } from "./list_rewrite.ts";
 * // const rewrite = new ShardRewrite(shard);
 * // const outgoing = rewrite.move(op, { kind: "reverse", length: 10 });
 * ```
 * @module
 */
import { BadArgument, DataLost, InternalError, Unavailable } from "../wire/errors.ts";
import { nextOwnedIndex, ownerOf } from "../wire/list_protocol.ts";
import { type ValueBatch, ValueBatchWriter } from "../wire/value_batch.ts";
import type { ListShard } from "./list_shard.ts";
import { describeUnorderable, readSortKey } from "./sort_key.ts";
import { KeyColumns, mergeRuns, scanBatches, sortedOrder } from "./sort_columns.ts";
import { type Pivot, type ProbeAnswer, type ProbeQuery, samplesIn } from "./probe_wire.ts";
import { INDEX_BYTES } from "./index_bytes.ts";
import { runsFrom, runsToWire } from "./rewrite_args.ts";

/**
 * Items that go to consecutive new indexes from `first`, all in one block. A sorted run
 * (`origins` set: each item's index before the sort) is one server's share of a block, in
 * order; the block's owner merges the shares when it commits.
 */
export interface Run {
  first: number;
  batch: ValueBatch;
  origins?: Float64Array;
}

/**
 * A run of this server's own items that stays here: `count` items from index `index` up (or
 * down, `backwards`), copied only when the rewrite commits.
 */
export interface OwnRun {
  first: number;
  own: { index: number; count: number; backwards: boolean };
}

/** A run staged here: sent by a server, or this server's own. */
export type StagedRun = Run | OwnRun;

function runLength(run: StagedRun): number {
  return "own" in run ? run.own.count : run.batch.lengths.length;
}

/** What {@link ShardRewrite.move} leaves to do. */
export interface Moved {
  /** Runs to send, by the server that owns their new place. */
  outgoing: Map<number, Run[]>;
  /** A delete's removed item, from the server that held it. */
  removed?: Uint8Array;
  /** The runs that stay here, staged when called: call it once the others are on their way. */
  later?: () => void;
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
  keys: KeyColumns;
  /** Local positions, in sort order. */
  order: Uint32Array;
  descending: boolean;
}

/** The most runs one `list.stage` request carries (each costs its receiver a little to decode). */
export const MAX_STAGE_RUNS = 2048;

/** What one `l.stage` record holds at most (packRuns cuts runs to fit). */
const STAGE_RECORD_LIMITS = { maxBytes: 16 * 1024 * 1024, maxItems: 1 << 20 };

/**
 * How long a staged rewrite holds single-item reads and writes here. After it, reads go on
 * (they see the items as before the rewrite) and writes fail `UNAVAILABLE`; a server without a
 * data directory drops the rewrite then (its home is gone, and with it the list).
 */
export const STAGED_REWRITE_MS = 60_000;

/**
 * How long a server with a data directory keeps a staged rewrite its home has not finished: the
 * home (with its own data directory) commits or aborts it when it is back, after a reboot, say.
 */
export const STAGED_DURABLE_MS = 60 * 60_000;

/** See the module docs. */
export class ShardRewrite {
  readonly #shard: ListShard;
  /** The rewrite staged here, if any. */
  #op: number | undefined;
  #runs: StagedRun[] = [];
  #sort: SortState | undefined;
  /** The staged rewrite is a descending sort (its blocks merge in that order). */
  #descending = false;
  /** The last rewrite committed here: a repeated commit of it succeeds again. */
  #committed: number | undefined;
  #waiters: (() => void)[] = [];
  /** The staged rewrite has held reads and writes long enough ({@link STAGED_REWRITE_MS}). */
  #stale = false;
  #staleTimer: ReturnType<typeof setTimeout> | undefined;
  #dropTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #timeouts: { staleMs: number; durableMs: number };

  /**
   * Told of every change to what is staged here, as a record {@link ShardRewrite.replay}
   * applies again (set by a server with a data directory).
   */
  journal: ((record: unknown[]) => void) | undefined;

  /** The rewrite state of `shard`; `timeouts` shorten the ones above (tests). */
  constructor(
    shard: ListShard,
    timeouts = { staleMs: STAGED_REWRITE_MS, durableMs: STAGED_DURABLE_MS },
  ) {
    this.#shard = shard;
    this.#timeouts = timeouts;
  }

  /**
   * Apply a record this rewrite's {@link journal} was given (read back from the log at start):
   * runs staged, or the end of a rewrite.
   */
  replay(record: unknown[]): void {
    const [kind, , op, a, b, c] = record as [string, string, number, unknown, unknown, unknown];
    if (kind === "l.unstage") {
      if (this.#op === op) this.#drop();
      if (a === true) this.#committed = op;
      return;
    }
    this.#begin(op);
    this.#descending = a === true;
    if (b === "own") {
      const [firsts, indexes, counts, backwards] = c as number[][];
      for (let k = 0; k < firsts.length; k++) {
        this.#runs.push({
          first: firsts[k],
          own: { index: indexes[k], count: counts[k], backwards: backwards[k] === 1 },
        });
      }
    } else {
      for (const run of runsFrom(c)) this.#runs.push(run);
    }
  }

  /** Records that stage again what is staged here now (for a compacted log). */
  snapshot(): unknown[][] {
    const records: unknown[][] = [];
    if (this.#committed !== undefined) {
      records.push(["l.unstage", this.#shard.name, this.#committed, true]);
    }
    if (this.#op !== undefined) records.push(...this.#stageRecords(this.#runs));
    return records;
  }

  /**
   * For a read: resolves when no rewrite is staged here (undefined if none is now, or if the
   * one staged has held reads long enough).
   */
  settled(): Promise<void> | undefined {
    if (this.#op === undefined || this.#stale) return undefined;
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /**
   * For a write: like {@link settled}, but a staged rewrite that has held writes long enough
   * refuses them (`UNAVAILABLE`): a write to an item being moved would be lost at the commit.
   */
  writable(): Promise<void> | undefined {
    if (this.#op !== undefined && this.#stale) {
      throw new Unavailable(
        `list '${this.#shard.name}' is in the middle of a change (rewrite ${this.#op}) that its ` +
          `home has not finished for ${this.#timeouts.staleMs / 1000} s; try again once the ` +
          `home is back`,
      );
    }
    return this.settled();
  }

  /**
   * Step 1 on this server: the items that `spec` moves, as runs grouped by the server that
   * owns their new place. Runs that stay here are staged at once, without a copy; the caller
   * sends the others. A delete returns the item it removes.
   */
  move(op: number, spec: MoveSpec): Moved {
    this.#begin(op);
    const staged = this.#runs.length;
    const outgoing = new Map<number, Run[]>();
    const add = (run: Run) => {
      const owner = ownerOf(this.#shard.layout, run.first);
      if (owner === this.#shard.self) return void this.#runs.push(run);
      const runs = outgoing.get(owner);
      if (runs) runs.push(run);
      else outgoing.set(owner, [run]);
    };
    let removed: Uint8Array | undefined;
    let later: (() => void) | undefined;
    if (spec.kind === "sort") {
      const sortLater = this.#sortRuns(spec.cuts, add);
      later = () => {
        const before = this.#runs.length;
        sortLater();
        this.#record(this.#runs.slice(before));
      };
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
    this.#record(this.#runs.slice(staged));
    return { outgoing, removed, later };
  }

  /** Keep `runs` (sent by a server's move, or this one's) until the commit. */
  stage(op: number, runs: Run[]): void {
    for (const run of runs) {
      if (!this.#shard.owns(run.first)) {
        throw new BadArgument(
          `index ${run.first} of list '${this.#shard.name}' is not this server's to stage`,
        );
      }
    }
    this.#begin(op);
    for (const run of runs) this.#runs.push(run);
    this.#record(runs);
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
          `restart without a data directory, or did the rewrite wait past its time?)`,
      );
    }
    const runs = this.#mergedRuns().sort((a, b) => a.first - b.first);
    this.#checkCovers(runs, from, newLength);
    this.#shard.rebuildFrom(from, runs.map((run) => "own" in run ? run.own : run));
    this.#committed = op;
    this.#end(true);
    return this.#shard.count;
  }

  /**
   * Step 2 instead: drop what `op` staged — or an older rewrite still staged here, which a home
   * that has gone on to `op` no longer means to commit (nothing if a newer one is staged).
   */
  abort(op: number): void {
    if (this.#op !== undefined && this.#op <= op) this.#end();
  }

  /**
   * The first step of a sort: read the sort key of every item held below `length`, refusing
   * the sort if one has no order, and sort them here. Returns how many there are.
   */
  sortPrepare(op: number, length: number, descending: boolean): number {
    this.#begin(op);
    const shard = this.#shard;
    const count = shard.positionsBelow(length);
    const keys = KeyColumns.read(count, (visit) => shard.scan(count, visit));
    if (typeof keys === "number") {
      this.#end();
      throw new BadArgument(
        `cannot sort list '${shard.name}': the item at index ${shard.indexAt(keys)} is ` +
          `${describeUnorderable(shard.itemAt(keys)!)} (only null, booleans, numbers, bigints, ` +
          `Dates and strings have an order)`,
      );
    }
    // Positions follow index order here, so the sort keeps equal items in index order.
    const order = sortedOrder(keys, descending);
    this.#sort = { keys, order, descending };
    this.#descending = descending;
    return count;
  }

  /**
   * Answer the home's search for the places where blocks start in sorted order. For each
   * query `[lo, hi, pivots]` (a range of this server's sorted items, and up to two items to
   * compare with, in sort order): for each pivot, how many items of `lo…hi-1` come before it,
   * and evenly spaced items of each part the pivots cut the range into, to offer as the next
   * pivots.
   */
  probe(op: number, queries: ProbeQuery[]): ProbeAnswer[] {
    const sort = this.#sortState(op);
    const count = sort.order.length;
    return queries.map(({ lo, hi, pivots }) => {
      if (!(lo <= hi && hi <= count)) {
        throw new BadArgument(`a probe range ${lo}…${hi} is outside 0…${count}`);
      }
      // The pivots come in sort order, so each count starts where the last one ended.
      const cuts = [lo];
      for (const pivot of pivots) {
        cuts.push(this.#countBefore(sort, cuts[cuts.length - 1], hi, pivot));
      }
      cuts.push(hi);
      const samples: Pivot[] = [];
      for (let j = 0; j + 1 < cuts.length; j++) this.#samples(sort, cuts[j], cuts[j + 1], samples);
      return { counts: cuts.slice(1, -1), samples };
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
      const before = sign * sort.keys.compareWith(p, key) || this.#shard.indexAt(p) - origin;
      if (before < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Add {@link samplesIn} items of `lo…hi-1`, evenly spaced, to `out`. */
  #samples(sort: SortState, lo: number, hi: number, out: Pivot[]): void {
    const count = samplesIn(hi - lo);
    for (let j = 0; j < count; j++) {
      const p = sort.order[lo + Math.floor(((j + 0.5) * (hi - lo)) / count)];
      out.push([this.#shard.itemAt(p)!, this.#shard.indexAt(p)]);
    }
  }

  #sortState(op: number): SortState {
    if (this.#op !== op || !this.#sort) {
      throw new BadArgument(`no sort ${op} is being prepared for list '${this.#shard.name}' here`);
    }
    return this.#sort;
  }

  /**
   * Sorted items `cuts[k]…cuts[k+1]-1` become a run for block `k`: the runs for other servers
   * now, those that stay here when the returned function is called.
   */
  #sortRuns(cuts: number[], add: (run: Run) => void): () => void {
    const sort = this.#sortState(this.#op!);
    const count = sort.order.length;
    if (cuts[0] !== 0 || cuts[cuts.length - 1] !== count) {
      throw new BadArgument(`sort cuts must run from 0 to ${count}`);
    }
    for (let k = 0; k + 1 < cuts.length; k++) {
      if (!(cuts[k] <= cuts[k + 1])) throw new BadArgument("sort cuts must not go down");
    }
    const size = this.#shard.layout.partitionSize;
    const runsFor = (own: boolean) => {
      for (let k = 0; k + 1 < cuts.length; k++) {
        const mine = ownerOf(this.#shard.layout, k * size) === this.#shard.self;
        if (cuts[k] === cuts[k + 1] || mine !== own) continue;
        const out = new ValueBatchWriter();
        const positions = sort.order.subarray(cuts[k], cuts[k + 1]);
        this.#shard.gather(out, positions);
        const origins = new Float64Array(positions.length);
        positions.forEach((p, t) => origins[t] = this.#shard.indexAt(p));
        add({ first: k * size, batch: out.take(), origins });
      }
    };
    runsFor(false);
    return () => runsFor(true);
  }

  /**
   * Runs for the items held at old indexes `lo…length-1`, each going to `newIndex(j)` (a shift
   * by one or a reversal): each of this server's blocks in that range is cut where its new
   * indexes cross a block boundary.
   */
  #mapped(lo: number, length: number, newIndex: (j: number) => number, add: (run: Run) => void) {
    const shard = this.#shard;
    shard.checkHoldsBelow(length);
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
        const own = { index: forwards ? j : j + count - 1, count, backwards: !forwards };
        if (shard.owns(first)) this.#runs.push({ first, own });
        else {
          const out = new ValueBatchWriter();
          shard.copyRun(out, own.index, count, own.backwards);
          add({ first, batch: out.take() });
        }
        j += count;
      }
      j = nextOwnedIndex(shard.layout, shard.self, j);
    }
  }

  /** Merge each block's sorted shares into one run, in sort order (ties: the old index). */
  #mergedRuns(): StagedRun[] {
    const sorted = this.#runs.filter((run): run is Run => "origins" in run && !!run.origins);
    if (sorted.length === 0) return this.#runs;
    const descending = this.#descending;
    const byBlock = new Map<number, Run[]>();
    for (const run of sorted) {
      const runs = byBlock.get(run.first);
      if (runs) runs.push(run);
      else byBlock.set(run.first, [run]);
    }
    const merged = this.#runs.filter((run) => !("origins" in run && run.origins));
    for (const [first, runs] of byBlock) {
      // Item i of the block: run runOf[i], bytes at[i]…at[i]+size[i] of that run's batch.
      const total = runs.reduce((sum, run) => sum + run.batch.lengths.length, 0);
      const runOf = new Uint16Array(total),
        at = new Uint32Array(total),
        size = new Uint32Array(total);
      const origins = new Float64Array(total);
      const starts = [0];
      let i = 0;
      runs.forEach((run, r) => {
        const { lengths } = run.batch;
        for (let k = 0, offset = 0; k < lengths.length; offset += lengths[k++], i++) {
          runOf[i] = r;
          at[i] = offset;
          size[i] = lengths[k];
          origins[i] = run.origins![k];
        }
        starts.push(i);
      });
      const keys = KeyColumns.read(total, scanBatches(runs.map((run) => run.batch)));
      if (typeof keys === "number") {
        throw new BadArgument("a sorted run holds an item with no order");
      }
      const out = new ValueBatchWriter();
      for (const j of mergeRuns(keys, starts, origins, descending)) {
        out.addEncoded(runs[runOf[j]].batch.bytes, at[j], at[j] + size[j]);
      }
      merged.push({ first, batch: out.take() });
    }
    return merged;
  }

  /** Runs in index order must fill this server's indexes in `from…newLength-1` exactly. */
  #checkCovers(runs: StagedRun[], from: number, newLength: number): void {
    const { layout, self, name } = this.#shard;
    const size = layout.partitionSize;
    let expected = nextOwnedIndex(layout, self, from);
    for (const run of runs) {
      const blockEnd = (Math.floor(run.first / size) + 1) * size;
      const end = run.first + runLength(run);
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
    this.#staleTimer = setTimeout(() => {
      if (!this.journal) return this.#end();
      this.#stale = true;
      for (const wake of this.#waiters.splice(0)) wake();
    }, this.#timeouts.staleMs);
    Deno.unrefTimer(this.#staleTimer);
    if (this.journal) {
      this.#dropTimer = setTimeout(() => this.#end(), this.#timeouts.durableMs);
      Deno.unrefTimer(this.#dropTimer);
    }
  }

  /** The list is gone from this server: stop its timers (nothing is written down). */
  close(): void {
    this.#drop();
  }

  /** The staged rewrite is over: committed, or dropped (aborted, replaced, timed out). */
  #end(committed = false): void {
    if (this.#op !== undefined) {
      this.journal?.(["l.unstage", this.#shard.name, this.#op, committed]);
    }
    this.#drop();
  }

  #drop(): void {
    clearTimeout(this.#staleTimer);
    clearTimeout(this.#dropTimer);
    this.#stale = false;
    this.#op = undefined;
    this.#runs = [];
    this.#sort = undefined;
    this.#descending = false;
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Write `runs`, just staged, to the journal. */
  #record(runs: StagedRun[]): void {
    if (this.journal && runs.length > 0) {
      for (const record of this.#stageRecords(runs)) this.journal(record);
    }
  }

  /**
   * `l.stage` records for `runs`: `[kind, name, op, descending, "own", [firsts, indexes,
   * counts, backwards]]` for runs of this server's own items (where they are now: the commit
   * copies them), `[…, "runs", wire]` for items sent here, as a `list.stage` request carries
   * them (at most {@link MAX_STAGE_RUNS} runs and about 16 MiB a record: a record is read back
   * whole, and a run bigger than that is cut, as {@link packRuns} cuts one for a request).
   */
  #stageRecords(runs: StagedRun[]): unknown[][] {
    const head = ["l.stage", this.#shard.name, this.#op, this.#descending];
    const own = runs.filter((run): run is OwnRun => "own" in run);
    const sent = runs.filter((run): run is Run => !("own" in run));
    const records: unknown[][] = [];
    if (own.length > 0) {
      records.push([...head, "own", [
        own.map((run) => run.first),
        own.map((run) => run.own.index),
        own.map((run) => run.own.count),
        own.map((run) => run.own.backwards ? 1 : 0),
      ]]);
    }
    for (const kind of [false, true]) {
      const group = sent.filter((run) => (run.origins !== undefined) === kind);
      for (const request of packRuns(group, STAGE_RECORD_LIMITS)) {
        records.push([...head, "runs", runsToWire(request)]);
      }
    }
    return records;
  }
}

/**
 * Pack runs into `list.stage` requests of at most `limits` (bytes — a sorted run's origins
 * included — and values), cutting a run that is too big on its own.
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
  const weight = (run: Run) => run.batch.bytes.length + (run.origins?.byteLength ?? 0);
  for (const run of runs.flatMap((run) => cutRun(run, limits))) {
    if (
      request.length > 0 &&
      (bytes + weight(run) > limits.maxBytes ||
        items + run.batch.lengths.length > limits.maxItems || request.length === MAX_STAGE_RUNS)
    ) {
      requests.push(request);
      request = [];
      bytes = 0;
      items = 0;
    }
    request.push(run);
    bytes += weight(run);
    items += run.batch.lengths.length;
  }
  if (request.length > 0) requests.push(request);
  return requests;
}

/** A run cut into pieces that each fit `limits` (a piece holds at least one item). */
function cutRun(run: Run, limits: { maxBytes: number; maxItems: number }): Run[] {
  // A sorted run's origins take 8 bytes per item on the wire.
  const extra = run.origins ? INDEX_BYTES : 0;
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
        (size + lengths[end] + (end - start + 1) * extra <= limits.maxBytes &&
          end - start + 1 <= limits.maxItems))
    ) size += lengths[end++];
    pieces.push({
      // A sorted run's `first` names its block (its owner merges it), not its first index.
      first: run.origins ? run.first : run.first + start,
      batch: { bytes: bytes.subarray(offset, offset + size), lengths: lengths.slice(start, end) },
      origins: run.origins?.subarray(start, end),
    });
    start = end;
    offset += size;
  }
  return pieces;
}
