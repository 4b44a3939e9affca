/**
 * Which connection holds which handlers. A slot is freed when its holder gives it back, when
 * its connection closes, and when the connection has sent nothing for `idleMs`: a peer that
 * died without closing (a laptop that left the Wi-Fi) or one that holds handlers and says
 * nothing must not keep the pool full. The reference client sends a `gw.ping` every third of
 * that time while it holds a handler.
 *
 * @example
 * ```ts ignore
 * import { Leases } from "./leases.ts";
 * const leases = new Leases(pool, 60_000);
 * const slot = await leases.acquire(session, 0);
 * leases.release(session, slot.id);
 * leases.stop();
 * ```
 * @module
 */
import { BadArgument, TimeoutError } from "../wire/errors.ts";
import type { Session } from "../net/session.ts";
import type { HandlerPool, Slot } from "./handler_pool.ts";

/** The default time a connection holding handlers may stay silent. */
export const DEFAULT_LEASE_IDLE_MS = 60_000;

/** What one connection holds, and when it was last heard from. */
interface Holder {
  slots: Set<Slot>;
  received: number;
  heardAt: number;
}

/** See the module docs. */
export class Leases {
  /** A connection holding handlers that sends nothing for this long loses them. */
  readonly idleMs: number;
  readonly #pool: HandlerPool;
  readonly #holders = new Map<Session, Holder>();
  readonly #sweeper: ReturnType<typeof setInterval>;

  constructor(pool: HandlerPool, idleMs: number) {
    this.#pool = pool;
    this.idleMs = idleMs;
    this.#sweeper = setInterval(() => this.#sweep(), Math.max(50, Math.floor(idleMs / 4)));
    Deno.unrefTimer(this.#sweeper);
  }

  /** Take a slot for `session`, freed when it lets go, disconnects or falls silent. */
  async acquire(session: Session, waitMs: number): Promise<Slot> {
    const slot = await this.#pool.acquire(waitMs);
    if (!session.isOpen) {
      this.#pool.release(slot);
      throw new BadArgument("the connection closed while waiting for a handler");
    }
    let holder = this.#holders.get(session);
    if (!holder) {
      holder = { slots: new Set(), received: session.received, heardAt: Date.now() };
      this.#holders.set(session, holder);
      session.closed.then(() => this.#releaseAll(session));
    }
    holder.slots.add(slot);
    return slot;
  }

  /** The slot `id` if `session` holds it. */
  slot(session: Session, id: number): Slot {
    for (const slot of this.#holders.get(session)?.slots ?? []) if (slot.id === id) return slot;
    throw new BadArgument(
      `handler ${id} is not held by this connection (ask for one with getClient)`,
    );
  }

  /** Let go of slot `id`. */
  release(session: Session, id: number): void {
    const slot = this.slot(session, id);
    this.#holders.get(session)!.slots.delete(slot);
    this.#pool.release(slot);
  }

  /** Stop watching for silent holders. */
  stop(): void {
    clearInterval(this.#sweeper);
  }

  #releaseAll(session: Session): void {
    const holder = this.#holders.get(session);
    this.#holders.delete(session);
    for (const slot of holder?.slots ?? []) this.#pool.release(slot);
  }

  /** Close the connections that held handlers and said nothing for `idleMs`. */
  #sweep(): void {
    const now = Date.now();
    for (const [session, holder] of this.#holders) {
      if (session.received !== holder.received) {
        holder.received = session.received;
        holder.heardAt = now;
      } else if (holder.slots.size > 0 && now - holder.heardAt >= this.idleMs) {
        const ids = [...holder.slots].map((slot) => slot.id).join(", ");
        this.#releaseAll(session);
        session.closeWith(
          new TimeoutError(
            `nothing heard for ${this.idleMs} ms from a connection holding handler ${ids}; ` +
              "it was given back (a client must send something, a ping say, more often)",
          ),
        );
      }
    }
  }
}
