/**
 * `Dict` against a Redis hash, in the same run: one typenet server and one `redis-server` on
 * loopback, the same 100-character values, rounds interleaved, medians reported as ratios.
 * Redis is driven by ioredis (the faster client on the List rows).
 *
 * | row | typenet | Redis |
 * | --- | --- | --- |
 * | set, one awaited at a time | `set(k, v)` | `HSET h k v` |
 * | get, one awaited at a time | `get(k)` | `HGET h k` |
 * | 1,000 at once | `setMany` | `HSET h k1 v1 … k1000 v1000` |
 * | 1,000 at once | `getMany` | `HMGET h k1 … k1000` |
 * | compare-and-set increment | `getEntry` + `set(…, { ifVersion })` | `WATCH` `HGET` `MULTI` `HSET` `EXEC` |
 *
 * ```sh
 * deno run --allow-run --allow-env --allow-net=127.0.0.1 bench/dict_vs_redis.ts
 * ```
 * @module
 */
import { Redis } from "npm:ioredis@6.0.0";
import { Dict } from "../mod.ts";
import { startServer } from "../tests/support/process.ts";
import { seededRandom } from "../tests/support/random.ts";
import { type Measured, median, timeLoop } from "./measure.ts";
import { IOREDIS, startRedisOrSay } from "./redis.ts";

const ROUNDS = 3;
const SINGLE = 5_000;
const BATCHED = 100_000;
const BATCH = 1_000;
const CAS = 3_000;

const random = seededRandom(42);
const ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const VALUES = Array.from(
  { length: BATCH },
  () => Array.from({ length: 100 }, () => ALPHABET[Math.floor(random() * 62)]).join(""),
);
const KEYS = Array.from({ length: BATCH }, (_, i) => `field:${i}`);

interface Row {
  title: string;
  typenet: (d: Dict) => Promise<Measured>;
  redis: (r: Redis, watcher: Redis) => Promise<Measured>;
}

const ROWS: Row[] = [
  {
    title: "set, one awaited at a time, vs HSET (ops/s)",
    typenet: (d) => timeLoop(SINGLE, 1, (n) => d.set(KEYS[n % BATCH], VALUES[n % BATCH])),
    redis: (r) => timeLoop(SINGLE, 1, (n) => r.hset("h", KEYS[n % BATCH], VALUES[n % BATCH])),
  },
  {
    title: "get, one awaited at a time, vs HGET (ops/s)",
    typenet: (d) => timeLoop(SINGLE, 1, (n) => d.get(KEYS[n % BATCH])),
    redis: (r) => timeLoop(SINGLE, 1, (n) => r.hget("h", KEYS[n % BATCH])),
  },
  {
    title: "setMany of 1,000 vs HSET of 1,000 pairs (items/s)",
    typenet: (d) => timeLoop(BATCHED, BATCH, () => d.setMany(KEYS.map((k, i) => [k, VALUES[i]]))),
    redis: (r) =>
      timeLoop(BATCHED, BATCH, () => r.hset("h", ...KEYS.flatMap((k, i) => [k, VALUES[i]]))),
  },
  {
    title: "getMany of 1,000 vs HMGET of 1,000 (items/s)",
    typenet: (d) => timeLoop(BATCHED, BATCH, () => d.getMany(KEYS)),
    redis: (r) => timeLoop(BATCHED, BATCH, () => r.hmget("h", ...KEYS)),
  },
  {
    title: "compare-and-set increment vs WATCH/MULTI/EXEC (ops/s)",
    typenet: (d) =>
      timeLoop(CAS, 1, async () => {
        const entry = await d.getEntry("counter");
        const ok = entry
          ? await d.set("counter", (entry.value as number) + 1, { ifVersion: entry.version })
          : await d.setIfAbsent("counter", 1);
        if (!ok) throw new Error("a lone writer's compare-and-set failed");
      }),
    redis: (_r, w) =>
      timeLoop(CAS, 1, async () => {
        await w.watch("counter");
        const now = Number(await w.get("counter") ?? 0);
        const done = await w.multi().set("counter", String(now + 1)).exec();
        if (done === null) throw new Error("a lone writer's transaction was aborted");
      }),
  },
];

async function main(): Promise<number> {
  const redis = await startRedisOrSay();
  if (!redis) return 1;
  await using server = await startServer();
  const r = new Redis({ host: "127.0.0.1", port: redis.port });
  const watcher = new Redis({ host: "127.0.0.1", port: redis.port });
  const d = await Dict.open("h", { nodes: [server.address] });
  try {
    const lines: [string, number, number][] = [];
    for (const row of ROWS) {
      const ours: number[] = [];
      const theirs: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        console.error(`bench/dict: ${row.title}, round ${round + 1}`);
        ours.push((await row.typenet(d)).rate);
        theirs.push((await row.redis(r, watcher)).rate);
      }
      lines.push([row.title, median(ours), median(theirs)]);
    }
    const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
    console.log(
      `\nDict vs a Redis hash (redis-server ${redis.version}, ${IOREDIS}; median of ${ROUNDS})\n`,
    );
    console.log("| row | typenet | Redis | typenet / Redis |");
    console.log("| --- | ---: | ---: | ---: |");
    for (const [title, a, b] of lines) {
      console.log(`| ${title} | ${fmt(a)} | ${fmt(b)} | ${(a / b).toFixed(2)} |`);
    }
  } finally {
    await d.close();
    r.disconnect();
    watcher.disconnect();
    await redis.stop();
  }
  return 0;
}

Deno.exit(await main());
