/**
 * How an event reaches a member: straight over this node's link to its cluster port when the
 * two can reach each other, and otherwise *relayed* through a member that reaches both (tried
 * among up to three). A member once relayed is tried directly again every
 * {@link DIRECT_RETRY_MS}, so a route that heals goes back to direct. A direct delivery is tried
 * another way only when it certainly did not happen (no connection could be made); a relayed one
 * whose relay failed goes through the next helper even if the failure came mid-request, and the
 * receiver drops the duplicate (by message id) if the first copy did arrive.
 *
 * @example
 * ```ts
 * import { EventRouter } from "./event_router.ts";
 * // const router = new EventRouter(pool, () => membership, { requestTimeoutMs: 10_000 });
 * // const reply = await router.deliver(member, [event, payload, from, "send", id]);
 * ```
 * @module
 */
import { type MemberRecord, NodeOp } from "../wire/cluster_protocol.ts";
import { Unavailable, Unreachable } from "../wire/errors.ts";
import type { ConnectionPool } from "../net/connection_pool.ts";
import type { Membership } from "./membership.ts";

/** How long a relayed member waits before the direct route is tried again. */
export const DIRECT_RETRY_MS = 5_000;

/** How a member is reached from here. */
export type Route = "self" | "direct" | "relay" | "none";

interface Relayed {
  /** The member that relays for us. */
  via: string;
  /** When the direct route last failed. */
  since: number;
}

/** See the module docs. */
export class EventRouter {
  readonly #pool: ConnectionPool;
  readonly #membership: () => Membership;
  readonly #timeoutMs: number;
  readonly #relayed = new Map<string, Relayed>();
  #version = 0;

  /** Deliver over `pool`'s links, with requests waiting at most `requestTimeoutMs`. */
  constructor(
    pool: ConnectionPool,
    membership: () => Membership,
    options: { requestTimeoutMs: number },
  ) {
    this.#pool = pool;
    this.#membership = membership;
    this.#timeoutMs = options.requestTimeoutMs;
  }

  /** Changes whenever a member's route does. */
  get version(): number {
    return this.#version;
  }

  /** How member `id` is reached now. */
  route(member: MemberRecord): Route {
    if (member.id === this.#membership().self.id) return "self";
    if (member.state === "dead" || member.state === "left") return "none";
    return this.#relayed.has(member.id) ? "relay" : "direct";
  }

  /** The member that relays for `id`, if it is relayed. */
  via(id: string): string | undefined {
    return this.#relayed.get(id)?.via;
  }

  /**
   * Call `node.event` with `args` on `member` (directly or relayed); resolves to its answer.
   * Rejects with the member's typed error, or `Unavailable` if no route reached it.
   */
  async deliver(
    member: MemberRecord,
    args: unknown[],
    timeoutMs = this.#timeoutMs,
  ): Promise<unknown> {
    const relayed = this.#relayed.get(member.id);
    if (!relayed || Date.now() - relayed.since >= DIRECT_RETRY_MS) {
      try {
        const answer = await this.direct(member.address, NodeOp.Event, args, timeoutMs);
        if (this.#relayed.delete(member.id)) this.#version++;
        return answer;
      } catch (error) {
        if (!cannotConnect(error)) throw error;
        return await this.#relay(member, args, timeoutMs, error);
      }
    }
    return await this.#relay(member, args, timeoutMs, undefined);
  }

  /** Call `op` at `address` over this node's own link (no relay). */
  direct(
    address: string,
    op: string,
    args: unknown[],
    timeoutMs = this.#timeoutMs,
  ): Promise<unknown> {
    return this.#pool.using(address, (link) => link.request(op, args, { timeoutMs }));
  }

  /** Try up to three members that reach us directly, the last one that worked first. */
  async #relay(
    member: MemberRecord,
    args: unknown[],
    timeoutMs: number,
    directFailure: unknown,
  ): Promise<unknown> {
    const membership = this.#membership();
    const self = membership.self.id;
    const previous = this.#relayed.get(member.id)?.via;
    const candidates = membership.members().filter((m) =>
      m.id !== self && m.id !== member.id && m.state === "alive" && !this.#relayed.has(m.id)
    );
    candidates.sort((a, b) => (b.id === previous ? 1 : 0) - (a.id === previous ? 1 : 0));
    let failure = directFailure;
    for (const helper of candidates.slice(0, 3)) {
      try {
        const answer = await this.direct(
          helper.address,
          NodeOp.Relay,
          [member.id, ...args],
          timeoutMs,
        );
        const since = directFailure === undefined
          ? this.#relayed.get(member.id)?.since ?? Date.now()
          : Date.now();
        if (this.#relayed.get(member.id)?.via !== helper.id) this.#version++;
        this.#relayed.set(member.id, { via: helper.id, since });
        return answer;
      } catch (error) {
        // Only "could not reach" moves on to the next helper; the member's own answer
        // (an error from its handler) is the answer.
        if (!(error instanceof Unavailable) && !cannotConnect(error)) throw error;
        failure = error;
      }
    }
    if (failure instanceof Error) throw failure;
    throw new Unavailable(`member ${member.id} (${member.address}) could not be reached`);
  }
}

/** A connection could not even be made (so nothing was delivered): refused, filtered, denied. */
export function cannotConnect(error: unknown): boolean {
  return error instanceof Unreachable || error instanceof Deno.errors.NotCapable;
}
