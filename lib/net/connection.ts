/**
 * A client's lasting link to one server address: it connects on first use, and after the
 * connection is lost (the server restarted, say) the next call connects again by itself.
 *
 * Calls in flight when a connection drops fail with `Unavailable` naming the server; they are
 * not replayed, because a request such as an append must not run twice. A call that could
 * not even connect fails with `Unreachable` (an `Unavailable` that certainly had no effect). `onConnect` runs on
 * every new connection before any call uses it — the place to re-establish per-connection
 * state (the List re-registers its layout there).
 *
 * @example
 * ```ts
 * import { Connection } from "./connection.ts";
 * const server = new Connection("127.0.0.1:4444", { requestTimeoutMs: 2000 });
 * console.log(await server.request("ping", [])); // "pong"
 * server.close();
 * ```
 * @module
 */
import { Unavailable, Unreachable } from "../wire/errors.ts";
import type { ServerInfo } from "../wire/messages.ts";
import { type ConnectOptions, connectWithWelcome } from "./connect.ts";
import type { RequestOptions, Session, StreamOptions } from "./session.ts";
import type { StreamReader } from "./stream_reader.ts";

/** Options for a {@link Connection}. */
export interface ConnectionOptions extends ConnectOptions {
  /** Runs on each new session before it is used; a failure fails the connect. */
  onConnect?: (session: Session, server: ServerInfo) => Promise<void>;
  /** Told when a session this link had open ends without {@link Connection.close}. */
  onDisconnect?: (address: string) => void;
}

/** See the module docs. */
export class Connection {
  /** The server, as given. */
  readonly address: string;
  readonly #options: ConnectionOptions;
  #session: Session | undefined;
  #welcome: ServerInfo | undefined;
  #connecting: Promise<Session> | undefined;
  #closed = false;

  /** A link to `address`; nothing is opened until the first call. */
  constructor(address: string, options: ConnectionOptions = {}) {
    this.address = address;
    this.#options = options;
  }

  /** What the server said in its last WELCOME (after the first connect). */
  get welcome(): ServerInfo | undefined {
    return this.#welcome;
  }

  /** The open session, connecting (or reconnecting) first if needed. */
  session(): Promise<Session> {
    const current = this.#session;
    if (current?.isOpen) return Promise.resolve(current);
    if (this.#closed) {
      return Promise.reject(new Unavailable(`the connection to ${this.address} was closed`));
    }
    this.#connecting ??= this.#connect().finally(() => this.#connecting = undefined);
    return this.#connecting;
  }

  /** The session, if one is open right now (never connects). */
  openSession(): Session | undefined {
    return this.#session?.isOpen ? this.#session : undefined;
  }

  /** `Session.request` on the open session. */
  request(op: string, args: unknown[], options?: RequestOptions): Promise<unknown> {
    const current = this.#session;
    if (current?.isOpen) return current.request(op, args, options);
    return this.session().then((session) => session.request(op, args, options));
  }

  /** `Session.stream` on the open session. */
  async stream(op: string, args: unknown[], options?: StreamOptions): Promise<StreamReader> {
    return (await this.session()).stream(op, args, options);
  }

  /** Close the link for good; later calls fail with `Unavailable`. */
  close(): void {
    this.#closed = true;
    this.#session?.close();
  }

  /** Resolves once the current connection (if any) has fully shut down. */
  async idle(): Promise<void> {
    await this.#connecting?.catch(() => {});
    await this.#session?.closed;
  }

  async #connect(): Promise<Session> {
    let connected;
    try {
      connected = await connectWithWelcome(this.address, this.#options);
    } catch (error) {
      // No session, so no call went out: whatever was asked certainly did not happen.
      if (error instanceof Unavailable && !(error instanceof Unreachable)) {
        throw new Unreachable(error.message, { cause: error });
      }
      throw error;
    }
    const { session, welcome } = connected;
    try {
      await this.#options.onConnect?.(session, welcome);
    } catch (error) {
      session.close();
      throw error;
    }
    if (this.#closed) {
      session.close();
      throw new Unavailable(`the connection to ${this.address} was closed`);
    }
    this.#session = session;
    this.#welcome = welcome;
    const onDisconnect = this.#options.onDisconnect;
    if (onDisconnect) {
      session.closed.then(() => {
        if (!this.#closed && this.#session === session) onDisconnect(this.address);
      });
    }
    return session;
  }
}
