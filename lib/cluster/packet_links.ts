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
    const payload = encodePacket(packet);
    const open = this.#pool.openSession(address);
    if (open) {
      open.push(SWIM_TOPIC, payload);
      return;
    }
    this.#pool.using(address, async (connection) => {
      (await connection.session()).push(SWIM_TOPIC, payload);
    }).catch((error) => this.#membership().unreachable(address, isRefused(error)));
  }
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
