/**
 * The NATS side of the cluster benchmark: a throwaway `nats-server` on a free loopback port,
 * and the pinned client.
 *
 * @example
 * ```ts
 * import { connectNats, startNats } from "./nats.ts";
 * const server = await startNats();
 * const nc = await connectNats(server.port);
 * nc.publish("subject", new Uint8Array(64));
 * await nc.drain();
 * await server.stop();
 * ```
 * @module
 */
import { connect, type NatsConnection } from "npm:nats@2.29.3";
import { ChildProcess } from "../tests/support/process.ts";

/** The client version, as pinned above. */
export const NATS_CLIENT = "nats.js 2.29.3";

/** A running `nats-server`. */
export interface NatsServer {
  readonly port: number;
  /** As `nats-server --version` prints it. */
  readonly version: string;
  stop(): Promise<void>;
}

/** Thrown when `nats-server` is not installed. */
export class NatsMissing extends Error {}

/** Start `nats-server` on a free loopback port and wait until a client can connect. */
export async function startNats(): Promise<NatsServer> {
  const version = await natsVersion();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const child = new ChildProcess(
    new Deno.Command("nats-server", {
      args: ["-a", "127.0.0.1", "-p", String(port)],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn(),
  );
  const deadline = Date.now() + 10_000;
  while (true) {
    try {
      const nc = await connectNats(port);
      await nc.close();
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        await child.stop("SIGKILL");
        throw error;
      }
      await new Promise((resume) => setTimeout(resume, 50));
    }
  }
  return { port, version, stop: async () => void await child.stop() };
}

/** A client connected to the server on `port`. */
export function connectNats(port: number): Promise<NatsConnection> {
  return connect({ servers: `127.0.0.1:${port}` });
}

async function natsVersion(): Promise<string> {
  try {
    const output = await new Deno.Command("nats-server", { args: ["--version"] }).output();
    return new TextDecoder().decode(output.stdout).trim().replace(/^nats-server: /, "");
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new NatsMissing(
        "nats-server not found: install it (Debian/Ubuntu: apt-get install nats-server)",
      );
    }
    throw error;
  }
}
