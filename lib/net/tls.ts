/**
 * TLS for every role, on both sides of a connection.
 *
 * - A server listens with a certificate and key (`--tls-cert`, `--tls-key`); with a client CA
 *   (`--tls-client-ca`) it also demands a client certificate signed by that CA (mutual TLS).
 * - A client trusts a CA file (`--tls-ca`) on top of the system's roots and checks the server's
 *   certificate names the host it dialled (or `serverName`); under mutual TLS it presents a
 *   certificate of its own.
 *
 * Nagle stays off on both sides (DESIGN §9): a client without a certificate upgrades a
 * `Deno.connect` socket with `Deno.startTls` (the fastest path measured here); a client with a
 * certificate, and every server, use `node:tls` sockets (`Deno.connectTls` and
 * `Deno.listenTls` cannot turn Nagle off, and `Deno.startTls` cannot present a certificate).
 *
 * @example
 * ```ts
 * import { connect } from "./connect.ts";
 * const session = await connect("127.0.0.1:4444", { tls: { caFile: "ca.pem" } });
 * session.close();
 * ```
 * @module
 */
import nodeTls from "node:tls";
import { AuthError, ProtocolError, Unavailable } from "../wire/errors.ts";
import type { ByteConn } from "./byte_conn.ts";
import { ipBytes } from "./ip.ts";
import { NodeSocketConn } from "./node_socket_conn.ts";

/** TLS settings, as files or as PEM text (text wins when both are given). */
export interface TlsOptions {
  /** This side's certificate chain: a server's, or a client's under mutual TLS. */
  certFile?: string;
  /** The private key of {@link certFile} (PKCS #8, SEC1 or RSA; not encrypted). */
  keyFile?: string;
  /** Clients: trust servers whose certificate this CA signed (besides the system's roots). */
  caFile?: string;
  /** Servers: demand a client certificate signed by this CA (mutual TLS). */
  clientCaFile?: string;
  /** PEM text of {@link certFile}. */
  cert?: string;
  /** PEM text of {@link keyFile}. */
  key?: string;
  /** PEM text of {@link caFile}. */
  ca?: string;
  /** PEM text of {@link clientCaFile}. */
  clientCa?: string;
  /** Clients: the name the server's certificate must carry (default: the host dialled). */
  serverName?: string;
}

/** {@link TlsOptions} with the files read. */
export interface LoadedTls {
  cert?: string;
  key?: string;
  ca?: string;
  clientCa?: string;
  serverName?: string;
}

/**
 * Read the files `options` names. Throws an `Error` naming the file and the flag it came from
 * when one cannot be read or is not PEM, and when a certificate comes without its key.
 *
 * @example
 * ```ts
 * import { loadTls } from "./tls.ts";
 * const tls = loadTls({ certFile: "server.pem", keyFile: "server.key" });
 * ```
 */
export function loadTls(options: TlsOptions): LoadedTls {
  const loaded: LoadedTls = {
    cert: options.cert ?? pemFile(options.certFile, "certificate", "--tls-cert"),
    key: options.key ?? pemFile(options.keyFile, "private key", "--tls-key"),
    ca: options.ca ?? pemFile(options.caFile, "CA certificate", "--tls-ca"),
    clientCa: options.clientCa ??
      pemFile(options.clientCaFile, "client CA certificate", "--tls-client-ca"),
    serverName: options.serverName,
  };
  if ((loaded.cert === undefined) !== (loaded.key === undefined)) {
    throw new Error("TLS needs both a certificate (--tls-cert) and its key (--tls-key)");
  }
  return loaded;
}

function pemFile(path: string | undefined, what: string, flag: string): string | undefined {
  if (path === undefined) return undefined;
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    throw new Error(`cannot read the ${what} ${path} (${flag}): ${(error as Error).message}`);
  }
  if (!text.includes("-----BEGIN ")) {
    throw new Error(`${path} (${flag}) is not a PEM file: expected a -----BEGIN … line`);
  }
  return text;
}

/**
 * Make `tcp` (connected to `hostname:port`, Nagle off) a TLS connection and finish the
 * handshake within `timeoutMs` (0: no limit). For a client without a certificate of its own
 * (see {@link connectWithCertificate}). Throws `AuthError` when a certificate is refused,
 * `ProtocolError` when the server does not speak TLS, `Unavailable` otherwise.
 *
 * @example
 * ```ts
 * import { startClientTls } from "./tls.ts";
 * // const conn = await startClientTls(tcp, "127.0.0.1", 4444, { ca: caPem }, 5000);
 * ```
 */
export async function startClientTls(
  tcp: Deno.TcpConn,
  hostname: string,
  port: number,
  tls: LoadedTls,
  timeoutMs: number,
): Promise<ByteConn> {
  const conn = await Deno.startTls(tcp, {
    hostname: tls.serverName ?? hostname,
    caCerts: tls.ca ? [tls.ca] : undefined,
  });
  const timer = timeoutMs > 0 ? setTimeout(() => conn.close(), timeoutMs) : undefined;
  try {
    await conn.handshake();
  } catch (error) {
    conn.close();
    throw handshakeFailure(`${hostname}:${port}`, error);
  } finally {
    clearTimeout(timer);
  }
  return conn;
}

/**
 * Connect to `hostname:port` over TLS presenting this side's certificate (mutual TLS), with a
 * `node:tls` socket (`Deno.startTls` cannot present one), and finish the handshake within
 * `timeoutMs` (0: no limit). Errors as {@link startClientTls}.
 *
 * @example
 * ```ts
 * import { connectWithCertificate } from "./tls.ts";
 * // const conn = await connectWithCertificate("127.0.0.1", 4444, { ca, cert, key }, 5000);
 * ```
 */
export function connectWithCertificate(
  hostname: string,
  port: number,
  tls: LoadedTls,
  timeoutMs: number,
): Promise<ByteConn> {
  const label = `${hostname}:${port}`;
  const name = tls.serverName ?? hostname;
  return new Promise((resolve, reject) => {
    const socket = nodeTls.connect({
      host: hostname,
      port,
      ca: tls.ca ? [tls.ca] : undefined,
      cert: tls.cert,
      key: tls.key,
      // Node refuses an IP address as the SNI name; the certificate check still uses `name`.
      servername: ipBytes(name) ? undefined : name,
      checkServerIdentity: (_host, cert) => nodeTls.checkServerIdentity(name, cert),
      rejectUnauthorized: true,
    });
    socket.setNoDelay(true);
    const timer = timeoutMs > 0
      ? setTimeout(
        () => fail(new Unavailable(`${label}: no TLS handshake within ${timeoutMs} ms`)),
        timeoutMs,
      )
      : undefined;
    const fail = (error: unknown) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error instanceof Unavailable ? error : handshakeFailure(label, error));
    };
    socket.once("error", fail);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      socket.off("error", fail);
      resolve(new NodeSocketConn(socket));
    });
  });
}

/**
 * A certificate problem is `AuthError`; a peer that answers but not in TLS is `ProtocolError`;
 * anything else (a reset, a refusal) `Unavailable`.
 */
function handshakeFailure(label: string, error: unknown): Error {
  const reason = error instanceof Error ? error.message : String(error);
  if (
    /corrupt message|InvalidContentType|wrong version number|packet length too long/i.test(reason)
  ) {
    return new ProtocolError(
      `${label} does not speak TLS (is it started with --tls-cert?): ${reason}`,
      { cause: error },
    );
  }
  if (
    /certificate|CertificateRequired|UnknownIssuer|NotValidForName|Expired|alert|self.signed/i.test(
      reason,
    )
  ) {
    return new AuthError(`${label}: TLS handshake failed: ${reason}`, { cause: error });
  }
  return new Unavailable(`${label} is unavailable: TLS handshake failed: ${reason}`, {
    cause: error,
  });
}
