/**
 * Several real `typenet server` processes for a test, stopped together.
 *
 * @example
 * ```ts
 * import { startServers } from "./cluster.ts";
 * await using servers = await startServers(2);
 * const li = await List.open("a", { nodes: servers.addresses });
 * ```
 * @module
 */
import { connect } from "../../lib/net/connect.ts";
import { type ServerProcess, startServer } from "./process.ts";

/** Running servers and their addresses. */
export interface Servers extends AsyncDisposable {
  readonly processes: ServerProcess[];
  readonly addresses: string[];
  /** `requests + streams` each server has served so far (its `server.stats`). */
  calls(): Promise<number[]>;
  stop(): Promise<void>;
}

/**
 * Start `count` servers on free ports (extra arguments go to each).
 *
 * @example
 * ```ts
 * import { startServers } from "./cluster.ts";
 * await using servers = await startServers(3, ["--max-frame-bytes", "65536"]);
 * ```
 */
export async function startServers(count: number, extraArgs: string[] = []): Promise<Servers> {
  const started = await Promise.allSettled(
    Array.from({ length: count }, () => startServer(["127.0.0.1", "0", ...extraArgs])),
  );
  const processes = started.flatMap((r) => r.status === "fulfilled" ? [r.value] : []);
  const stop = async () => {
    await Promise.all(processes.map((p) => p.stop()));
  };
  const failed = started.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) {
    await stop();
    throw failed.reason;
  }
  return {
    processes,
    addresses: processes.map((p) => p.address),
    async calls() {
      return await Promise.all(processes.map(async (p) => {
        const session = await connect(p.address);
        try {
          const stats = await session.request("server.stats", []) as Record<string, number>;
          return stats.requests + stats.streams;
        } finally {
          session.close();
          await session.closed;
        }
      }));
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

let counter = 0;

/**
 * A list name no other test uses.
 *
 * @example
 * ```ts
 * import { uniqueName } from "./cluster.ts";
 * uniqueName("slices"); // "slices-1-k3j2"
 * ```
 */
export function uniqueName(prefix: string): string {
  return `${prefix}-${++counter}-${Math.random().toString(36).slice(2, 6)}`;
}
