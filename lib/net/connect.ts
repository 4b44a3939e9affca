/**
 * Open a session to a typenet server: TCP connect (Nagle off), hello, session.
 *
 * Failures are typed and name the server: `Unavailable` when it cannot be reached (refused,
 * unknown host, no answer within the connect timeout), `VersionMismatch` and `ProtocolError`
 * when what answers is not a compatible typenet server.
 *
 * @example
 * ```ts
 * import { connect } from "./connect.ts";
 * const session = await connect("127.0.0.1:4444", { requestTimeoutMs: 2000 });
 * console.log(await session.request("ping", [])); // "pong"
 * session.close();
 * ```
 * @module
 */
import { parseAddress } from "../wire/address.ts";
import { TypenetError, Unavailable } from "../wire/errors.ts";
import { resolveToken, type TokenKey, tokenKey, type TokenOptions } from "./auth.ts";
import type { ByteConn } from "./byte_conn.ts";
import { watchIdle } from "./idle_watch.ts";
import {
  connectWithCertificate,
  type LoadedTls,
  loadTls,
  startClientTls,
  type TlsOptions,
} from "./tls.ts";
import { DEFAULT_MAX_FRAME_BYTES } from "../wire/frame.ts";
import type { Welcome } from "../wire/messages.ts";
import { FramedConn } from "./framed_conn.ts";
import type { Handlers } from "./handlers.ts";
import { sayHello } from "./handshake.ts";
import { DEFAULT_TIMEOUTS, type Timeouts } from "./limits.ts";
import { Session } from "./session.ts";

/** How to connect, and how the session behaves. */
export interface ConnectOptions extends Partial<Timeouts>, TokenOptions {
  /** Speak TLS, trusting `caFile` (and presenting `certFile` under mutual TLS). */
  tls?: TlsOptions;
  /** `"client"` (default) or `"peer"` for server-to-server links. */
  role?: string;
  /** Largest frame body accepted from the server (default 16 MiB). */
  maxFrameBytes?: number;
  /** Operations this side answers (for peers that call back). */
  handlers?: Handlers;
  /** Receives the server's PUSH messages. */
  onPush?: (topic: string, payload: unknown) => void;
}

/** A connected session and what the server said about itself. */
export interface Connected {
  session: Session;
  welcome: Welcome;
}

/**
 * Connect and say hello; returns the session and the server's WELCOME.
 *
 * @example
 * ```ts
 * import { connectWithWelcome } from "./connect.ts";
 * const { session, welcome } = await connectWithWelcome("127.0.0.1:4444");
 * console.log(welcome.serverId);
 * session.close();
 * ```
 */
export async function connectWithWelcome(
  address: string,
  options: ConnectOptions = {},
): Promise<Connected> {
  const { hostname, port } = parseAddress(address);
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_TIMEOUTS.connectTimeoutMs;
  const started = Date.now();
  const security = await securityOf(options);
  let conn: ByteConn;
  if (security.tls?.cert !== undefined) {
    conn = await connectWithCertificate(hostname, port, security.tls, connectTimeoutMs);
  } else {
    let tcp: Deno.TcpConn;
    try {
      tcp = await Deno.connect({
        hostname,
        port,
        signal: connectTimeoutMs > 0 ? AbortSignal.timeout(connectTimeoutMs) : undefined,
      });
    } catch (error) {
      if (error instanceof Deno.errors.NotCapable) throw error;
      throw new Unavailable(`${address} is unavailable: ${reason(error, connectTimeoutMs)}`, {
        cause: error,
      });
    }
    tcp.setNoDelay(true);
    const left = connectTimeoutMs > 0 ? Math.max(1, connectTimeoutMs - (Date.now() - started)) : 0;
    conn = security.tls ? await startClientTls(tcp, hostname, port, security.tls, left) : tcp;
  }
  const framed = new FramedConn(conn, options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES);
  try {
    const welcome = await sayHello(framed, {
      role: options.role ?? "client",
      label: address,
      timeoutMs: Math.max(1, connectTimeoutMs - (Date.now() - started)),
      token: security.token,
    });
    const session = new Session(framed, {
      initiator: true,
      label: address,
      handlers: options.handlers,
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_TIMEOUTS.requestTimeoutMs,
      onPush: options.onPush,
    });
    // Close our side a little before the server would, so that it never cuts a call short;
    // the next call reconnects.
    if (welcome.idleTimeoutMs) {
      watchIdle(session, welcome.idleTimeoutMs * IDLE_MARGIN, () => session.close());
    }
    return { session, welcome };
  } catch (error) {
    framed.close();
    if (error instanceof TypenetError) throw error;
    throw new Unavailable(`${address} is unavailable: ${reason(error, connectTimeoutMs)}`, {
      cause: error,
    });
  }
}

/**
 * Connect and say hello; returns the session.
 *
 * @example
 * ```ts
 * import { connect } from "./connect.ts";
 * const session = await connect("127.0.0.1:4444");
 * session.close();
 * ```
 */
export async function connect(address: string, options: ConnectOptions = {}): Promise<Session> {
  return (await connectWithWelcome(address, options)).session;
}

/** The client closes an idle connection after this share of the server's idle timeout. */
const IDLE_MARGIN = 0.75;

/** TLS files read and the token imported, once per options object (a `Connection` reuses it). */
interface Security {
  tls?: LoadedTls;
  token?: TokenKey;
}
const securityCache = new WeakMap<ConnectOptions, Promise<Security>>();

function securityOf(options: ConnectOptions): Promise<Security> {
  let security = securityCache.get(options);
  if (!security) {
    security = (async () => {
      const token = resolveToken(options);
      return {
        tls: options.tls ? loadTls(options.tls) : undefined,
        token: token === undefined ? undefined : await tokenKey(token),
      };
    })();
    securityCache.set(options, security);
    // A file that could not be read may be fixed before the next try.
    security.catch(() => securityCache.delete(options));
  }
  return security;
}

function reason(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && error.name === "TimeoutError") {
    return `no connection within ${timeoutMs} ms`;
  }
  if (error instanceof Deno.errors.ConnectionRefused) return "connection refused";
  return error instanceof Error ? error.message : String(error);
}
