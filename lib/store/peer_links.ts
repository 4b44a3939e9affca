/**
 * The list server's links to the other servers of its lists, made with the same client code
 * users run (`Connection`, role `"peer"`). The home uses them to store items on their owners
 * and to serve negative indexes that resolve to another node's block.
 *
 * A peer that restarted has forgotten the list. A call answered `NOT_FOUND` opens the list on
 * that peer again and is retried once — unless the peer should be holding items of it, in
 * which case they are lost and the call fails with `DATA_LOST` rather than carry on over a hole.
 *
 * Links are per address, and addresses come from what clients send (a layout names up to 256
 * nodes), so they are bounded: a link no call has used for `idleMs` is closed, and when
 * `maxLinks` are open the least recently used idle one makes room; if every link is busy, a
 * call to a new address fails with `LIMIT`.
 *
 * @example
 * ```ts
 * import { PeerLinks } from "./peer_links.ts";
 * const peers = new PeerLinks({ requestTimeoutMs: 5000 }, () => false);
 * // await peers.call(shard, 1, "list.store", [name, first, values]);
 * await peers.close();
 * ```
 * @module
 */
import { DataLost, LimitExceeded, NotFound } from "../wire/errors.ts";
import { ListOp } from "../wire/list_protocol.ts";
import { Connection } from "../net/connection.ts";
import type { Timeouts } from "../net/limits.ts";
import type { ListShard } from "./list_shard.ts";

/** How many links a server keeps, and for how long an unused one stays open. */
export interface PeerLinkLimits {
  /** Links open at once (default 512: two lists' worth of the largest layout). */
  maxLinks: number;
  /** A link no call has used for this long is closed (default 60 s). */
  idleMs: number;
}

/** The defaults of {@link PeerLinkLimits}. */
export const DEFAULT_PEER_LINK_LIMITS: Readonly<PeerLinkLimits> = Object.freeze({
  maxLinks: 512,
  idleMs: 60_000,
});

interface Link {
  connection: Connection;
  /** Calls in flight on it: a busy link is never closed for room or idleness. */
  busy: number;
  lastUsed: number;
}

/** See the module docs. */
export class PeerLinks {
  /** In order of last use, least recent first (a Map keeps insertion order). */
  readonly #links = new Map<string, Link>();
  readonly #timeouts: Partial<Timeouts>;
  readonly #expectsItems: (shard: ListShard, peer: number) => boolean;
  readonly #limits: PeerLinkLimits;
  #sweeper: ReturnType<typeof setInterval> | undefined;

  /**
   * Links that connect with these timeouts. `expectsItems(shard, peer)` says whether node
   * `peer` should hold items of the list by now.
   */
  constructor(
    timeouts: Partial<Timeouts> = {},
    expectsItems: (shard: ListShard, peer: number) => boolean = () => false,
    limits: Partial<PeerLinkLimits> = {},
  ) {
    this.#timeouts = timeouts;
    this.#expectsItems = expectsItems;
    this.#limits = { ...DEFAULT_PEER_LINK_LIMITS, ...limits };
  }

  /** Links open now. */
  get size(): number {
    return this.#links.size;
  }

  /** Call `op` on node `peer` of `shard`'s list. */
  call(shard: ListShard, peer: number, op: string, args: unknown[]): Promise<unknown> {
    return this.#using(shard.layout.nodes[peer], async (link) => {
      try {
        return await link.request(op, args);
      } catch (error) {
        if (!(error instanceof NotFound)) throw error;
        if (this.#expectsItems(shard, peer)) {
          throw new DataLost(
            `${link.address} no longer has list '${shard.name}' and the items it held ` +
              `(did it restart? servers keep lists in memory only)`,
          );
        }
        await link.request(ListOp.Open, [shard.name, shard.layout, peer]);
        return await link.request(op, args);
      }
    });
  }

  /** The largest frame the server at `address` accepts (connecting first if need be). */
  maxFrameBytes(address: string): Promise<number> {
    return this.#using(address, async (link) => {
      await link.session();
      return link.welcome!.maxFrameBytes;
    });
  }

  /** Call `op` on the server at `address`, as it is (no re-open on `NOT_FOUND`). */
  request(address: string, op: string, args: unknown[]): Promise<unknown> {
    return this.#using(address, (link) => link.request(op, args));
  }

  /** Close every link. */
  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    const links = [...this.#links.values()];
    this.#links.clear();
    for (const link of links) link.connection.close();
    await Promise.all(links.map((link) => link.connection.idle()));
  }

  /** Run `work` on the link to `address`, which counts as busy until it settles. */
  async #using<T>(address: string, work: (connection: Connection) => Promise<T>): Promise<T> {
    const link = this.#link(address);
    link.busy++;
    try {
      return await work(link.connection);
    } finally {
      link.busy--;
      link.lastUsed = Date.now();
    }
  }

  #link(address: string): Link {
    let link = this.#links.get(address);
    if (link) {
      // Move it to the end: the map stays in order of use.
      this.#links.delete(address);
    } else {
      if (this.#links.size >= this.#limits.maxLinks) this.#evictOne();
      link = {
        connection: new Connection(address, { ...this.#timeouts, role: "peer" }),
        busy: 0,
        lastUsed: Date.now(),
      };
      this.#startSweeping();
    }
    this.#links.set(address, link);
    return link;
  }

  /** Close the least recently used idle link, or fail if every link is busy. */
  #evictOne(): void {
    for (const [address, link] of this.#links) {
      if (link.busy === 0) {
        this.#links.delete(address);
        link.connection.close();
        return;
      }
    }
    throw new LimitExceeded(
      `this server has ${this.#limits.maxLinks} links to other servers in use; try again later`,
    );
  }

  #startSweeping(): void {
    if (this.#sweeper !== undefined) return;
    const every = Math.max(10, Math.min(this.#limits.idleMs, 10_000));
    const sweeper = setInterval(() => this.#sweep(), every);
    // Idle links must not keep a process alive that is otherwise done.
    Deno.unrefTimer(sweeper);
    this.#sweeper = sweeper;
  }

  #sweep(): void {
    const cutoff = Date.now() - this.#limits.idleMs;
    for (const [address, link] of this.#links) {
      if (link.busy === 0 && link.lastUsed <= cutoff) {
        this.#links.delete(address);
        link.connection.close();
      }
    }
    if (this.#links.size === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }
}
