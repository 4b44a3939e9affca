/**
 * The operations that change a list anywhere but its tail — insert and delete at any index,
 * remove, reverse, clear and sort — as its home runs them: each one inside the list's
 * {@link Sequencer} (appends and pops wait, then go on as one batch), each one a *rewrite*
 * that the servers carry out among themselves (list_rewrite.ts): move, then commit.
 *
 * A move that fails changes nothing (every server drops what it staged). A commit that fails
 * part way, so that some servers may have committed and others not, leaves the list *in
 * doubt*: the commit is sent again (it is idempotent) before any other operation runs.
 *
 * With a data directory the home writes such a step down (`l.pending`) before it takes it, and
 * its end with the new length after, so a home killed part way through comes back with the
 * step still to finish ({@link ListEditor.replay}).
 *
 * @example
 * ```ts
 * import { ListEditor } from "./list_edit.ts";
 * // const editor = new ListEditor(shard, sequencer, placement, call);
 * // await editor.insert(5, encodedValue);
 * ```
 * @module
 */
import { IndexError, NotFound, Unavailable, Unreachable } from "../wire/errors.ts";
import { ListOp, ownerOf } from "../wire/list_protocol.ts";
import type { ListShard } from "./list_shard.ts";
import type { Placement, Rewritten, Sequencer } from "./sequencer.ts";
import { sortCuts } from "./sort_cuts.ts";
import { decodeProbeAnswer, encodeProbe } from "./probe_wire.ts";

/** Call a list operation on node `node` of the list (this server's own share included). */
export type NodeCall = (node: number, op: string, args: unknown[]) => Promise<unknown>;

/**
 * A step that finishes a change some servers may have made and others not yet — safe to
 * repeat: commit a staged rewrite everywhere, or empty the list everywhere.
 */
export type FinishingStep =
  | { kind: "commit"; op: number; from: number; newLength: number }
  | { kind: "truncate" }
  /** Only ever written down (as an intent): drop what rewrite `op` staged. */
  | { kind: "abort"; op: number };

/** A step that can leave a list in doubt: it changes the servers one by one. */
type InDoubtStep = Exclude<FinishingStep, { kind: "abort" }>;

/** How long a home waits between tries at finishing a step in doubt on its own. */
export const RETRY_PENDING_MS = 1_000;

/** Where a home with a data directory writes down a step before it takes it. */
export interface EditLog {
  /** Add a record to the log. */
  record(record: unknown[]): void;
  /** Resolves once every record added so far is durable. */
  durable(): Promise<void>;
}

/** See the module docs. */
export class ListEditor {
  readonly #shard: ListShard;
  readonly #sequencer: Sequencer;
  readonly #placement: Placement;
  readonly #call: NodeCall;
  #nextOp: number;
  readonly #log: EditLog | undefined;
  /** A step that must be finished before anything else runs (a commit in doubt). */
  #pending: InDoubtStep | undefined;
  /** The step being taken now, written down but not yet done (a compaction keeps it). */
  #taking: FinishingStep | undefined;
  /** The next try at finishing {@link #pending} without waiting for an operation. */
  #retry: ReturnType<typeof setTimeout> | undefined;
  /**
   * A rewrite that failed (or whose home restarted) before its commit was written down, and
   * that some server may still hold staged: aborts go on being sent, in the background, until
   * every server has answered one — or a newer rewrite reaches them all.
   */
  #unaborted: number | undefined;
  #abortRetry: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  /**
   * The editor of `shard`'s list, whose home is this server; `log` is where it writes down a
   * step before taking it (a server with a data directory).
   */
  constructor(
    shard: ListShard,
    sequencer: Sequencer,
    placement: Placement,
    call: NodeCall,
    log?: EditLog,
  ) {
    this.#shard = shard;
    this.#sequencer = sequencer;
    this.#placement = placement;
    this.#call = call;
    this.#log = log;
    // Distinct from any rewrite a previous home of this list may have left staged.
    this.#nextOp = Date.now() * 1024;
  }

  /**
   * Finish what a rewrite left in doubt; resolves to the list's length after it. Undefined
   * if nothing is in doubt.
   */
  finishPending(): Promise<number> | undefined {
    const pending = this.#pending;
    if (!pending) return undefined;
    return this.#take(pending).then((length) => {
      this.#pending = undefined;
      clearTimeout(this.#retry);
      this.#retry = undefined;
      this.#writeState(length);
      return length;
    });
  }

  /**
   * Finish a step left in doubt now rather than at the list's next operation — the other
   * servers drop what they staged if it waits past a minute — trying again every
   * {@link RETRY_PENDING_MS} while they cannot be reached. A home calls it after replaying its
   * log, and after a step failed.
   */
  resume(): void {
    if (this.#unaborted !== undefined) this.#abortSoon(0);
    if (!this.#pending || this.#retry !== undefined || this.#closed) return;
    // A no-op with the list to itself: the sequencer finishes the step in doubt first.
    this.#sequencer.exclusive((length) => Promise.resolve({ length, value: null })).catch(() => {
      if (!this.#pending || this.#closed) return;
      this.#retry = setTimeout(() => {
        this.#retry = undefined;
        this.resume();
      }, RETRY_PENDING_MS);
      Deno.unrefTimer(this.#retry);
    });
  }

  /** Whether a try at finishing the step in doubt is scheduled ({@link resume}). */
  get retrying(): boolean {
    return this.#retry !== undefined;
  }

  /** Whether aborts of a rewrite are still being sent to a server that missed one. */
  get aborting(): boolean {
    return this.#unaborted !== undefined;
  }

  /** Stop trying to finish a step (the list is dropped, or the server stops). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#retry);
    clearTimeout(this.#abortRetry);
  }

  /** The record that leaves the home's steps as they are now (for a compacted log). */
  snapshot(): unknown[][] {
    return [this.#state(this.#sequencer.length)];
  }

  /**
   * Apply an `l.pending` record read back from the log at start. Each one says all there is:
   * `[kind, name, step, length, unaborted, nextOp]` — the step being taken or left in doubt (a
   * commit or a clear: finished before anything else; an abort written down before staging:
   * the commit never was, so the rewrite is aborted) or nil; the list's length if it changed;
   * a rewrite whose aborts are still owed, or nil; and the number the next rewrite gets (so
   * numbers go on upwards even if the clock went back).
   */
  replay(record: unknown[]): void {
    const [, , step, length, unaborted, nextOp] = record as [
      string,
      string,
      unknown[] | null,
      number | null,
      number | null,
      number,
    ];
    this.#nextOp = Math.max(this.#nextOp, nextOp);
    if (length !== null) this.#sequencer.length = length;
    this.#pending = undefined;
    this.#unaborted = unaborted ?? undefined;
    const [kind, op, from, newLength] = (step ?? []) as [string, number, number, number];
    if (kind === "abort") this.#unaborted = op;
    else if (kind === "commit") this.#pending = { kind, op, from, newLength };
    else if (kind === "truncate") this.#pending = { kind };
    this.#sequencer.inDoubt = this.#pending !== undefined;
  }

  /** Python's `insert(index, value)`: any index is allowed; it is clamped to `0…length`. */
  insert(index: number, value: Uint8Array): Promise<null> {
    return this.#sequencer.exclusive(async (length) => {
      const at = index < 0 ? Math.max(0, length + index) : Math.min(index, length);
      if (at === length) {
        await this.#placement.place(length, { bytes: value, lengths: [value.length] });
        return { length: length + 1, value: null };
      }
      const owner = ownerOf(this.#shard.layout, at);
      await this.#rewrite(
        this.#newOp(),
        (node) => ["shift", at, 1, length, node === owner ? value : null],
        at,
        length + 1,
      );
      return { length: length + 1, value: null };
    });
  }

  /** Remove and return the item at `index` (negative counts from the end). */
  deleteAt(index: number): Promise<Uint8Array> {
    return this.#sequencer.exclusive((length) => this.#deleteAt(index, length));
  }

  /** Remove the first item equal to `value`; resolves to the index it had. */
  remove(value: Uint8Array): Promise<number> {
    return this.#sequencer.exclusive(async (length) => {
      const found = await Promise.all(
        this.#nodes().map((node) => this.#call(node, ListOp.Find, [this.#name, value, length, 0])),
      );
      const hits = found.filter((i): i is number => typeof i === "number" && i >= 0 && i < length);
      if (hits.length === 0) {
        throw new NotFound(`list.remove(x): x is not in list '${this.#name}'`);
      }
      const at = Math.min(...hits);
      const { length: after } = await this.#deleteAt(at, length);
      return { length: after, value: at };
    });
  }

  /** Reverse the list in place. */
  reverse(): Promise<null> {
    return this.#sequencer.exclusive(async (length) => {
      if (length > 1) await this.#rewrite(this.#newOp(), () => ["reverse", length], 0, length);
      return { length, value: null };
    });
  }

  /** Remove every item; resolves to how many there were. */
  clear(): Promise<number> {
    return this.#sequencer.exclusive(async (length) => {
      await this.#finish({ kind: "truncate" });
      return { length: 0, value: length };
    });
  }

  /**
   * Sort the list in place, stably (list_rewrite.ts and sort_cuts.ts): each server sorts its
   * share, the home finds where each block starts, and each item moves once.
   */
  sort(descending: boolean): Promise<null> {
    return this.#sequencer.exclusive(async (length) => {
      if (length <= 1) return { length, value: null };
      const op = this.#newOp();
      await this.#intend(op);
      const counts = await this.#onEveryNode(
        op,
        (node) => this.#call(node, ListOp.SortPrepare, [this.#name, op, length, descending]),
      ) as number[];
      let cuts: number[][];
      try {
        // Probes stage nothing: one that fails may abort at once.
        cuts = await sortCuts({
          counts,
          length,
          partitionSize: this.#shard.layout.partitionSize,
          descending,
          probe: async (node, queries) =>
            decodeProbeAnswer(
              await this.#call(node, ListOp.SortProbe, [this.#name, op, encodeProbe(queries)]),
              queries,
            ),
        });
      } catch (error) {
        throw await this.#aborted(op, error);
      }
      await this.#rewrite(op, (node) => ["sort", cuts[node]], 0, length);
      return { length, value: null };
    });
  }

  async #deleteAt(index: number, length: number): Promise<Rewritten<Uint8Array>> {
    const at = index < 0 ? length + index : index;
    if (at < 0 || at >= length) {
      throw new IndexError(
        `index ${index} out of range for list '${this.#name}' of length ${length}`,
      );
    }
    if (at === length - 1) {
      return { length: at, value: await this.#placement.take(at) };
    }
    const removed = await this.#rewrite(
      this.#newOp(),
      () => ["shift", at, -1, length, null],
      at,
      length - 1,
    );
    const value = removed.find((item) => item instanceof Uint8Array) as Uint8Array;
    return { length: length - 1, value };
  }

  /**
   * Move on every server, then commit everywhere. Resolves to each server's move answer (a
   * delete's removed item comes from the server that held it).
   */
  async #rewrite(
    op: number,
    spec: (node: number) => unknown[],
    from: number,
    newLength: number,
  ): Promise<unknown[]> {
    await this.#intend(op);
    const moved = await this.#onEveryNode(
      op,
      (node) => this.#call(node, ListOp.Move, [this.#name, op, spec(node)]),
    );
    await this.#finish({ kind: "commit", op, from, newLength });
    return moved;
  }

  /**
   * Tell every server to drop what `op` staged; the error to throw is `error` — as
   * `Unreachable` if it was a lost server, since nothing changed (the list is not in doubt).
   */
  async #aborted(op: number, error: unknown): Promise<unknown> {
    this.#taking = undefined;
    this.#unaborted = op; // until every server has answered (a compaction meanwhile keeps it)
    if (await this.#abortEverywhere(op)) {
      this.#unaborted = undefined;
      this.#writeState(this.#sequencer.length);
    } else {
      this.#abortSoon(RETRY_PENDING_MS);
    }
    if (error instanceof Unavailable) {
      return new Unreachable(`${error.message} (the list is unchanged)`, { cause: error });
    }
    return error;
  }

  /**
   * Before anything is staged for rewrite `op`: with a data directory, write down that it is to
   * be aborted if this home stops before its commit is written down (a restarted home sends the
   * aborts). A newer rewrite makes the aborts of an older one needless: staging it, or aborting
   * it, drops the older one on every server it reaches.
   */
  async #intend(op: number): Promise<void> {
    if (this.#taking?.kind === "abort" && this.#taking.op === op) return;
    this.#unaborted = undefined;
    clearTimeout(this.#abortRetry);
    this.#abortRetry = undefined;
    this.#taking = { kind: "abort", op };
    if (this.#log) {
      this.#writeState();
      await this.#log.durable();
    }
  }

  /**
   * Run a rewrite step on every node; if any fails, abort `op` everywhere — once every node
   * has answered, so that no step still under way (a move staging on another server) lands
   * after the aborts — and throw.
   */
  async #onEveryNode<T>(op: number, step: (node: number) => Promise<T>): Promise<T[]> {
    const results = await Promise.allSettled(this.#nodes().map(step));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw await this.#aborted(op, failed.reason);
    return results.map((r) => (r as PromiseFulfilledResult<T>).value);
  }

  /** Send `list.abort` for `op` to every server; true if every one answered. */
  async #abortEverywhere(op: number): Promise<boolean> {
    const answers = await Promise.allSettled(
      this.#nodes().map((node) => this.#call(node, ListOp.Abort, [this.#name, op])),
    );
    return answers.every((answer) => answer.status === "fulfilled");
  }

  /** Write down the home's steps as they are now (and the list's length, if given). */
  #writeState(length?: number): void {
    this.#log?.record(this.#state(length ?? null));
  }

  /** See {@link replay}. */
  #state(length: number | null): unknown[] {
    const step = this.#pending ?? this.#taking;
    return [
      "l.pending",
      this.#name,
      step ? stepRecord(step) : null,
      length,
      this.#unaborted ?? null,
      this.#nextOp,
    ];
  }

  /** Send the aborts still owed again in `ms`, and so on until every server has answered. */
  #abortSoon(ms: number): void {
    if (this.#abortRetry !== undefined || this.#closed) return;
    this.#abortRetry = setTimeout(async () => {
      this.#abortRetry = undefined;
      const op = this.#unaborted;
      if (op === undefined || this.#closed) return;
      const done = await this.#abortEverywhere(op);
      // A newer rewrite took over meanwhile, or the list was dropped or the server stopped.
      if (this.#unaborted !== op || this.#closed) return;
      if (!done) return this.#abortSoon(RETRY_PENDING_MS);
      this.#unaborted = undefined;
      try {
        this.#writeState();
      } catch {
        // The log failed: the server fails every write from now on; nothing more to do here.
      }
    }, ms);
    Deno.unrefTimer(this.#abortRetry);
  }

  /**
   * Take `step` (written down first, with a data directory), then once more if it failed; if it
   * still fails, keep it for {@link finishPending} and fail with `Unavailable`, which puts the
   * list in doubt.
   */
  async #finish(step: InDoubtStep): Promise<void> {
    this.#taking = step;
    try {
      if (this.#log) {
        this.#writeState();
        await this.#log.durable();
      }
      const length = await this.#take(step).catch(() => this.#take(step));
      this.#taking = undefined;
      this.#writeState(length);
    } catch (error) {
      this.#pending = step;
      queueMicrotask(() => this.resume()); // once the sequencer has seen the failure
      const reason = error instanceof Error ? error.message : String(error);
      throw new Unavailable(
        `list '${this.#name}' was changed on some servers but not yet all (${reason}); ` +
          `the change is finished before the next operation`,
        { cause: error },
      );
    } finally {
      this.#taking = undefined;
    }
  }

  /** Commit or truncate on every server; resolves to the list's length after. */
  async #take(step: InDoubtStep): Promise<number> {
    if (step.kind === "truncate") {
      await this.#everywhere((node) => this.#call(node, ListOp.Truncate, [this.#name, 0]));
      return 0;
    }
    const { op, from, newLength } = step;
    await this.#everywhere((node) =>
      this.#call(node, ListOp.Commit, [this.#name, op, from, newLength])
    );
    return newLength;
  }

  /** Run `call` on every node; rejects with the first failure once all have settled. */
  async #everywhere(call: (node: number) => Promise<unknown>): Promise<void> {
    const results = await Promise.allSettled(this.#nodes().map(call));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  }

  #nodes(): number[] {
    return this.#shard.layout.nodes.map((_, node) => node);
  }

  #newOp(): number {
    return this.#nextOp++;
  }

  get #name(): string {
    return this.#shard.name;
  }
}

/** A step as an `l.pending` record holds it. */
function stepRecord(step: FinishingStep): unknown[] {
  if (step.kind === "commit") return ["commit", step.op, step.from, step.newLength];
  return step.kind === "abort" ? ["abort", step.op] : ["truncate"];
}
