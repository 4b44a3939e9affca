/**
 * The least a Deno TCP server can do per request: read, and write the bytes back. The bench
 * times round trips to it, to show the floor a Deno server (typenet's included) stands on.
 * Prints `echo server listening on HOST:PORT`; SIGTERM stops it.
 *
 * @example
 * ```sh
 * deno run --allow-net=127.0.0.1 bench/echo_server.ts
 * ```
 * @module
 */
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
console.log(`echo server listening on 127.0.0.1:${listener.addr.port}`);
Deno.addSignalListener("SIGTERM", () => listener.close());

async function echo(conn: Deno.TcpConn): Promise<void> {
  conn.setNoDelay(true);
  const buffer = new Uint8Array(64 * 1024);
  try {
    for (let n; (n = await conn.read(buffer)) !== null;) {
      let written = 0;
      while (written < n) written += await conn.write(buffer.subarray(written, n));
    }
  } catch {
    // The bench hung up.
  } finally {
    conn.close();
  }
}

try {
  for await (const conn of listener) echo(conn);
} catch {
  // Closed by SIGTERM.
}
