/**
 * The Redis side of the benchmarks: a throwaway `redis-server` child process, and the two
 * npm clients behind one small interface so every benchmark row is written once for both.
 *
 * @example
 * ```ts
 * import { openRedisClients, startRedis } from "./redis.ts";
 * const redis = await startRedis();
 * try {
 *   for (const client of await openRedisClients(redis.port)) {
 *     await client.rpush("k", ["a", "b"]);
 *     console.log(client.name, await client.lindex("k", 0)); // "a"
 *     await client.close();
 *   }
 * } finally {
 *   await redis.stop();
 * }
 * ```
 * @module
 */
import { Redis } from "npm:ioredis@6.0.0";
import { createClient } from "npm:redis@6.3.1";
import { ChildProcess } from "../tests/support/process.ts";

/** The client versions, as pinned in the imports above (keep them in step). */
export const IOREDIS = "ioredis 6.0.0";
/** See {@link IOREDIS}. */
export const NODE_REDIS = "redis 6.3.1";

/** The list commands the benchmarks use, the same for both clients. */
export interface RedisClient {
  /** Client name and version, as printed. */
  readonly name: string;
  rpush(key: string, values: string[]): Promise<number>;
  lindex(key: string, index: number): Promise<string | null>;
  lrange(key: string, start: number, stop: number): Promise<string[]>;
  del(key: string): Promise<number>;
  close(): Promise<void>;
}

/** A running `redis-server`. */
export interface RedisServer {
  readonly port: number;
  /** As the server logged it at start, e.g. "7.0.15". */
  readonly version: string;
  /** Its process id. */
  readonly pid: number;
  /** Stop it (SIGTERM, or the signal given). */
  stop(signal?: Deno.Signal): Promise<void>;
}

/** Thrown when `redis-server` is not installed. */
export class RedisMissing extends Error {}

/**
 * Start `redis-server` on a free loopback port (or `fixedPort`) with persistence off unless
 * `extraArgs` turn it on, and wait until it accepts connections. `RedisMissing` if it is not
 * installed.
 */
export async function startRedis(
  extraArgs: string[] = [],
  fixedPort?: number,
): Promise<RedisServer> {
  // Another process may take the free port before redis binds it; try a few ports.
  for (let attempt = 1;; attempt++) {
    const port = fixedPort ?? freePort();
    const child = spawnRedis(port, extraArgs);
    try {
      await child.waitForLine(/Ready to accept connections/, 10_000);
      const version = child.stdout.join("\n").match(/version=([0-9.]+)/)?.[1] ?? "unknown";
      return {
        port,
        version,
        pid: child.pid,
        stop: async (signal?: Deno.Signal) => void await child.stop(signal),
      };
    } catch (error) {
      await child.stop("SIGKILL");
      if (attempt === 3) throw error;
    }
  }
}

/**
 * {@link startRedis}, or `undefined` after saying on stderr how to install it.
 *
 * @example
 * ```ts
 * import { startRedisOrSay } from "./redis.ts";
 * const redis = await startRedisOrSay();
 * ```
 */
export async function startRedisOrSay(): Promise<RedisServer | undefined> {
  try {
    return await startRedis();
  } catch (error) {
    if (!(error instanceof RedisMissing)) throw error;
    console.error(error.message);
    return undefined;
  }
}

/** One connected client of each kind. */
export async function openRedisClients(port: number): Promise<RedisClient[]> {
  const io = new Redis({ host: "127.0.0.1", port, lazyConnect: true });
  await io.connect();
  const node = createClient({ socket: { host: "127.0.0.1", port } });
  await node.connect();
  return [
    {
      name: IOREDIS,
      rpush: (key, values) => io.rpush(key, ...values),
      lindex: (key, index) => io.lindex(key, index),
      lrange: (key, start, stop) => io.lrange(key, start, stop),
      del: (key) => io.del(key),
      close: async () => void await io.quit(),
    },
    {
      name: NODE_REDIS,
      rpush: (key, values) => node.rPush(key, values),
      lindex: (key, index) => node.lIndex(key, index),
      lrange: (key, start, stop) => node.lRange(key, start, stop),
      del: (key) => node.del(key),
      close: () => node.close(),
    },
  ];
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

function spawnRedis(port: number, extraArgs: string[]): ChildProcess {
  const command = new Deno.Command("redis-server", {
    args: [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      ...extraArgs, // later settings win
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
  try {
    return new ChildProcess(command.spawn());
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new RedisMissing(
        "redis-server not found: install it (Debian/Ubuntu: apt-get install redis-server)",
      );
    }
    throw error;
  }
}
