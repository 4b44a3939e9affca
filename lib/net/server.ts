/**
 * A typenet listener: accepts TCP connections, runs the hello, and serves each connection's
 * session with a role's handlers, within the {@link Limits}.
 *
 * Every server also answers two built-in requests: `ping` (answers `"pong"`) and
 * `server.stats` (connections and counters, like Redis's INFO).
 *
 * @example
 * ```ts
 * import { defineHandlers } from "./handlers.ts";
 * import { Server } from "./server.ts";
 * const server = await Server.listen({
 *   hostname: "127.0.0.1",
 *   port: 0,
 *   role: "echo-server",
 *   handlers: defineHandlers({ requests: { echo: (args) => args[0] } }),
 * });
 * console.log(`listening on ${server.address}`);
 * await server.close();
 * ```
 * @module
 */
import { formatAddress, isLoopback } from "../wire/address.ts";
import { AuthError, LimitExceeded, TimeoutError, type TypenetError } from "../wire/errors.ts";
import { Kind } from "../wire/messages.ts";
import { PROTOCOL_VERSION } from "../version.ts";
import { tokenKey } from "./auth.ts";
import type { ByteConn } from "./byte_conn.ts";
import { FramedConn } from "./framed_conn.ts";
import { defineHandlers, type Handlers, mergeHandlers } from "./handlers.ts";
import { AGENT, awaitHello, type ServerAuth } from "./handshake.ts";
import { watchIdle } from "./idle_watch.ts";
import { type Cidr, parseCidr } from "./ip.ts";
import {
  DEFAULT_LIMITS,
  HELLO_MAX_FRAME_BYTES,
  type Limits,
  WRITE_HIGH_WATER_BYTES,
} from "./limits.ts";
import { type Listener, openListener } from "./listener.ts";
import { RefusalLog } from "./refusal_log.ts";
import { Session, type SessionStats } from "./session.ts";
import { loadTls, type TlsOptions } from "./tls.ts";

/** Unread output one connection may pile up past the pause, in frames of the maximum size. */
const OUTPUT_FRAMES = 4;

/** What to serve, where, and to whom. */
export interface ServeOptions {
  /** Address to listen on (default 127.0.0.1). */
  hostname?: string;
  /** Port; 0 picks a free one (default 0). */
  port?: number;
  /** What this server is, sent in the WELCOME (e.g. `"list-server"`). */
  role: string;
  /** The role's operations. */
  handlers: Handlers;
  /** Overrides of {@link DEFAULT_LIMITS}. */
  limits?: Partial<Limits>;
  /** Serve TLS (a certificate and key; a client CA for mutual TLS). */
  tls?: TlsOptions;
  /** Demand this token (proven by HMAC challenge-response) from every client. */
  token?: string;
  /** Also accept this token, granting the admin operations too. */
  adminToken?: string;
  /** Accept only addresses in these blocks (`"10.0.0.0/8"`, `"fd00::/8"`); others are closed unread. */
  allow?: readonly string[];
  /**
   * Accept connections from this machine only, refusing others with `AUTH` — for a server
   * that listens beyond loopback without authentication (as Redis's protected mode does).
   */
  protectedMode?: boolean;
  /**
   * Told of each connection-level problem (bad frames, failed hellos, handler bugs). Refused
   * connections are told at most once per address per minute.
   */
  onError?: (error: unknown, peer: string) => void;
  /** The role's own counters, added to what `server.stats` answers. */
  stats?: () => Record<string, number>;
  /** Receives the PUSH messages clients send (ignored without it). */
  onPush?: (topic: string, payload: unknown, session: Session) => void;
}

/** Who may connect to a server. */
export interface ExposureState {
  /** Only clients on this machine (beyond loopback, no token, no `insecure`). */
  protectedMode: boolean;
  /** Clients must prove a token. */
  authenticated: boolean;
  /** Connections are TLS. */
  tls: boolean;
}

/** Counters for `server.stats`. */
export interface ServerStats extends SessionStats {
  /** Connections open now. */
  connections: number;
  /** Connections accepted since start. */
  accepted: number;
  /** Connections refused (over a connection limit, by protected mode, or a failed hello). */
  refused: number;
  /** Connections closed for being idle. */
  idleClosed: number;
}

/** See the module docs. */
export class Server {
  /** The address actually bound. */
  readonly hostname: string;
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** `host:port` as bound. */
  readonly address: string;
  /** Random per process; sent in every WELCOME. */
  readonly serverId: string = crypto.randomUUID();
  /** Live counters. */
  readonly stats: ServerStats = {
    connections: 0,
    accepted: 0,
    refused: 0,
    idleClosed: 0,
    requests: 0,
    streams: 0,
    items: 0,
  };
  /** Whether connections are TLS. */
  readonly tls: boolean;
  /** Whether clients must prove a token. */
  readonly authenticated: boolean;
  readonly #listener: Listener;
  readonly #options: ServeOptions;
  readonly #limits: Limits;
  readonly #handlers: Handlers;
  readonly #auth: ServerAuth;
  readonly #refusals: RefusalLog;
  readonly #open = new Set<FramedConn>();
  readonly #perAddress = new Map<string, number>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #started = Date.now();
  readonly #acceptLoop: Promise<void>;
  #closing = false;

  private constructor(
    listener: Listener,
    options: ServeOptions,
    limits: Limits,
    auth: ServerAuth,
    refusals: RefusalLog,
  ) {
    this.#listener = listener;
    this.#options = options;
    this.#limits = limits;
    this.#auth = auth;
    this.#refusals = refusals;
    this.tls = options.tls !== undefined;
    this.authenticated = auth.token !== undefined || auth.adminToken !== undefined;
    const addr = listener.addr;
    this.hostname = addr.hostname;
    this.port = addr.port;
    this.address = formatAddress(addr.hostname, addr.port);
    this.#handlers = mergeHandlers(this.#builtins(), options.handlers);
    this.#acceptLoop = this.#accept();
  }

  /**
   * Bind and start serving. Throws `Deno.errors.AddrInUse` and the like as they are, and an
   * `Error` naming the flag for unreadable TLS files or a bad `allow` block.
   */
  static async listen(options: ServeOptions): Promise<Server> {
    const limits = { ...DEFAULT_LIMITS, ...options.limits };
    const allow: Cidr[] = (options.allow ?? []).map((block) => parseCidr(block));
    const auth: ServerAuth = {
      token: options.token === undefined ? undefined : await tokenKey(options.token),
      adminToken: options.adminToken === undefined ? undefined : await tokenKey(options.adminToken),
    };
    const refusals = new RefusalLog((address, what) =>
      options.onError?.(new AuthError(`refused: ${what}`), address)
    );
    const listener = await openListener({
      hostname: options.hostname ?? "127.0.0.1",
      port: options.port ?? 0,
      tls: options.tls ? loadTls(options.tls) : undefined,
      allow,
      handshakeTimeoutMs: limits.handshakeTimeoutMs,
      maxPending: limits.maxConnections,
      onRefused: (address, reason) => refusals.note(address, reason),
    });
    return new Server(listener, options, limits, auth, refusals);
  }

  /** Who may connect: for the line a role prints at start. */
  get security(): ExposureState {
    return {
      protectedMode: this.#options.protectedMode === true,
      authenticated: this.authenticated,
      tls: this.tls,
    };
  }

  /** Stop accepting, close every connection, and wait for their sessions to end. */
  async close(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      this.#listener.close();
      for (const framed of this.#open) framed.close();
    }
    await this.#acceptLoop;
    await Promise.all(this.#tasks);
  }

  async #accept(): Promise<void> {
    let backoffMs = 0;
    while (!this.#closing) {
      let conn: ByteConn;
      try {
        conn = await this.#listener.accept();
        backoffMs = 0;
      } catch (error) {
        if (this.#closing) return;
        // Out of file descriptors, say: wait (5 ms, doubling to 1 s) instead of spinning,
        // and say so once per wait.
        backoffMs = Math.min(1000, backoffMs === 0 ? 5 : backoffMs * 2);
        this.#options.onError?.(error, this.address);
        await new Promise((resume) => setTimeout(resume, backoffMs));
        continue;
      }
      const task = this.#serve(conn).catch((error) => this.#options.onError?.(error, this.address));
      this.#tasks.add(task);
      task.finally(() => this.#tasks.delete(task));
    }
  }

  async #serve(conn: ByteConn): Promise<void> {
    const framed = new FramedConn(conn, HELLO_MAX_FRAME_BYTES);
    const host = (conn.remoteAddr as Deno.NetAddr).hostname;
    const refusal = this.#refusal(host);
    if (refusal) {
      this.stats.refused++;
      this.#refusals.note(host, refusal.message);
      framed.send({ kind: Kind.Error, id: 0, code: refusal.code, message: refusal.message });
      await framed.drained();
      framed.close();
      return;
    }
    this.#open.add(framed);
    this.#perAddress.set(host, (this.#perAddress.get(host) ?? 0) + 1);
    this.stats.accepted++;
    this.stats.connections++;
    try {
      await this.#greetAndServe(framed, host);
    } finally {
      this.#open.delete(framed);
      this.stats.connections--;
      const left = (this.#perAddress.get(host) ?? 1) - 1;
      if (left > 0) this.#perAddress.set(host, left);
      else this.#perAddress.delete(host);
    }
  }

  async #greetAndServe(framed: FramedConn, host: string): Promise<void> {
    let greeted;
    try {
      greeted = await awaitHello(framed, {
        role: this.#options.role,
        maxFrameBytes: this.#limits.maxFrameBytes,
        serverId: this.serverId,
        timeoutMs: this.#limits.handshakeTimeoutMs,
        auth: this.#auth,
        idleTimeoutMs: this.#limits.idleTimeoutMs || undefined,
      });
    } catch (error) {
      if (!this.#closing) {
        this.stats.refused++;
        this.#refusals.note(host, (error as Error).message);
      }
      await framed.drained();
      framed.close();
      return;
    }
    // A connection may owe its peer what it owes before reading pauses, plus a few frames
    // (answers to requests already read), not more.
    framed.maxBacklogBytes = WRITE_HIGH_WATER_BYTES + OUTPUT_FRAMES * this.#limits.maxFrameBytes;
    framed.onOverflow = (backlog) =>
      this.#options.onError?.(
        new LimitExceeded(`${backlog} bytes of answers unread; closing the connection`),
        framed.remote,
      );
    const onPush = this.#options.onPush;
    const session: Session = new Session(framed, {
      initiator: false,
      label: framed.remote,
      handlers: this.#handlers,
      maxInFlight: this.#limits.maxInFlight,
      maxStreams: this.#limits.maxStreams,
      remoteRole: greeted.hello.role,
      access: greeted.access,
      stats: this.stats,
      onError: (error) => this.#options.onError?.(error, framed.remote),
      onPush: onPush && ((topic, payload) => onPush(topic, payload, session)),
    });
    const idleMs = this.#limits.idleTimeoutMs;
    if (idleMs > 0) {
      watchIdle(session, idleMs, () => {
        this.stats.idleClosed++;
        session.closeWith(new TimeoutError(`idle for ${idleMs} ms; closing the connection`));
      });
    }
    if (this.#closing) session.close();
    await session.closed;
  }

  /** Why a new connection is turned away, if it is. */
  #refusal(host: string): TypenetError | undefined {
    if (this.#options.protectedMode && !isLoopback(host)) {
      return new AuthError(
        `protected mode: this server listens on ${this.hostname} without authentication, so ` +
          `it accepts clients on its own machine only; start it with a token (--token-file) ` +
          `to accept clients that prove it, or --insecure to accept anyone who can reach it`,
      );
    }
    if (this.#open.size >= this.#limits.maxConnections) {
      return new LimitExceeded(
        `too many connections (limit ${this.#limits.maxConnections}); try again later`,
      );
    }
    if ((this.#perAddress.get(host) ?? 0) >= this.#limits.maxConnectionsPerAddress) {
      return new LimitExceeded(
        `too many connections from ${host} (limit ${this.#limits.maxConnectionsPerAddress}); ` +
          `try again later`,
      );
    }
    return undefined;
  }

  #builtins(): Handlers {
    return defineHandlers({
      requests: {
        "ping": () => "pong",
        "server.ops": () => ({
          requests: [...this.#handlers.requests.keys()].sort(),
          streams: [...this.#handlers.streams.keys()].sort(),
        }),
        "server.stats": () => ({
          role: this.#options.role,
          agent: AGENT,
          protocol: PROTOCOL_VERSION,
          serverId: this.serverId,
          uptimeMs: Date.now() - this.#started,
          rssBytes: Deno.memoryUsage().rss,
          heapBytes: Deno.memoryUsage().heapUsed,
          ...this.stats,
          ...this.#options.stats?.(),
        }),
      },
    });
  }
}
