/**
 * What a typenet connection needs from the socket under it: read, write (possibly less than
 * asked), close, and the other end's address. A `Deno.TcpConn`, a `Deno.TlsConn` and a
 * {@link NodeSocketConn} (a `node:tls` socket) all fit.
 *
 * @example
 * ```ts
 * import type { ByteConn } from "./byte_conn.ts";
 * const conn: ByteConn = await Deno.connect({ hostname: "127.0.0.1", port: 4444 });
 * conn.close();
 * ```
 * @module
 */

/** A byte stream to one peer; see the module docs. */
export interface ByteConn {
  /** Read into `buffer`; the count read, or `null` at the end of the stream. */
  read(buffer: Uint8Array): Promise<number | null>;
  /** Write some of `bytes`; the count written. */
  write(bytes: Uint8Array): Promise<number>;
  /** Close at once (queued output may be lost). */
  close(): void;
  /** The other end. */
  readonly remoteAddr: Deno.Addr;
}
