/**
 * Accepting connections, plain or TLS, and turning away addresses outside the allow-list
 * before a byte is read from them.
 *
 * A TLS listener also bounds the handshakes under way (a flood of half-open TLS handshakes costs
 * at most `maxPending` sockets) and gives each one the handshake timeout.
 *
 * @example
 * ```ts
 * import { openListener } from "./listener.ts";
 * const listener = await openListener({ hostname: "127.0.0.1", port: 0, handshakeTimeoutMs: 10_000 });
 * console.log(listener.addr.port);
 * listener.close();
 * ```
 * @module
 */
import nodeTls from "node:tls";
import type { Socket } from "node:net";
import type { ByteConn } from "./byte_conn.ts";
import type { Cidr } from "./ip.ts";
import { NodeSocketConn, unmapIpv4 } from "./node_socket_conn.ts";
import type { LoadedTls } from "./tls.ts";

/** Where to listen, and whom to refuse. */
export interface ListenerOptions {
  /** Address to bind. */
  hostname: string;
  /** Port; 0 picks a free one. */
  port: number;
  /** Serve TLS with this certificate (and demand client certificates if it has a client CA). */
  tls?: LoadedTls;
  /** Only these blocks may connect; absent or empty: anyone. */
  allow?: readonly Cidr[];
  /** Time a TLS handshake may take. */
  handshakeTimeoutMs: number;
  /** TLS handshakes under way at once; more are dropped (default 1024). */
  maxPending?: number;
  /** Told of each connection turned away or failing its TLS handshake. */
  onRefused?: (address: string, reason: string) => void;
}

/** A bound listener. */
export interface Listener {
  /** The address actually bound. */
  readonly addr: Deno.NetAddr;
  /** The next accepted (and, under TLS, handshaken) connection; rejects once closed. */
  accept(): Promise<ByteConn>;
  /** Stop listening; handshakes under way are dropped. */
  close(): void;
}

/**
 * Bind a listener. Throws `Deno.errors.AddrInUse` and the like as they are.
 *
 * @example
 * ```ts
 * import { openListener } from "./listener.ts";
 * import { parseCidr } from "./ip.ts";
 * const listener = await openListener({
 *   hostname: "0.0.0.0", port: 4444, handshakeTimeoutMs: 10_000, allow: [parseCidr("10.0.0.0/8")],
 * });
 * listener.close();
 * ```
 */
export function openListener(options: ListenerOptions): Promise<Listener> {
  return options.tls ? tlsListener(options, options.tls) : Promise.resolve(tcpListener(options));
}

function allowed(options: ListenerOptions, address: string): boolean {
  return !options.allow?.length || options.allow.some((block) => block.contains(address));
}

function tcpListener(options: ListenerOptions): Listener {
  const listener = Deno.listen({ hostname: options.hostname, port: options.port });
  return {
    addr: listener.addr,
    async accept(): Promise<ByteConn> {
      while (true) {
        const conn = await listener.accept();
        if (allowed(options, conn.remoteAddr.hostname)) {
          conn.setNoDelay(true);
          return conn;
        }
        options.onRefused?.(conn.remoteAddr.hostname, "not in the allow-list");
        conn.close();
      }
    },
    close: () => listener.close(),
  };
}

async function tlsListener(options: ListenerOptions, tls: LoadedTls): Promise<Listener> {
  if (tls.cert === undefined || tls.key === undefined) {
    throw new Error("a TLS listener needs a certificate (--tls-cert) and its key (--tls-key)");
  }
  const maxPending = options.maxPending ?? 1024;
  const ready: ByteConn[] = [];
  const waiters: { resolve: (conn: ByteConn) => void; reject: (error: Error) => void }[] = [];
  const pending = new Map<string, { socket: Socket; timer: ReturnType<typeof setTimeout> }>();
  let closed = false;

  const server = nodeTls.createServer({
    cert: tls.cert,
    key: tls.key,
    ca: tls.clientCa ? [tls.clientCa] : undefined,
    requestCert: tls.clientCa !== undefined,
    rejectUnauthorized: true,
  });
  server.on("connection", (raw: Socket) => {
    const address = unmapIpv4(raw.remoteAddress ?? "");
    if (!allowed(options, address) || pending.size >= maxPending) {
      options.onRefused?.(
        address,
        pending.size >= maxPending ? "too many TLS handshakes under way" : "not in the allow-list",
      );
      raw.destroy();
      return;
    }
    raw.setNoDelay(true);
    const key = `${address}:${raw.remotePort}`;
    const timer = setTimeout(() => {
      options.onRefused?.(address, `no TLS handshake within ${options.handshakeTimeoutMs} ms`);
      raw.destroy();
    }, options.handshakeTimeoutMs);
    pending.set(key, { socket: raw, timer });
    raw.once("close", () => {
      clearTimeout(timer);
      pending.delete(key);
    });
  });
  server.on("secureConnection", (socket: nodeTls.TLSSocket) => {
    const key = `${unmapIpv4(socket.remoteAddress ?? "")}:${socket.remotePort}`;
    const entry = pending.get(key);
    if (entry) {
      clearTimeout(entry.timer);
      pending.delete(key);
    }
    socket.setNoDelay(true);
    const conn = new NodeSocketConn(socket);
    const waiter = waiters.shift();
    if (waiter) waiter.resolve(conn);
    else ready.push(conn);
  });
  server.on("tlsClientError", (error: Error, socket: Socket) => {
    options.onRefused?.(unmapIpv4(socket?.remoteAddress ?? ""), `TLS: ${error.message}`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.hostname, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = server.address() as { address: string; port: number };
  return {
    addr: { transport: "tcp", hostname: bound.address, port: bound.port },
    accept(): Promise<ByteConn> {
      const conn = ready.shift();
      if (conn) return Promise.resolve(conn);
      if (closed) return Promise.reject(new Deno.errors.BadResource("listener closed"));
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
    close(): void {
      if (closed) return;
      closed = true;
      server.close();
      for (const { socket, timer } of pending.values()) {
        clearTimeout(timer);
        socket.destroy();
      }
      pending.clear();
      for (const conn of ready.splice(0)) conn.close();
      for (const waiter of waiters.splice(0)) {
        waiter.reject(new Deno.errors.BadResource("listener closed"));
      }
    },
  };
}
