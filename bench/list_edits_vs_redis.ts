/**
 * Edits in the middle of a long list, and a sort, against Redis in the same run: a list of
 * 1,000,000 numbers over two typenet servers (blocks of 10,000) and the same list in one
 * `redis-server`, both on loopback; medians of 3 rounds, reported as ratios.
 *
 * | row | typenet | Redis |
 * | --- | --- | --- |
 * | insert at the middle | `insert(500_000, "x")` | `LINSERT k BEFORE 500000 x` |
 * | delete at the middle | `delete(500_000)` | `LREM k 1 x` |
 * | sort 1,000,000 shuffled numbers | `sort()` | `SORT k STORE k2` |
 *
 * Redis finds the middle by walking the list, then edits one quicklist node; typenet moves
 * every later item by one, on the servers that hold them (PROTOCOL.md §12.5). Each side sorts
 * once, untimed, before the sort rows (the servers compile their sort code on its first run).
 *
 * ```sh
 * deno run --allow-run --allow-env --allow-read --allow-net=127.0.0.1 bench/list_edits_vs_redis.ts
 * ```
 * @module
 */
import { Redis } from "npm:ioredis@6.0.0";
import { List } from "../mod.ts";
import { startServers } from "../tests/support/cluster.ts";
import { seededRandom } from "../tests/support/random.ts";
import { median } from "./measure.ts";
import { IOREDIS, startRedisOrSay } from "./redis.ts";

const ROUNDS = 3;
const LENGTH = 1_000_000;
const MIDDLE = LENGTH / 2;
/** Inserts (then deletes) timed per round. */
const EDITS = 20;

const random = seededRandom(7);
const SHUFFLED = Array.from({ length: LENGTH }, () => Math.floor(random() * LENGTH));

/** Operations per second of `count` awaited calls of `op`. */
async function rate(count: number, op: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < count; i++) await op();
  return count / ((performance.now() - start) / 1000);
}

async function fillRedis(r: Redis, key: string, values: number[]): Promise<void> {
  await r.del(key);
  for (let i = 0; i < values.length; i += 10_000) {
    await r.rpush(key, ...values.slice(i, i + 10_000).map(String));
  }
}

async function main(): Promise<number> {
  const redis = await startRedisOrSay();
  if (!redis) return 1;
  await using servers = await startServers(2);
  const r = new Redis({ host: "127.0.0.1", port: redis.port });
  const li = await List.open("edits", { nodes: servers.addresses, partitionSize: 10_000 });
  const say = (message: string) => console.error(`bench/list_edits: ${message}`);
  try {
    const ordered = Array.from({ length: LENGTH }, (_, i) => i);
    say("filling 1,000,000 items on both sides");
    await li.extend(ordered);
    await fillRedis(r, "k", ordered);
    const rows: [string, number[], number[]][] = [
      ["insert at the middle of 1,000,000 vs LINSERT (ops/s)", [], []],
      ["delete at the middle of 1,000,000 vs LREM (ops/s)", [], []],
      ["sort 1,000,000 shuffled numbers vs SORT … STORE (sorts/s)", [], []],
    ];
    for (let round = 0; round < ROUNDS; round++) {
      say(`middle edits, round ${round + 1}`);
      rows[0][1].push(await rate(EDITS, () => li.insert(MIDDLE, "x")));
      rows[0][2].push(await rate(EDITS, () => r.linsert("k", "BEFORE", String(MIDDLE), "x")));
      rows[1][1].push(await rate(EDITS, () => li.delete(MIDDLE)));
      rows[1][2].push(await rate(EDITS, () => r.lrem("k", 1, "x")));
    }
    say("filling shuffled numbers");
    await fillRedis(r, "s", SHUFFLED);
    // One untimed sort on each side first: the servers' sort code is compiled on its first run
    // (a long-running server's steady state is what is measured, as for every other row).
    await li.clear();
    await li.extend(SHUFFLED);
    await li.sort();
    await r.sort("s", "STORE", "s2");
    for (let round = 0; round < ROUNDS; round++) {
      say(`sort, round ${round + 1}`);
      await li.clear();
      await li.extend(SHUFFLED);
      rows[2][1].push(await rate(1, () => li.sort()));
      rows[2][2].push(await rate(1, () => r.sort("s", "STORE", "s2")));
    }
    const sorted = await li.slice(0, 3);
    if (
      JSON.stringify(sorted) !== JSON.stringify([...SHUFFLED].sort((a, b) => a - b).slice(0, 3))
    ) {
      throw new Error(`the sorted list starts ${JSON.stringify(sorted)}`);
    }
    const fmt = (n: number) => n < 100 ? n.toFixed(2) : Math.round(n).toLocaleString("en-US");
    console.log(
      `\nList edits and sort vs Redis (redis-server ${redis.version}, ${IOREDIS}; ` +
        `two typenet servers; median of ${ROUNDS}, sorts after one untimed sort each)\n`,
    );
    console.log("| row | typenet | Redis | typenet / Redis |");
    console.log("| --- | ---: | ---: | ---: |");
    for (const [title, ours, theirs] of rows) {
      const [a, b] = [median(ours), median(theirs)];
      console.log(`| ${title} | ${fmt(a)} | ${fmt(b)} | ${(a / b).toFixed(2)} |`);
    }
  } finally {
    await li.destroy();
    r.disconnect();
    await redis.stop();
  }
  return 0;
}

Deno.exit(await main());
