/**
 * The write path with data on disk, against Redis with its append-only file, in the same run:
 * one typenet server with `--data` and one `redis-server` with `appendonly yes`, each with its
 * directory under /tmp, on loopback; ioredis; medians of 3 rounds, reported as ratios.
 *
 * | row | typenet | Redis |
 * | --- | --- | --- |
 * | append one at a time, `--fsync everysec` | `append(v)` | `RPUSH` (`appendfsync everysec`) |
 * | append one at a time, `--fsync always` | `append(v)` | `RPUSH` (`appendfsync always`) |
 * | 50 clients appending to one list (everysec) | 50 `List`s | 50 ioredis clients |
 * | restart with 1,000,000 items (after a dropped million) | start to ready | start to ready (loading the AOF) |
 * | memory per 1,000,000 small integers | the list's `memoryBytes` | `used_memory` growth |
 * | the same, a second million (the first kept) | server RSS growth | server RSS growth |
 * | the first million from a fresh start (one-time costs included) | server RSS growth | server RSS growth |
 *
 * ```sh
 * deno run --allow-run --allow-env --allow-read --allow-write=/tmp --allow-net=127.0.0.1 bench/durable_vs_redis.ts
 * ```
 * @module
 */
import { Redis } from "npm:ioredis@6.0.0";
import { connect, List } from "../mod.ts";
import { type ServerProcess, startServer } from "../tests/support/process.ts";
import { processMemory } from "../tests/support/liveness.ts";
import { median, timeLoop } from "./measure.ts";
import { IOREDIS, type RedisServer, startRedis } from "./redis.ts";
import { startEchoServer, timeEchoes } from "./echo_floor.ts";

const ROUNDS = 3;
const SINGLE = 3_000;
const CLIENTS = 50;
const PER_CLIENT = 1_000;
const BIG = 1_000_000;
const VALUE = "x".repeat(100);

function typenet(dir: string, fsync: string, port = 0): Promise<ServerProcess> {
  return startServer(["127.0.0.1", String(port), "--data", dir, "--fsync", fsync], {
    permissions: ["--allow-net=127.0.0.1", `--allow-read=${dir}`, `--allow-write=${dir}`],
  });
}

function redis(dir: string, fsync: string, port?: number): Promise<RedisServer> {
  return startRedis(["--dir", dir, "--appendonly", "yes", "--appendfsync", fsync], port);
}

/** Items per second of `clients` writers appending `each` values one at a time, together. */
async function together(writers: ((n: number) => Promise<unknown>)[], each: number) {
  const start = performance.now();
  await Promise.all(writers.map(async (write) => {
    for (let n = 0; n < each; n++) await write(n);
  }));
  return (writers.length * each) / ((performance.now() - start) / 1000);
}

async function main(): Promise<number> {
  const say = (message: string) => console.error(`bench/durable: ${message}`);
  const rows: [string, number, number, string][] = [];
  for (const fsync of ["everysec", "always"]) {
    const [ours, theirs] = [await Deno.makeTempDir(), await Deno.makeTempDir()];
    const server = await typenet(ours, fsync);
    const r = await redis(theirs, fsync);
    const client = new Redis({ host: "127.0.0.1", port: r.port });
    const li = await List.open("bench", { nodes: [server.address] });
    try {
      const a: number[] = [], b: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        say(`append, fsync ${fsync}, round ${round + 1}`);
        a.push((await timeLoop(SINGLE, 1, () => li.append(VALUE))).rate);
        b.push((await timeLoop(SINGLE, 1, () => client.rpush("bench", VALUE))).rate);
      }
      rows.push([
        `append one at a time, fsync ${fsync}, vs RPUSH (ops/s)`,
        median(a),
        median(b),
        "",
      ]);
      if (fsync === "everysec") {
        const lists = await Promise.all(
          Array.from({ length: CLIENTS }, () => List.open("many", { nodes: [server.address] })),
        );
        const clients = Array.from(
          { length: CLIENTS },
          () => new Redis({ host: "127.0.0.1", port: r.port }),
        );
        const c: number[] = [], d: number[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          say(`50 clients, round ${round + 1}`);
          c.push(await together(lists.map((l) => () => l.append(VALUE)), PER_CLIENT));
          d.push(await together(clients.map((k) => () => k.rpush("many", VALUE)), PER_CLIENT));
        }
        rows.push([
          `${CLIENTS} clients appending to one list vs ${CLIENTS} RPUSH clients (items/s)`,
          median(c),
          median(d),
          "",
        ]);
        await Promise.all(lists.map((l) => l.close()));
        clients.forEach((k) => k.disconnect());
      }
    } finally {
      await li.close();
      client.disconnect();
      await server.stop();
      await r.stop();
      await Deno.remove(ours, { recursive: true });
      await Deno.remove(theirs, { recursive: true });
    }
  }

  // A million small items: memory, then a restart from disk.
  const [ours, theirs] = [await Deno.makeTempDir(), await Deno.makeTempDir()];
  let server = await typenet(ours, "everysec");
  let r = await redis(theirs, "everysec");
  const client = new Redis({ host: "127.0.0.1", port: r.port });
  try {
    const items = Array.from({ length: BIG }, (_, i) => i);
    /** Fill list `name` on both servers; returns each one's growth (RSS, and Redis's count). */
    const fill = async (name: string) => {
      const oursBefore = (await processMemory(server.pid)).rssBytes;
      const theirsBefore = redisMemory(await client.info("memory"));
      const li = await List.open(name, { nodes: [server.address] }); // the caller closes it
      for (let i = 0; i < BIG; i += 10_000) await li.extend(items.slice(i, i + 10_000));
      for (let i = 0; i < BIG; i += 10_000) {
        await client.rpush(name, ...items.slice(i, i + 10_000).map(String));
      }
      const theirsAfter = redisMemory(await client.info("memory"));
      return {
        list: li,
        ours: (await processMemory(server.pid)).rssBytes - oursBefore,
        theirs: theirsAfter.rss - theirsBefore.rss,
        theirsUsed: theirsAfter.used - theirsBefore.used,
      };
    };
    // The first million pays one-time costs (code paged in, V8's and the allocator's pools
    // grown). It is kept while a second million is written: what that adds is what items cost
    // from then on, with no freed memory to reuse. Then it is dropped, before the restart.
    say("two million items on each side, a million at a time");
    const first = await fill("warm");
    const second = await fill("big");
    await second.list.close();
    rows.push([
      "memory per 1,000,000 small integers as each server counts them: the list's memoryBytes vs used_memory growth (MB; lower is better)",
      (await listMemory(server.address, "big")) / 1e6,
      second.theirsUsed / 1e6,
      "",
    ]);
    rows.push([
      "the same, RSS growth of each server for a second million (MB; lower is better)",
      second.ours / 1e6,
      second.theirs / 1e6,
      "",
    ]);
    rows.push([
      "the first million from a fresh start, RSS growth of each server (MB; one-time costs included)",
      first.ours / 1e6,
      first.theirs / 1e6,
      "",
    ]);
    await first.list.destroy(); // and closes it
    await client.del("warm");
    client.disconnect();
    say("restarts");
    const port = server.port;
    const redisPort = r.port;
    await server.stop("SIGKILL");
    await r.stop("SIGKILL");
    let start = performance.now();
    server = await typenet(ours, "everysec", port);
    const oursMs = performance.now() - start;
    start = performance.now();
    r = await redis(theirs, "everysec", redisPort);
    const theirsMs = performance.now() - start;
    const check = new Redis({ host: "127.0.0.1", port: r.port });
    const redisLength = await check.llen("big");
    check.disconnect();
    await using li = await List.open("big", { nodes: [server.address] });
    if (await li.length() !== BIG || redisLength !== BIG) throw new Error("a restart lost items");
    rows.push([
      "restart with 1,000,000 items (and a dropped million in the log), start to ready (ms; lower is better)",
      oursMs,
      theirsMs,
      "Redis loads its AOF",
    ]);
  } finally {
    await server.stop();
    await r.stop();
    await Deno.remove(ours, { recursive: true });
    await Deno.remove(theirs, { recursive: true });
  }

  // The floor under the one-at-a-time rows: a Deno server that only echoes, in this run.
  say("round trips to a Deno echo server");
  const echo = await startEchoServer();
  const echoes: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      echoes.push((await timeEchoes(echo.port, SINGLE)).rate);
    }
  } finally {
    await echo.stop();
  }

  const fmt = (n: number) => n < 100 ? n.toFixed(1) : Math.round(n).toLocaleString("en-US");
  console.log(`\nDurable writes vs Redis with appendonly (${IOREDIS}; median of ${ROUNDS})\n`);
  console.log("| row | typenet | Redis | typenet / Redis |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const [title, a, b] of rows) {
    console.log(`| ${title} | ${fmt(a)} | ${fmt(b)} | ${(a / b).toFixed(2)} |`);
  }
  const floor = median(echoes);
  console.log(
    `\nThe floor for one at a time: a Deno echo server answers ${fmt(floor)} round trips/s ` +
      `(${(floor / rows[0][2]).toFixed(2)} of Redis's RPUSH rate with everysec); typenet's ` +
      `everysec append is ${Math.round((rows[0][1] / floor) * 100)}% of that floor.`,
  );
  return 0;
}

/** The memory a list's items take on a typenet server, as it reports it (server.holdings). */
async function listMemory(address: string, name: string): Promise<number> {
  const connection = await connect(address);
  try {
    const { lists } = await connection.request("server.holdings", []) as {
      lists: { name: string; memoryBytes: number }[];
    };
    return lists.find((list) => list.name === name)!.memoryBytes;
  } finally {
    connection.close();
  }
}

/** Redis's own count of the bytes it allocated (`used_memory`), and its RSS. */
function redisMemory(info: string): { used: number; rss: number } {
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, "m").exec(info)?.[1]);
  return { used: field("used_memory"), rss: field("used_memory_rss") };
}

Deno.exit(await main());
