/**
 * Lasting links to many servers, one `Connection` per address, bounded: a link no call has
 * used for `idleMs` is closed, and when `maxLinks` are open the least recently used idle one
 * makes room for a new address; if every link is busy, a call to a new address fails with
 * `LIMIT`. Roles whose addresses come from what peers send (the list server's other nodes,
 * a cluster's members) keep their links here, so no peer can make them hold links without end.
 *
 * @example
 * ```ts
 * import { ConnectionPool } from "./connection_pool.ts";
 * const pool = new ConnectionPool({ role: "peer", requestTimeoutMs: 5000 });
 * const pong = await pool.using("127.0.0.1:4444", (link) => link.request("ping", []));
 * await pool.close();
 * ```
 * @module
 */
import { LimitExceeded } from "../wire/errors.ts";
import { Connection, type ConnectionOptions } from "./connection.ts";
import type { Session } from "./session.ts";

/** How many links a pool keeps, and for how long an unused one stays open. */
export interface PoolLimits {
  /** Links open at once (default 512). */
  maxLinks: number;
  /** A link no call has used for this long is closed (default 60 s). */
  idleMs: number;
}

/** The defaults of {@link PoolLimits}. */
export const DEFAULT_POOL_LIMITS: Readonly<PoolLimits> = Object.freeze({
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
export class ConnectionPool {
  /** In order of last use, least recent first (a Map keeps insertion order). */
  readonly #links = new Map<string, Link>();
  readonly #options: ConnectionOptions;
  readonly #limits: PoolLimits;
  #sweeper: ReturnType<typeof setInterval> | undefined;
  #closed = false;
  /** The address last moved to the end of the use order (moving it again changes nothing). */
  #mostRecent: string | undefined;

  /** A pool whose links connect with `options`, within `limits`. */
  constructor(options: ConnectionOptions = {}, limits: Partial<PoolLimits> = {}) {
    this.#options = options;
    this.#limits = { ...DEFAULT_POOL_LIMITS, ...limits };
  }

  /** Links open now. */
  get size(): number {
    return this.#links.size;
  }

  /** Run `work` on the link to `address`, which counts as busy until it settles. */
  async using<T>(address: string, work: (link: Connection) => Promise<T>): Promise<T> {
    const link = this.#link(address);
    link.busy++;
    try {
      return await work(link.connection);
    } finally {
      link.busy--;
      link.lastUsed = Date.now();
    }
  }

  /** The link to `address` if one is open (for a quick look; use {@link using} to call). */
  peek(address: string): Connection | undefined {
    return this.#links.get(address)?.connection;
  }

  /**
   * The open session to `address`, if there is one, counted as a use of its link — for
   * sending without waiting (a push); undefined if it would have to connect first.
   */
  openSession(address: string): Session | undefined {
    const link = this.#links.get(address);
    const session = link?.connection.openSession();
    if (!link || !session) return undefined;
    link.lastUsed = Date.now();
    if (this.#mostRecent !== address) {
      this.#links.delete(address);
      this.#links.set(address, link);
      this.#mostRecent = address;
    }
    return session;
  }

  /** Close the link to `address`, if any (its calls in flight fail). */
  drop(address: string): void {
    const link = this.#links.get(address);
    if (!link) return;
    this.#links.delete(address);
    link.connection.close();
  }

  /** Close every link; later calls fail with `Unavailable`. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    const links = [...this.#links.values()];
    this.#links.clear();
    for (const link of links) link.connection.close();
    await Promise.all(links.map((link) => link.connection.idle()));
  }

  #link(address: string): Link {
    let link = this.#links.get(address);
    this.#mostRecent = address;
    if (link) {
      // Move it to the end: the map stays in order of use.
      this.#links.delete(address);
    } else {
      if (this.#links.size >= this.#limits.maxLinks) this.#evictOne();
      const connection = new Connection(address, this.#options);
      if (this.#closed) connection.close();
      link = { connection, busy: 0, lastUsed: Date.now() };
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
    if (this.#sweeper !== undefined || this.#closed) return;
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
