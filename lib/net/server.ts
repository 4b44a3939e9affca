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
 * const server = Server.listen({
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
import { AuthError, LimitExceeded, type TypenetError } from "../wire/errors.ts";
import { Kind } from "../wire/messages.ts";
import { PROTOCOL_VERSION } from "../version.ts";
import { FramedConn } from "./framed_conn.ts";
import { defineHandlers, type Handlers, mergeHandlers } from "./handlers.ts";
import { AGENT, awaitHello } from "./handshake.ts";
import {
  DEFAULT_LIMITS,
  HELLO_MAX_FRAME_BYTES,
  type Limits,
  WRITE_HIGH_WATER_BYTES,
} from "./limits.ts";
import { Session, type SessionStats } from "./session.ts";

/** Unread output one connection may pile up past the pause, in frames of the maximum size. */
const OUTPUT_FRAMES = 4;

/** What to serve, where. */
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
  /**
   * Accept connections from this machine only, refusing others with `AUTH` — for a server
   * that listens beyond loopback without authentication (as Redis's protected mode does).
   */
  protectedMode?: boolean;
  /** Told of each connection-level problem (bad frames, failed hellos, handler bugs). */
  onError?: (error: unknown, peer: string) => void;
  /** The role's own counters, added to what `server.stats` answers. */
  stats?: () => Record<string, number>;
  /** Receives the PUSH messages clients send (ignored without it). */
  onPush?: (topic: string, payload: unknown, session: Session) => void;
}

/** Counters for `server.stats`. */
export interface ServerStats extends SessionStats {
  /** Connections open now. */
  connections: number;
  /** Connections accepted since start. */
  accepted: number;
  /** Connections refused (over the connection limit, or by protected mode). */
  refused: number;
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
    requests: 0,
    streams: 0,
    items: 0,
  };
  readonly #listener: Deno.TcpListener;
  readonly #options: ServeOptions;
  readonly #limits: Limits;
  readonly #handlers: Handlers;
  readonly #open = new Set<FramedConn>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #started = Date.now();
  readonly #acceptLoop: Promise<void>;
  #closing = false;

  private constructor(listener: Deno.TcpListener, options: ServeOptions) {
    this.#listener = listener;
    this.#options = options;
    this.#limits = { ...DEFAULT_LIMITS, ...options.limits };
    const addr = listener.addr;
    this.hostname = addr.hostname;
    this.port = addr.port;
    this.address = formatAddress(addr.hostname, addr.port);
    this.#handlers = mergeHandlers(this.#builtins(), options.handlers);
    this.#acceptLoop = this.#accept();
  }

  /** Bind and start serving. Throws `Deno.errors.AddrInUse` and the like as they are. */
  static listen(options: ServeOptions): Server {
    const listener = Deno.listen({
      hostname: options.hostname ?? "127.0.0.1",
      port: options.port ?? 0,
    });
    return new Server(listener, options);
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
      let conn: Deno.TcpConn;
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

  async #serve(conn: Deno.TcpConn): Promise<void> {
    const framed = new FramedConn(conn, HELLO_MAX_FRAME_BYTES);
    const refusal = this.#refusal(conn);
    if (refusal) {
      this.stats.refused++;
      framed.send({ kind: Kind.Error, id: 0, code: refusal.code, message: refusal.message });
      await framed.drained();
      framed.close();
      return;
    }
    this.#open.add(framed);
    this.stats.accepted++;
    this.stats.connections++;
    let hello;
    try {
      hello = await awaitHello(framed, {
        role: this.#options.role,
        maxFrameBytes: this.#limits.maxFrameBytes,
        serverId: this.serverId,
        timeoutMs: this.#limits.handshakeTimeoutMs,
      });
    } catch (error) {
      if (!this.#closing) this.#options.onError?.(error, framed.remote);
      await framed.drained();
      framed.close();
      this.#forget(framed);
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
      remoteRole: hello.role,
      stats: this.stats,
      onError: (error) => this.#options.onError?.(error, framed.remote),
      onPush: onPush && ((topic, payload) => onPush(topic, payload, session)),
    });
    if (this.#closing) session.close();
    await session.closed;
    this.#forget(framed);
  }

  /** Why a new connection is turned away, if it is. */
  #refusal(conn: Deno.TcpConn): TypenetError | undefined {
    if (this.#options.protectedMode && !isLoopback(conn.remoteAddr.hostname)) {
      return new AuthError(
        `protected mode: this server listens on ${this.hostname} without authentication, so ` +
          `it accepts clients on its own machine only; start it with --insecure to accept ` +
          `anyone who can reach it`,
      );
    }
    if (this.#open.size >= this.#limits.maxConnections) {
      return new LimitExceeded(
        `too many connections (limit ${this.#limits.maxConnections}); try again later`,
      );
    }
    return undefined;
  }

  #forget(framed: FramedConn): void {
    this.#open.delete(framed);
    this.stats.connections--;
  }

  #builtins(): Handlers {
    return defineHandlers({
      requests: {
        "ping": () => "pong",
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
