/**
 * The list server role: a typenet listener serving the list operations, with links to the
 * other servers of its lists. `typenet server` runs one; so can a program.
 *
 * Memory only: a restart forgets every list (a data directory comes later).
 *
 * @example
 * ```ts
 * import { ListServer } from "./list_server.ts";
 * const server = ListServer.start({ hostname: "127.0.0.1", port: 0 });
 * console.log(`typenet server listening on ${server.address}`);
 * await server.close();
 * ```
 * @module
 */
import { isLoopback } from "../wire/address.ts";
import type { Limits, Timeouts } from "../net/limits.ts";
import { Server } from "../net/server.ts";
import { ListService } from "./list_service.ts";

/** Where and how to serve. */
export interface ListServerOptions {
  /** Address to listen on (default 127.0.0.1). */
  hostname?: string;
  /** Port (default 4444; 0 picks a free one). */
  port?: number;
  /** Overrides of the listener's limits. */
  limits?: Partial<Limits>;
  /**
   * Accept clients from other machines although there is no authentication. Without it, a
   * server listening beyond loopback accepts clients on its own machine only (protected mode).
   */
  insecure?: boolean;
  /** Timeouts for links to other servers. */
  peerTimeouts?: Partial<Timeouts>;
  /** Told of connection-level problems (a client's bad frame, a failed hello). */
  onError?: (error: unknown, peer: string) => void;
}

/**
 * Timeouts for server-to-server links: shorter than a client's (5 s and 10 s by default), so
 * that when a peer is down the client hears the home's `UNAVAILABLE` naming that peer rather
 * than its own timeout.
 */
export const DEFAULT_PEER_TIMEOUTS: Timeouts = { connectTimeoutMs: 2_000, requestTimeoutMs: 5_000 };

/** The default list server port. */
export const DEFAULT_LIST_PORT = 4444;

/** See the module docs. */
export class ListServer {
  /** `host:port` as bound. */
  readonly address: string;
  /** Whether clients from other machines are refused (see {@link ListServerOptions.insecure}). */
  readonly protectedMode: boolean;
  /** The port actually bound. */
  readonly port: number;
  readonly #server: Server;
  readonly #service: ListService;

  private constructor(server: Server, service: ListService, protectedMode: boolean) {
    this.#server = server;
    this.#service = service;
    this.address = server.address;
    this.port = server.port;
    this.protectedMode = protectedMode;
  }

  /** Bind and serve. Throws `Deno.errors.AddrInUse` if the port is taken. */
  static start(options: ListServerOptions = {}): ListServer {
    const protectedMode = !options.insecure && !isLoopback(options.hostname ?? "127.0.0.1");
    const service = new ListService({ ...DEFAULT_PEER_TIMEOUTS, ...options.peerTimeouts });
    const server = Server.listen({
      hostname: options.hostname ?? "127.0.0.1",
      port: options.port ?? DEFAULT_LIST_PORT,
      role: "list-server",
      handlers: service.handlers,
      limits: options.limits,
      protectedMode,
      onError: options.onError,
      stats: () => service.stats(),
    });
    return new ListServer(server, service, protectedMode);
  }

  /** Stop: close the listener, every client connection and every peer link. */
  async close(): Promise<void> {
    await this.#server.close();
    await this.#service.close();
  }
}
