/**
 * Round trips to a Deno echo server (bench/echo_server.ts), one awaited at a time, with a
 * message the size of a typenet append: the most round trips per second any Deno server can
 * answer on this machine, and so the ceiling for typenet's one-at-a-time rows.
 *
 * @example
 * ```ts
 * import { startEchoServer, timeEchoes } from "./echo_floor.ts";
 * await using echo = await startEchoServer();
 * console.log((await timeEchoes(echo.port, 5000)).rate, "round trips/s");
 * ```
 * @module
 */
import { type Measured, timeLoop } from "./measure.ts";
import { type ChildProcess, repoPath, runScript } from "../tests/support/process.ts";

/** Bytes per echo: about what `li.append("…100 characters…")` puts on the wire. */
const MESSAGE_BYTES = 140;

/** A running echo server. */
export interface EchoServer extends ChildProcess {
  port: number;
}

/** Start bench/echo_server.ts and wait for its ready line. */
export async function startEchoServer(): Promise<EchoServer> {
  const child = runScript(repoPath("bench/echo_server.ts"), []);
  const match = await child.waitForLine(/^echo server listening on 127\.0\.0\.1:(\d+)$/);
  return Object.assign(child, { port: Number(match[1]) });
}

/** Time `count` echoes of MESSAGE_BYTES, one awaited at a time. */
export async function timeEchoes(port: number, count: number): Promise<Measured> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  const message = new Uint8Array(MESSAGE_BYTES).fill(7);
  const buffer = new Uint8Array(64 * 1024);
  try {
    return await timeLoop(count, 1, async () => {
      await conn.write(message);
      let received = 0;
      while (received < MESSAGE_BYTES) {
        const n = await conn.read(buffer);
        if (n === null) throw new Error("the echo server hung up");
        received += n;
      }
    });
  } finally {
    conn.close();
  }
}
