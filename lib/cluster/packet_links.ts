/**
 * The membership's packets over typenet connections: each packet is a PUSH (topic `"swim"`,
 * the packet encoded as a `bin`) on this node's link to the member's cluster port, fire and
 * forget. Links come from a
 * bounded `ConnectionPool` shared with event delivery. When a link cannot be made the
 * membership hears of it — and whether the port *refused* (the process is gone) — and when an
 * open link breaks it probes that member at once.
 *
 * @example
 * ```ts
 * import { PacketLinks } from "./packet_links.ts";
 * import { ConnectionPool } from "../net/connection_pool.ts";
 * // const links = new PacketLinks(pool, () => membership);
 * // new Membership({ net: links, … })
 * ```
 * @module
 */
import { encodePacket, type Packet, SWIM_TOPIC } from "../wire/cluster_protocol.ts";
import type { ConnectionPool } from "../net/connection_pool.ts";
import type { Session } from "../net/session.ts";
import type { ClusterNet, Membership } from "./membership.ts";

/** See the module docs. */
export class PacketLinks implements ClusterNet {
  readonly #pool: ConnectionPool;
  readonly #membership: () => Membership;

  /** Packets over `pool`'s links; failures are told to `membership()`. */
  constructor(pool: ConnectionPool, membership: () => Membership) {
    this.#pool = pool;
    this.#membership = membership;
  }

  /** Send `packet` to the member at `address`; never throws. */
  send(address: string, packet: Packet): void {
    const open = this.#pool.openSession(address);
    if (open) {
      this.#push(open, address, packet);
      return;
    }
    this.#pool.using(address, async (connection) => {
      this.#push(await connection.session(), address, packet);
    }).catch((error) => this.#membership().unreachable(address, isRefused(error)));
  }

  /** Push `packet`, trimmed to the peer's frame limit if need be. */
  #push(session: Session, address: string, packet: Packet): void {
    try {
      session.push(SWIM_TOPIC, fitted(packet, session.peerMaxFrameBytes - FRAME_ROOM));
    } catch {
      // The link broke as we wrote: as good as unreachable this time.
      this.#membership().unreachable(address, false);
    }
  }
}

/** Bytes a PUSH frame needs around its payload. */
const FRAME_ROOM = 64;

/**
 * `packet` encoded in at most `limit` bytes: a packet too big for the peer (a full view, say,
 * for a peer with a small frame limit) carries half its records, then half again, its sender's
 * own record kept first — news that does not fit now goes out in a later packet.
 *
 * @example
 * ```ts
 * import { fitted } from "./packet_links.ts";
 * fitted({ type: "gossip", from: "n1", updates: [] }, 1024).length; // a few bytes
 * ```
 */
export function fitted(packet: Packet, limit: number): Uint8Array {
  let current = packet;
  let encoded = encodePacket(current);
  while (encoded.length > limit) {
    if (current.type === "sync") {
      if (current.members.length <= 1) break;
      current = {
        ...current,
        members: current.members.slice(0, Math.ceil(current.members.length / 2)),
      };
    } else {
      if (current.updates.length === 0) break;
      current = {
        ...current,
        updates: current.updates.slice(0, Math.floor(current.updates.length / 2)),
      };
    }
    encoded = encodePacket(current);
  }
  return encoded;
}

/**
 * Whether a failure to connect was a refusal: the host answered, nothing listens on the port.
 *
 * @example
 * ```ts
 * import { isRefused } from "./packet_links.ts";
 * isRefused(new Deno.errors.ConnectionRefused("refused")); // true
 * ```
 */
export function isRefused(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause) {
    if (e instanceof Deno.errors.ConnectionRefused) return true;
  }
  return false;
}
