/**
 * The list server's operations (docs/PROTOCOL.md, "List operations"): every list this server
 * holds a share of, the sequencer of each list whose home it is, and the handlers that serve
 * clients and peers.
 *
 * Every handler checks its arguments before touching state; values stay opaque bytes.
 *
 * @example
 * ```ts
 * import { ListService } from "./list_service.ts";
 * const lists = new ListService({ requestTimeoutMs: 5000 });
 * // Server.listen({ role: "list-server", handlers: lists.handlers, … })
 * ```
 * @module
 */
import {
  argBatch,
  argBytes,
  argClampedInt,
  argCount,
  argInt,
  argRecord,
  argString,
} from "../wire/args.ts";
import { batchLimits, batchToWire } from "../wire/value_batch.ts";
import {
  BadArgument,
  DataLost,
  IndexError,
  LayoutMismatch,
  NotFound,
  ProtocolError,
  UnsupportedOperation,
} from "../wire/errors.ts";
import {
  checkLayout,
  describeLayout,
  type ListLayout,
  ListOp,
  ownerOf,
  sameLayout,
} from "../wire/list_protocol.ts";
import { adminOnly, type CallContext, defineHandlers, type Handlers } from "../net/handlers.ts";
import { homePlacement } from "./home_placement.ts";
import { ListShard } from "./list_shard.ts";
import { PeerLinks } from "./peer_links.ts";
import type { ConnectOptions } from "../net/connect.ts";
import type { Session } from "../net/session.ts";
import { Sequencer } from "./sequencer.ts";
import type { Journal } from "./journal.ts";
import { yieldToEventLoop } from "../net/yield.ts";
import { ListEditor, type NodeCall } from "./list_edit.ts";
import { packRuns, type Run, ShardRewrite } from "./list_rewrite.ts";
import { moveSpecFrom, runsFrom, runsToWire } from "./rewrite_args.ts";
import { decodeProbe, encodeProbeAnswer } from "./probe_wire.ts";
import { STORE_REQUEST_BYTES } from "./home_placement.ts";

/** Range stream chunks: at most this many items … */
export const RANGE_CHUNK_ITEMS = 1024;
/** … and about this many bytes. */
export const RANGE_CHUNK_BYTES = 256 * 1024;

/** What `list.open` answers: items held here, and whether this open made the list here. */
interface Opened {
  count: number;
  created: boolean;
}

/** See the module docs. */
export class ListService {
  /** The operations, ready for `Server.listen`. */
  readonly handlers: Handlers;
  readonly #shards = new Map<string, ListShard>();
  readonly #sequencers = new Map<string, Sequencer>();
  readonly #editors = new Map<string, ListEditor>();
  readonly #rewrites = new Map<string, ShardRewrite>();
  /** Lists the log dropped (while it is replayed): records of theirs after the drop are moot. */
  readonly #droppedInLog = new Set<string>();
  /** The server-to-server rewrite steps, run for a peer's request or for this home itself. */
  readonly #rewriteSteps: Record<string, (shard: ListShard, args: unknown[]) => unknown> = {
    [ListOp.Move]: (shard, args) => this.#move(shard, args),
    [ListOp.Stage]: (shard, args) => {
      argCount(args, 3, ListOp.Stage);
      this.#rewriteOf(shard).stage(argInt(args, 1, "op", 0), runsFrom(args[2]));
      return null;
    },
    [ListOp.Commit]: (shard, args) => {
      argCount(args, 4, ListOp.Commit);
      const newLength = argInt(args, 3, "newLength", 0);
      const count = this.#rewriteOf(shard).commit(
        argInt(args, 1, "op", 0),
        argInt(args, 2, "from", 0),
        newLength,
      );
      this.#setAcknowledged(shard, newLength);
      shard.changes++;
      return count;
    },
    [ListOp.Abort]: (shard, args) => {
      argCount(args, 2, ListOp.Abort);
      this.#rewriteOf(shard).abort(argInt(args, 1, "op", 0));
      return null;
    },
    [ListOp.SortPrepare]: (shard, args) => {
      argCount(args, 4, ListOp.SortPrepare);
      const descending = args[3];
      if (typeof descending !== "boolean") throw new BadArgument("descending must be a boolean");
      return this.#rewriteOf(shard).sortPrepare(
        argInt(args, 1, "op", 0),
        argInt(args, 2, "length", 0),
        descending,
      );
    },
    [ListOp.SortProbe]: (shard, args) => {
      argCount(args, 3, ListOp.SortProbe);
      const answers = this.#rewriteOf(shard).probe(argInt(args, 1, "op", 0), decodeProbe(args[2]));
      return encodeProbeAnswer(answers);
    },
    // Only ever run here by this home (clear); peers get list.truncate as a request.
    [ListOp.Truncate]: (shard, args) => shard.truncate(args[1] as number),
    [ListOp.Find]: (shard, args) =>
      shard.find(args[1] as Uint8Array, args[2] as number, args[3] as number),
  };
  readonly #creating = new Map<string, Promise<void>>();
  readonly #peers: PeerLinks;
  readonly #journal: Journal | undefined;
  /** False while the log is replayed: replayed changes are not written again. */
  #live = true;

  /**
   * A service that reaches other servers with `peerTimeouts` (and its token and TLS) and, given
   * a `journal`, writes every change of its lists there and answers a change once it is durable.
   */
  constructor(peerTimeouts: ConnectOptions = {}, journal?: Journal) {
    this.#journal = journal;
    this.#peers = new PeerLinks(peerTimeouts, (shard, peer) => {
      // Node `peer` holds items once the list reaches its first block.
      const length = this.#sequencers.get(shard.name)?.length ?? 0;
      return length > peer * shard.layout.partitionSize;
    });
    this.handlers = this.#durable(defineHandlers({
      requests: {
        [ListOp.Open]: (args) => this.#open(args),
        [ListOp.Append]: (args) => {
          argCount(args, 2, ListOp.Append);
          const { sequencer } = this.#home(args);
          return sequencer.append(argBatch(args, 1, "values"));
        },
        [ListOp.Length]: (args) => {
          argCount(args, 1, ListOp.Length);
          return this.#home(args).sequencer.length;
        },
        [ListOp.Get]: (args) => this.#get(args),
        [ListOp.Set]: (args) => this.#set(args),
        [ListOp.Pop]: (args) => {
          // [name] pops the last item; [name, index], since this release, any item.
          if (args.length === 2) return this.#editor(args).deleteAt(argInt(args, 1, "index"));
          argCount(args, 1, ListOp.Pop);
          return this.#home(args).sequencer.pop();
        },
        [ListOp.Delete]: (args) => {
          argCount(args, 2, ListOp.Delete);
          return this.#editor(args).deleteAt(argInt(args, 1, "index")).then(() => null);
        },
        [ListOp.Insert]: (args) => {
          argCount(args, 3, ListOp.Insert);
          const editor = this.#editor(args);
          return editor.insert(argClampedInt(args, 1, "index"), argBytes(args, 2, "value"));
        },
        [ListOp.Remove]: (args) => {
          argCount(args, 2, ListOp.Remove);
          return this.#editor(args).remove(argBytes(args, 1, "value"));
        },
        [ListOp.Reverse]: (args) => {
          argCount(args, 1, ListOp.Reverse);
          return this.#editor(args).reverse();
        },
        [ListOp.Clear]: (args) => {
          argCount(args, 1, ListOp.Clear);
          return this.#editor(args).clear();
        },
        [ListOp.Sort]: (args) => {
          argCount(args, 2, ListOp.Sort);
          if (typeof args[1] !== "boolean") throw new BadArgument("descending must be a boolean");
          return this.#editor(args).sort(args[1]);
        },
        ...Object.fromEntries(
          REWRITE_STEPS.map((op) => [op, (args: unknown[], call: CallContext) => {
            const shard = this.#shard(args);
            fromPeer(op, call);
            return this.#rewriteSteps[op](shard, args);
          }]),
        ),
        [ListOp.Find]: (args) => {
          // [name, value, stop] or, since this release, [name, value, stop, start].
          if (args.length !== 4) argCount(args, 3, ListOp.Find);
          const shard = this.#shard(args);
          const start = args.length === 4 ? Math.max(0, argClampedInt(args, 3, "start")) : 0;
          return shard.find(argBytes(args, 1, "value"), argClampedInt(args, 2, "stop"), start);
        },
        [ListOp.Count]: (args) => {
          argCount(args, 4, ListOp.Count);
          const shard = this.#shard(args);
          const start = Math.max(0, argClampedInt(args, 2, "start"));
          return shard.countEqual(
            argBytes(args, 1, "value"),
            start,
            argClampedInt(args, 3, "stop"),
          );
        },
        [ListOp.Stats]: (args) => {
          argCount(args, 1, ListOp.Stats);
          const shard = this.#shard(args);
          return { count: shard.count, length: this.#sequencers.get(shard.name)?.length ?? null };
        },
        [ListOp.Drop]: (args, call) => {
          argCount(args, 1, ListOp.Drop);
          adminOnly(ListOp.Drop, call);
          const shard = this.#shards.get(argString(args, 0, "name"));
          if (!shard) return 0;
          this.#forget(shard.name);
          this.#record(["l.drop", shard.name]);
          return shard.count;
        },
        [ListOp.Store]: (args, call) => {
          peersOnly(ListOp.Store, call, this.#shard(args));
          return this.#store(args);
        },
        [ListOp.Take]: (args, call) => {
          argCount(args, 2, ListOp.Take);
          const shard = this.#shard(args);
          peersOnly(ListOp.Take, call, shard);
          const index = this.#ownedIndex(shard, argInt(args, 1, "index", 0));
          // The list is shorter now; an append will hand this index out again.
          this.#setAcknowledged(shard, Math.min(shard.acknowledged, index));
          shard.changes++;
          const value = shard.removeLast(index);
          if (!value) {
            throw new BadArgument(`index ${index} is not the last item of '${shard.name}' here`);
          }
          return value;
        },
        [ListOp.Truncate]: (args, call) => {
          argCount(args, 2, ListOp.Truncate);
          const shard = this.#shard(args);
          peersOnly(ListOp.Truncate, call, shard);
          const from = argInt(args, 1, "from", 0);
          this.#setAcknowledged(shard, Math.min(shard.acknowledged, from));
          shard.changes++;
          return shard.truncate(from);
        },
      },
      streams: {
        [ListOp.Range]: (args, call) => {
          argCount(args, 4, ListOp.Range);
          const shard = this.#shard(args);
          const start = argInt(args, 1, "start", 0);
          const stop = argClampedInt(args, 2, "stop");
          if (stop < -1) throw new BadArgument("stop must be at least -1");
          const step = argClampedInt(args, 3, "step");
          if (step === 0) throw new BadArgument("step must not be zero");
          // Chunks fit what the reader accepts, with room for the frame around them.
          const limits = batchLimits(
            call.session.peerMaxFrameBytes,
            RANGE_CHUNK_BYTES,
            RANGE_CHUNK_ITEMS,
          );
          const chunks = shard.chunks(start, stop, step, limits);
          return chunks.map(batchToWire);
        },
      },
    }));
  }

  /**
   * Apply a record read back from the data directory's log (journal.ts) at start: list made or
   * dropped, the home's length, a node's acknowledged length, or a change of items.
   */
  replay(record: unknown[]): void {
    this.#live = false;
    try {
      const [kind, name, a, b] = record as [string, string, unknown, unknown];
      if (kind === "l.open") {
        this.#droppedInLog.delete(name);
        if (!this.#shards.has(name)) this.#create(name, a as ListLayout, b as number);
        return;
      }
      if (kind === "l.drop") {
        this.#droppedInLog.add(name);
        return this.#forget(name);
      }
      const shard = this.#shards.get(name);
      // A step that was under way when its list was dropped may have written after the drop.
      if (!shard && this.#droppedInLog.has(name)) return;
      if (!shard) throw new Error(`a record for list '${name}', which was never opened`);
      if (kind === "l.len") this.#sequencers.get(name)!.length = a as number;
      else if (kind === "l.ack") shard.acknowledged = a as number;
      else if (kind === "l.stage" || kind === "l.unstage") this.#rewriteOf(shard).replay(record);
      else if (kind === "l.pending") this.#editors.get(name)!.replay(record);
      else if (!shard.replay(record)) throw new Error(`unknown list record '${kind}'`);
    } finally {
      this.#live = true;
    }
  }

  /** Whether `kind` is a record this service replays. */
  static replays(kind: string): boolean {
    return kind.startsWith("l.");
  }

  /**
   * Records that rebuild every list held here as it is now (for a compacted log). Everything is
   * taken now; the items are copied into records only as they are asked for.
   */
  snapshot(): Iterable<unknown[]> {
    const parts: Iterable<unknown[]>[] = [];
    for (const shard of this.#shards.values()) {
      const records: unknown[][] = [["l.open", shard.name, shard.layout, shard.self]];
      const items = shard.snapshot();
      const after: unknown[][] = [["l.ack", shard.name, shard.acknowledged]];
      after.push(...this.#rewrites.get(shard.name)?.snapshot() ?? []);
      const sequencer = this.#sequencers.get(shard.name);
      if (sequencer) after.push(["l.len", shard.name, sequencer.length]);
      after.push(...this.#editors.get(shard.name)?.snapshot() ?? []);
      parts.push(records, items, after);
    }
    return (function* () {
      for (const part of parts) yield* part;
    })();
  }

  /** Bytes of items held here (what a compacted log would hold, about). */
  get bytesHeld(): number {
    let bytes = 0;
    for (const shard of this.#shards.values()) bytes += shard.bytes;
    return bytes;
  }

  /**
   * A PUSH: `list.acknowledged [name, length]` from a peer, a home saying every index below
   * `length` is acknowledged. Other topics, and that one from a client, are ignored (PROTOCOL.md
   * §9); a malformed one from a peer closes its link.
   */
  onPush(topic: string, payload: unknown, session: Session): void {
    if (topic !== ListOp.Acknowledged || session.remoteRole !== "peer") return;
    const [name, length] = Array.isArray(payload) ? payload : [];
    const shard = typeof name === "string" ? this.#shards.get(name) : undefined;
    if (!Number.isSafeInteger(length) || (length as number) < 0) {
      throw new ProtocolError(`${ListOp.Acknowledged} must carry [name, length]`);
    }
    // In order with the home's stores and takes on this link: never stale.
    if (shard && shard.self !== 0) {
      shard.acknowledged = Math.max(shard.acknowledged, length as number);
    }
  }

  /** Counters for `server.stats`: lists held here, and open links to other servers. */
  stats(): { lists: number; peerLinks: number } {
    return { lists: this.#shards.size, peerLinks: this.#peers.size };
  }

  /**
   * Each list this server holds a share of: name, items, their bytes and the memory they take
   * here (the first `max`).
   */
  holdings(max: number): { name: string; count: number; bytes: number; memoryBytes: number }[] {
    const out = [];
    for (const shard of this.#shards.values()) {
      if (out.length >= max) break;
      const { name, count, bytes, memoryBytes } = shard;
      out.push({ name, count, bytes, memoryBytes });
    }
    return out;
  }

  /**
   * Once the log is replayed: finish the steps its lists' homes left in doubt when they
   * stopped, without waiting for the lists' next operations.
   */
  resume(): void {
    for (const editor of this.#editors.values()) editor.resume();
  }

  /** Close the links to other servers. */
  close(): Promise<void> {
    for (const editor of this.#editors.values()) editor.close();
    return this.#peers.close();
  }

  /** `list.open [name, layout, self]`: make or check this node's share of a list. */
  #open(args: unknown[]): Opened | Promise<Opened> {
    argCount(args, 3, ListOp.Open);
    const name = argString(args, 0, "name");
    const layout = checkLayout(argRecord(args, 1, "layout"));
    const self = argInt(args, 2, "node index", 0);
    if (self >= layout.nodes.length) {
      throw new BadArgument(`node index ${self} is not in ${describeLayout(layout)}`);
    }
    const existing = this.#shards.get(name);
    if (existing) {
      this.#checkSameLayout(existing, layout, self);
      return { count: existing.count, created: false };
    }
    const creating = this.#creating.get(name);
    if (creating) return creating.then(() => this.#open(args));
    if (self !== 0 || layout.nodes.length === 1) {
      this.#create(name, layout, self);
      return { count: 0, created: true };
    }
    const created = this.#checkNoItemsElsewhere(name, layout)
      .then(() => this.#create(name, layout, self))
      .finally(() => this.#creating.delete(name));
    this.#creating.set(name, created);
    return created.then(() => ({ count: 0, created: true }));
  }

  #create(name: string, layout: ListLayout, self: number): void {
    const shard = new ListShard(name, layout, self);
    this.#shards.set(name, shard);
    this.#record(["l.open", name, layout, self]);
    if (this.#journal) shard.journal = (record) => this.#record(record);
    if (self === 0) {
      const placement = homePlacement(shard, this.#peers);
      const repair = placement.repair!;
      // A rewrite left in doubt is finished before the tail is repaired.
      placement.repair = (length) => editor.finishPending() ?? repair(length);
      const sequencer = new Sequencer(
        placement,
        `list '${name}'`,
        (length) => this.#record(["l.len", name, length]),
      );
      const journal = this.#journal;
      const log = journal &&
        { record: (r: unknown[]) => this.#record(r), durable: () => journal.durable() };
      const editor = new ListEditor(shard, sequencer, placement, this.#nodeCall(shard), log);
      this.#sequencers.set(name, sequencer);
      this.#editors.set(name, editor);
    }
  }

  /**
   * A home that does not know a list it is asked to open must be sure the other nodes hold
   * none of its items: if they do, this home restarted and lost the list's length, and
   * starting again from zero would overwrite their items.
   */
  async #checkNoItemsElsewhere(name: string, layout: ListLayout): Promise<void> {
    const counts = await Promise.all(
      layout.nodes.slice(1).map(async (address) => {
        try {
          const stats = await this.#peers.request(address, ListOp.Stats, [name]);
          return Number((stats as { count?: unknown })?.count ?? 0);
        } catch (error) {
          if (error instanceof NotFound) return 0;
          throw error;
        }
      }),
    );
    const k = counts.findIndex((count) => count > 0);
    if (k >= 0) {
      throw new DataLost(
        `list '${name}' has ${counts[k]} items on ${layout.nodes[k + 1]} but none on its home ` +
          `${layout.nodes[0]}: the home restarted and lost the list (servers keep lists in ` +
          `memory only); refusing to start it again from index 0`,
      );
    }
  }

  #checkSameLayout(shard: ListShard, layout: ListLayout, self: number): void {
    if (!sameLayout(shard.layout, layout)) {
      throw new LayoutMismatch(
        `list '${shard.name}' was made with ${describeLayout(shard.layout)}; ` +
          `it cannot be opened with ${describeLayout(layout)}`,
      );
    }
    if (shard.self !== self) {
      throw new LayoutMismatch(
        `this server holds list '${shard.name}' as ${shard.layout.nodes[shard.self]} ` +
          `(node ${shard.self}), not as ${layout.nodes[self]} (node ${self}): ` +
          `is one server listed under two addresses?`,
      );
    }
  }

  /** `list.get [name, index]`: a negative index is resolved by the home. */
  #get(args: unknown[]): unknown {
    argCount(args, 2, ListOp.Get);
    const shard = this.#shard(args);
    const settled = this.#rewrites.get(shard.name)?.settled();
    if (settled) return settled.then(() => this.#get(args));
    const index = this.#resolve(shard, argInt(args, 1, "index"));
    if (!shard.owns(index)) {
      return this.#peers.call(shard, ownerOf(shard.layout, index), ListOp.Get, [shard.name, index]);
    }
    const read = () => {
      const value = shard.get(index);
      if (!value) throw this.#noItem(shard, index);
      return value;
    };
    const acknowledged = this.#isAcknowledged(shard, index);
    return acknowledged instanceof Promise ? acknowledged.then(read) : read();
  }

  /**
   * Resolves (or returns at once) if the item at `index` of this node belongs to an
   * acknowledged append; throws `IndexError` if not (yet). Only an index at or past what this
   * node knows to be acknowledged costs a question to the home.
   */
  #isAcknowledged(shard: ListShard, index: number): void | Promise<void> {
    const home = this.#sequencers.get(shard.name);
    if (home) {
      if (index >= home.length) throw this.#noItem(shard, index);
      return;
    }
    if (index < shard.acknowledged) return;
    const changes = shard.changes;
    return this.#peers.call(shard, 0, ListOp.Length, [shard.name]).then((length) => {
      if (typeof length !== "number" || index >= length) throw this.#noItem(shard, index);
      // Remember it, unless the home changed our items meanwhile (a pop, then a new batch).
      if (shard.changes === changes && length > shard.acknowledged) shard.acknowledged = length;
    });
  }

  /** `list.set [name, index, value]`. */
  #set(args: unknown[]): unknown {
    argCount(args, 3, ListOp.Set);
    const shard = this.#shard(args);
    const settled = this.#rewrites.get(shard.name)?.writable();
    if (settled) return settled.then(() => this.#set(args));
    const index = this.#resolve(shard, argInt(args, 1, "index"));
    const value = argBytes(args, 2, "value");
    if (!shard.owns(index)) {
      const owner = ownerOf(shard.layout, index);
      return this.#peers.call(shard, owner, ListOp.Set, [shard.name, index, value]);
    }
    const replace = () => {
      if (!shard.replace(index, value)) throw this.#noItem(shard, index);
      return null;
    };
    const acknowledged = this.#isAcknowledged(shard, index);
    return acknowledged instanceof Promise ? acknowledged.then(replace) : replace();
  }

  /** `list.store [name, first, values]`: a home hands this node the items of its blocks. */
  #store(args: unknown[]): number {
    // [name, first, values] or, since this release, [name, first, values, acknowledged].
    if (args.length !== 4) argCount(args, 3, ListOp.Store);
    const shard = this.#shard(args);
    const values = argBatch(args, 2, "values");
    // Exactly what the home says (not the larger of it and what we knew): after pops, indexes
    // we once knew acknowledged are handed out again, to this very batch perhaps.
    if (args.length === 4) this.#setAcknowledged(shard, argInt(args, 3, "acknowledged", 0));
    shard.changes++;
    shard.store(argInt(args, 1, "first", 0), values);
    return values.lengths.length;
  }

  /** `list.move [name, op, spec]`: stage this server's moved items where they now belong. */
  async #move(shard: ListShard, args: unknown[]): Promise<Uint8Array | null> {
    argCount(args, 3, ListOp.Move);
    const op = argInt(args, 1, "op", 0);
    const rewrite = this.#rewriteOf(shard);
    const { outgoing, removed, later } = rewrite.move(op, moveSpecFrom(args[2]));
    const sends = [...outgoing].map(([node, runs]) => this.#sendRuns(shard, node, op, runs));
    if (later) {
      // Let the runs for other servers go out, then copy the ones that stay here meanwhile.
      await yieldToEventLoop();
      later();
    }
    await Promise.all(sends);
    return removed ?? null;
  }

  /** Stage `runs` on node `node`, in requests that fit its frames. */
  async #sendRuns(shard: ListShard, node: number, op: number, runs: Run[]): Promise<void> {
    const frame = await this.#peers.maxFrameBytes(shard.layout.nodes[node]);
    for (const request of packRuns(runs, batchLimits(frame, STORE_REQUEST_BYTES, Infinity))) {
      await this.#peers.call(shard, node, ListOp.Stage, [shard.name, op, runsToWire(request)]);
    }
  }

  /** Call a rewrite step on node `node` of `shard`'s list: here if it is this server. */
  #nodeCall(shard: ListShard): NodeCall {
    return (node, op, args) => {
      if (node !== shard.self) return this.#peers.call(shard, node, op, args);
      return Promise.resolve().then(() => this.#rewriteSteps[op](shard, args));
    };
  }

  /** Write `record` to the journal (not while replaying it). */
  #record(record: unknown[]): void {
    if (this.#live) this.#journal?.write(record);
  }

  /** A node's acknowledged length is written down when it is set, so it survives a restart. */
  #setAcknowledged(shard: ListShard, length: number): void {
    shard.acknowledged = length;
    this.#record(["l.ack", shard.name, length]);
  }

  #forget(name: string): void {
    this.#editors.get(name)?.close();
    this.#rewrites.get(name)?.close();
    this.#shards.delete(name);
    this.#sequencers.delete(name);
    this.#editors.delete(name);
    this.#rewrites.delete(name);
  }

  /**
   * With a journal, each operation that changes state answers only once what it wrote is
   * durable. Reads do not wait.
   */
  #durable(handlers: Handlers): Handlers {
    const journal = this.#journal;
    if (!journal) return handlers;
    const requests = new Map(handlers.requests);
    for (const [op, handler] of handlers.requests) {
      if (READS.has(op)) continue;
      requests.set(op, (args, call) => {
        const result = handler(args, call);
        // One promise step, not an async function's two: this is every write's path.
        if (result instanceof Promise) return result.then((value) => journal.durable(value));
        return journal.durable(result);
      });
    }
    return { requests, streams: handlers.streams };
  }

  #rewriteOf(shard: ListShard): ShardRewrite {
    let rewrite = this.#rewrites.get(shard.name);
    if (!rewrite) {
      this.#rewrites.set(shard.name, rewrite = new ShardRewrite(shard));
      if (this.#journal) rewrite.journal = (record) => this.#record(record);
    }
    return rewrite;
  }

  #editor(args: unknown[]): ListEditor {
    this.#home(args);
    return this.#editors.get(argString(args, 0, "name"))!;
  }

  #shard(args: unknown[]): ListShard {
    const name = argString(args, 0, "name");
    const shard = this.#shards.get(name);
    if (!shard) {
      throw new NotFound(`list '${name}' is not open on this server (open it with List.open)`);
    }
    return shard;
  }

  #home(args: unknown[]): { shard: ListShard; sequencer: Sequencer } {
    const shard = this.#shard(args);
    const sequencer = this.#sequencers.get(shard.name);
    if (!sequencer) {
      throw new BadArgument(
        `this server is not the home of list '${shard.name}'; ${shard.layout.nodes[0]} is`,
      );
    }
    return { shard, sequencer };
  }

  /** A negative index counts from the end, which only the home knows. */
  #resolve(shard: ListShard, index: number): number {
    if (index >= 0) return this.#ownedOrForwardable(shard, index);
    const { sequencer } = this.#home([shard.name]);
    const absolute = sequencer.length + index;
    if (absolute < 0) {
      throw new IndexError(
        `index ${index} out of range for list '${shard.name}' of length ${sequencer.length}`,
      );
    }
    return absolute;
  }

  /** A non-negative index must be this node's, unless this is the home (which forwards). */
  #ownedOrForwardable(shard: ListShard, index: number): number {
    return shard.self === 0 ? index : this.#ownedIndex(shard, index);
  }

  #ownedIndex(shard: ListShard, index: number): number {
    if (!shard.owns(index)) {
      const owner = shard.layout.nodes[ownerOf(shard.layout, index)];
      throw new BadArgument(`index ${index} of list '${shard.name}' is held by ${owner}`);
    }
    return index;
  }

  #noItem(shard: ListShard, index: number): IndexError {
    return new IndexError(`index ${index} out of range for list '${shard.name}'`);
  }
}

/** Operations that change nothing: they answer without waiting for the journal. */
const READS = new Set<string>([
  ListOp.Length,
  ListOp.Get,
  ListOp.Find,
  ListOp.Count,
  ListOp.Stats,
  ListOp.SortProbe,
]);

/** The server-to-server steps of a rewrite (list_rewrite.ts). */
const REWRITE_STEPS: string[] = [
  ListOp.Move,
  ListOp.Stage,
  ListOp.Commit,
  ListOp.Abort,
  ListOp.SortPrepare,
  ListOp.SortProbe,
];

/** Refuse a server-to-server rewrite step on a client connection. */
function fromPeer(op: string, call: CallContext): void {
  if (call.session.remoteRole !== "peer") {
    throw new UnsupportedOperation(
      `${op} is for list servers talking to each other; clients use list.insert, list.sort…`,
    );
  }
}

/**
 * Refuse server-to-server operations on a client connection, and on a list's home, which
 * only ever sends them. (The role is what the other side says it is: on a server with a token,
 * only holders of the token get this far.)
 */
function peersOnly(op: string, call: CallContext, shard: ListShard): void {
  if (call.session.remoteRole !== "peer") {
    throw new UnsupportedOperation(
      `${op} is for list servers talking to each other; clients use list.append and list.pop`,
    );
  }
  if (shard.self === 0) {
    throw new UnsupportedOperation(`${op} is never sent to a list's home ('${shard.name}')`);
  }
}
