/**
 * A `node:tls` socket as a {@link ByteConn}. typenet's TLS listener is a `node:tls` server
 * because it is the one TLS server in Deno that both turns Nagle off (`Deno.listenTls` cannot:
 * 16–64 KiB messages stalled 44–88 ms) and verifies client certificates; a client with a
 * certificate of its own uses a `node:tls` socket for the same reasons.
 *
 * Incoming chunks queue here until read; past {@link READ_AHEAD_BYTES} the socket is paused,
 * so a peer that sends faster than we read is held back by TCP rather than by our memory.
 *
 * @example
 * ```ts
 * import tls from "node:tls";
 * import { NodeSocketConn } from "./node_socket_conn.ts";
 * const socket = tls.connect({ host: "127.0.0.1", port: 4444, ca: "…" });
 * const conn = new NodeSocketConn(socket);
 * await conn.write(new Uint8Array([0, 0, 0, 0]));
 * conn.close();
 * ```
 * @module
 */
import type { Socket } from "node:net";
import type { ByteConn } from "./byte_conn.ts";

/** Bytes received but not yet read above which the socket stops reading. */
export const READ_AHEAD_BYTES = 1024 * 1024;

/** Time a closing socket has to send its last bytes before it is destroyed. */
const CLOSE_GRACE_MS = 1_000;

/** See the module docs. */
export class NodeSocketConn implements ByteConn {
  readonly remoteAddr: Deno.NetAddr;
  readonly #socket: Socket;
  #chunks: Uint8Array[] = [];
  #queued = 0;
  #ended = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;

  /** Wrap `socket` (connected, or a server's accepted TLS socket). */
  constructor(socket: Socket) {
    this.#socket = socket;
    this.remoteAddr = {
      transport: "tcp",
      hostname: unmapIpv4(socket.remoteAddress ?? "unknown"),
      port: socket.remotePort ?? 0,
    };
    socket.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
      this.#queued += chunk.length;
      if (this.#queued > READ_AHEAD_BYTES) socket.pause();
      this.#wakeReader();
    });
    socket.on("end", () => this.#finish());
    socket.on("close", () => this.#finish());
    socket.on("error", (error: Error) => {
      this.#error ??= error;
      this.#wakeReader();
    });
  }

  async read(buffer: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#error) throw this.#error;
      if (this.#ended) return null;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    const chunk = this.#chunks[0];
    const n = Math.min(chunk.length, buffer.length);
    buffer.set(chunk.subarray(0, n));
    if (n === chunk.length) this.#chunks.shift();
    else this.#chunks[0] = chunk.subarray(n);
    this.#queued -= n;
    if (this.#queued <= READ_AHEAD_BYTES / 2 && this.#socket.isPaused()) this.#socket.resume();
    return n;
  }

  write(bytes: Uint8Array): Promise<number> {
    if (this.#error) return Promise.reject(this.#error);
    if (this.#socket.destroyed) return Promise.reject(new Deno.errors.BrokenPipe("socket closed"));
    // The callback runs once the socket is done with `bytes`: the caller may reuse them after.
    return new Promise((resolve, reject) =>
      this.#socket.write(bytes, (error) => error ? reject(error) : resolve(bytes.length))
    );
  }

  /**
   * Close: TLS's close_notify and a FIN go out after what is queued (a peer that sees the
   * connection simply end, not reset), and the socket is destroyed at once if the peer does
   * not let that through within a second.
   */
  close(): void {
    if (!this.#socket.destroyed) {
      this.#socket.end();
      const timer = setTimeout(() => this.#socket.destroy(), CLOSE_GRACE_MS);
      Deno.unrefTimer(timer);
      this.#socket.once("close", () => clearTimeout(timer));
    }
    this.#finish();
  }

  #finish(): void {
    this.#ended = true;
    this.#wakeReader();
  }

  #wakeReader(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/** `::ffff:10.0.0.1` (a dual-stack socket's view of an IPv4 peer) as `10.0.0.1`. */
export function unmapIpv4(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}
