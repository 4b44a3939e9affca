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
 * import { PeerLinks } from "./peer_links.ts";
 * const lists = new ListService(new PeerLinks());
 * // Server.listen({ role: "list-server", handlers: lists.handlers, … })
 * ```
 * @module
 */
import { argBytes, argBytesList, argCount, argInt, argRecord, argString } from "../wire/args.ts";
import {
  BadArgument,
  IndexError,
  InternalError,
  LayoutMismatch,
  NotFound,
} from "../wire/errors.ts";
import {
  checkLayout,
  describeLayout,
  type ListLayout,
  ListOp,
  ownerOf,
  sameLayout,
} from "../wire/list_protocol.ts";
import { defineHandlers, type Handlers } from "../net/handlers.ts";
import { ListShard } from "./list_shard.ts";
import type { PeerLinks } from "./peer_links.ts";
import { type Placement, Sequencer } from "./sequencer.ts";

/** Range stream chunks: at most this many items … */
export const RANGE_CHUNK_ITEMS = 1024;
/** … and about this many bytes. */
export const RANGE_CHUNK_BYTES = 256 * 1024;

/** A list segment sent to its owner: `[firstIndex, values]`. */
type Segment = [number, Uint8Array[]];

/** See the module docs. */
export class ListService {
  /** The operations, ready for `Server.listen`. */
  readonly handlers: Handlers;
  readonly #shards = new Map<string, ListShard>();
  readonly #sequencers = new Map<string, Sequencer>();
  readonly #peers: PeerLinks;

  /** A service that reaches other servers through `peers`. */
  constructor(peers: PeerLinks) {
    this.#peers = peers;
    this.handlers = defineHandlers({
      requests: {
        [ListOp.Open]: (args) => this.#open(args),
        [ListOp.Append]: (args) => {
          argCount(args, 2, ListOp.Append);
          const { sequencer } = this.#home(args);
          return sequencer.append(argBytesList(args, 1, "values"));
        },
        [ListOp.Length]: (args) => {
          argCount(args, 1, ListOp.Length);
          return this.#home(args).sequencer.length;
        },
        [ListOp.Get]: (args) => this.#get(args),
        [ListOp.Set]: (args) => this.#set(args),
        [ListOp.Pop]: (args) => {
          argCount(args, 1, ListOp.Pop);
          return this.#home(args).sequencer.pop();
        },
        [ListOp.Delete]: (args) => {
          argCount(args, 2, ListOp.Delete);
          const { sequencer } = this.#home(args);
          const popped = sequencer.pop(argInt(args, 1, "index"));
          return popped instanceof Promise ? popped.then(() => null) : null;
        },
        [ListOp.Find]: (args) => {
          argCount(args, 3, ListOp.Find);
          const shard = this.#shard(args);
          return shard.find(argBytes(args, 1, "value"), argInt(args, 2, "stop"));
        },
        [ListOp.Stats]: (args) => {
          argCount(args, 1, ListOp.Stats);
          const shard = this.#shard(args);
          return { count: shard.count, length: this.#sequencers.get(shard.name)?.length ?? null };
        },
        [ListOp.Store]: (args) => this.#store(args),
        [ListOp.Take]: (args) => {
          argCount(args, 2, ListOp.Take);
          const shard = this.#shard(args);
          const index = this.#ownedIndex(shard, argInt(args, 1, "index", 0));
          const value = shard.remove(index);
          if (!value) throw this.#noItem(shard, index);
          return value;
        },
        [ListOp.Truncate]: (args) => {
          argCount(args, 2, ListOp.Truncate);
          return this.#shard(args).truncate(argInt(args, 1, "from", 0));
        },
      },
      streams: {
        [ListOp.Range]: (args) => {
          argCount(args, 4, ListOp.Range);
          const shard = this.#shard(args);
          const start = argInt(args, 1, "start", 0);
          const stop = argInt(args, 2, "stop", -1);
          const step = argInt(args, 3, "step");
          if (step === 0) throw new BadArgument("step must not be zero");
          return shard.chunks(start, stop, step, {
            maxItems: RANGE_CHUNK_ITEMS,
            maxBytes: RANGE_CHUNK_BYTES,
          });
        },
      },
    });
  }

  /** `list.open [name, layout, self]`: make or check this node's share of a list. */
  #open(args: unknown[]): { count: number } {
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
      return { count: existing.count };
    }
    const shard = new ListShard(name, layout, self);
    this.#shards.set(name, shard);
    if (self === 0) {
      this.#sequencers.set(name, new Sequencer(this.#placement(shard), `list '${name}'`));
    }
    return { count: 0 };
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
    const index = this.#resolve(shard, argInt(args, 1, "index"));
    if (!shard.owns(index)) {
      return this.#peers.call(shard, ownerOf(shard.layout, index), ListOp.Get, [shard.name, index]);
    }
    const value = shard.get(index);
    if (!value) throw this.#noItem(shard, index);
    return value;
  }

  /** `list.set [name, index, value]`. */
  #set(args: unknown[]): unknown {
    argCount(args, 3, ListOp.Set);
    const shard = this.#shard(args);
    const index = this.#resolve(shard, argInt(args, 1, "index"));
    const value = argBytes(args, 2, "value");
    if (!shard.owns(index)) {
      const owner = ownerOf(shard.layout, index);
      return this.#peers.call(shard, owner, ListOp.Set, [shard.name, index, value]);
    }
    if (!shard.replace(index, value)) throw this.#noItem(shard, index);
    return null;
  }

  /** `list.store [name, segments]`: a home hands this node the items of its blocks. */
  #store(args: unknown[]): number {
    argCount(args, 2, ListOp.Store);
    const shard = this.#shard(args);
    const segments = args[1];
    if (!Array.isArray(segments)) throw new BadArgument("segments must be an array");
    let stored = 0;
    for (const segment of segments) {
      if (!Array.isArray(segment) || segment.length !== 2) {
        throw new BadArgument("each segment must be [firstIndex, values]");
      }
      const first = argInt(segment, 0, "segment start", 0);
      const values = argBytesList(segment, 1, "segment values");
      for (let i = 0; i < values.length; i++) this.#ownedIndex(shard, first + i);
      for (let i = 0; i < values.length; i++) shard.put(first + i, values[i]);
      stored += values.length;
    }
    return stored;
  }

  /** How a home stores appended items: its own blocks here, the others on their owners. */
  #placement(shard: ListShard): Placement {
    const { partitionSize: size } = shard.layout;
    return {
      place: (start, values) => {
        const local: [number, number][] = [];
        const remote = new Map<number, Segment[]>();
        for (let i = start, end = start + values.length; i < end;) {
          const blockEnd = Math.min(end, (Math.floor(i / size) + 1) * size);
          const owner = ownerOf(shard.layout, i);
          if (owner === shard.self) local.push([i, blockEnd]);
          else {
            const segments = remote.get(owner) ?? remote.set(owner, []).get(owner)!;
            segments.push([i, values.slice(i - start, blockEnd - start)]);
          }
          i = blockEnd;
        }
        const storeLocal = () => {
          for (const [from, to] of local) {
            for (let i = from; i < to; i++) shard.put(i, values[i - start]);
          }
        };
        if (remote.size === 0) return storeLocal();
        return this.#storeRemote(shard, start, remote).then(storeLocal);
      },
      take: (index) => {
        if (!shard.owns(index)) {
          const owner = ownerOf(shard.layout, index);
          return this.#peers.call(shard, owner, ListOp.Take, [shard.name, index]) as Promise<
            Uint8Array
          >;
        }
        const value = shard.remove(index);
        if (!value) throw new InternalError(`list '${shard.name}' lost item ${index}`);
        return value;
      },
    };
  }

  /** Store segments on their owners; if any owner fails, undo the others and throw. */
  async #storeRemote(shard: ListShard, start: number, remote: Map<number, Segment[]>) {
    const owners = [...remote.keys()];
    const results = await Promise.allSettled(
      owners.map((owner) =>
        this.#peers.call(shard, owner, ListOp.Store, [shard.name, remote.get(owner)])
      ),
    );
    const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (!failure) return;
    // Undo everywhere, including owners that failed late (a timeout): nothing from this
    // batch may survive, because its indexes will be handed out again.
    await Promise.allSettled(
      owners.map((owner) => this.#peers.call(shard, owner, ListOp.Truncate, [shard.name, start])),
    );
    throw failure.reason;
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
