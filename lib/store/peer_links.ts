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
 * nodes), so they live in a bounded `ConnectionPool` (at most 512, idle ones closed after 60 s).
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
import { DataLost, NotFound } from "../wire/errors.ts";
import { ListOp } from "../wire/list_protocol.ts";
import { ConnectionPool, type PoolLimits } from "../net/connection_pool.ts";
import type { ConnectOptions } from "../net/connect.ts";
import type { ListShard } from "./list_shard.ts";

/** See the module docs. */
export class PeerLinks {
  readonly #pool: ConnectionPool;
  readonly #expectsItems: (shard: ListShard, peer: number) => boolean;

  /**
   * Links that connect with these timeouts. `expectsItems(shard, peer)` says whether node
   * `peer` should hold items of the list by now.
   */
  constructor(
    timeouts: ConnectOptions = {},
    expectsItems: (shard: ListShard, peer: number) => boolean = () => false,
    limits: Partial<PoolLimits> = {},
  ) {
    this.#pool = new ConnectionPool({ ...timeouts, role: "peer" }, limits);
    this.#expectsItems = expectsItems;
  }

  /** Links open now. */
  get size(): number {
    return this.#pool.size;
  }

  /** Call `op` on node `peer` of `shard`'s list. */
  call(shard: ListShard, peer: number, op: string, args: unknown[]): Promise<unknown> {
    return this.#pool.using(shard.layout.nodes[peer], async (link) => {
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
  /**
   * Send node `peer` of `shard`'s list a PUSH on the link already open to it (after a store,
   * say), in order with the requests on that link; nothing if no link is open.
   */
  push(shard: ListShard, peer: number, topic: string, payload: unknown): void {
    this.#pool.openSession(shard.layout.nodes[peer])?.push(topic, payload);
  }

  maxFrameBytes(address: string): Promise<number> {
    return this.#pool.using(address, async (link) => {
      await link.session();
      return link.welcome!.maxFrameBytes;
    });
  }

  /** Call `op` on the server at `address`, as it is (no re-open on `NOT_FOUND`). */
  request(address: string, op: string, args: unknown[]): Promise<unknown> {
    return this.#pool.using(address, (link) => link.request(op, args));
  }

  /** Close every link. */
  close(): Promise<void> {
    return this.#pool.close();
  }
}
