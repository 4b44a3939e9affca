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
import type { Limits, Timeouts } from "../net/limits.ts";
import { Server } from "../net/server.ts";
import { ListService } from "./list_service.ts";
import { PeerLinks } from "./peer_links.ts";

/** Where and how to serve. */
export interface ListServerOptions {
  /** Address to listen on (default 127.0.0.1). */
  hostname?: string;
  /** Port (default 4444; 0 picks a free one). */
  port?: number;
  /** Overrides of the listener's limits. */
  limits?: Partial<Limits>;
  /** Timeouts for links to other servers. */
  peerTimeouts?: Partial<Timeouts>;
  /** Told of connection-level problems (a client's bad frame, a failed hello). */
  onError?: (error: unknown, peer: string) => void;
}

/** The default list server port. */
export const DEFAULT_LIST_PORT = 4444;

/** See the module docs. */
export class ListServer {
  /** `host:port` as bound. */
  readonly address: string;
  /** The port actually bound. */
  readonly port: number;
  readonly #server: Server;
  readonly #peers: PeerLinks;

  private constructor(server: Server, peers: PeerLinks) {
    this.#server = server;
    this.#peers = peers;
    this.address = server.address;
    this.port = server.port;
  }

  /** Bind and serve. Throws `Deno.errors.AddrInUse` if the port is taken. */
  static start(options: ListServerOptions = {}): ListServer {
    const peers = new PeerLinks(options.peerTimeouts);
    const service = new ListService(peers);
    const server = Server.listen({
      hostname: options.hostname ?? "127.0.0.1",
      port: options.port ?? DEFAULT_LIST_PORT,
      role: "list-server",
      handlers: service.handlers,
      limits: options.limits,
      onError: options.onError,
    });
    return new ListServer(server, peers);
  }

  /** Stop: close the listener, every client connection and every peer link. */
  async close(): Promise<void> {
    await this.#server.close();
    await this.#peers.close();
  }
}
