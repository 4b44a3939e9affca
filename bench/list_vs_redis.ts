/**
 * typenet's `List` against Redis lists, measured in the same run on this machine.
 *
 * Starts one `redis-server` and one `typenet server` on loopback, then times four rows:
 * single appends, 1,000-value batches, random reads of a 1,000,000-item list, and reading
 * that whole list in order. Redis is driven by two clients (ioredis and node-redis); the
 * faster of them on each row is the anchor. Rounds are interleaved (typenet, Redis A,
 * Redis B, typenet, …) after a warm-up round, and each figure is the median of its rounds.
 * The table goes to stdout; progress and every round's figure go to stderr.
 *
 * @example
 * ```sh
 * deno task bench           # the full run, under a minute on 2 cores
 * deno task bench --quick   # a smoke run: fewer rounds and items
 * ```
 * @module
 */
import { List } from "../lib/types/list.ts";
import { startServer } from "../tests/support/process.ts";
import { seededRandom } from "../tests/support/random.ts";
import { measure, type Measured, median, ROUND_BUDGET_MS, timeLoop } from "./measure.ts";
import { openRedisClients, type RedisClient, startRedisOrSay } from "./redis.ts";
import { startEchoServer, timeEchoes } from "./echo_floor.ts";

const QUICK = Deno.args.includes("--quick");
const SIZE = QUICK
  ? { rounds: 2, appends: 500, extends: 10_000, big: 50_000, reads: 2_000 }
  : { rounds: 5, appends: 5_000, extends: 100_000, big: 1_000_000, reads: 20_000 };
/** Items per `extend` call, per batched RPUSH and per LRANGE chunk. */
const BATCH = 1_000;
/** The Redis key (and typenet list name) of the big list that rows 3 and 4 read. */
const BIG = "big";

// Everything a timed loop uses is made here, before any clock starts: 1,000 distinct
// 100-character strings (item i of every list is VALUES[i % 1000]) and the read positions.
const random = seededRandom(42);
const ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const VALUES = Array.from(
  { length: BATCH },
  () => Array.from({ length: 100 }, () => ALPHABET[Math.floor(random() * 62)]).join(""),
);
const READ_AT = Array.from({ length: SIZE.reads }, () => Math.floor(random() * SIZE.big));

/** One table row: how to time one round of it on each side. */
interface Row {
  title: string;
  typenet: (round: number) => Promise<Measured>;
  redis: (client: RedisClient, round: number) => Promise<Measured>;
}

/** A row's medians. */
interface Line {
  title: string;
  typenet: number;
  redis: { name: string; rate: number }[];
  cut: boolean;
}

async function main(): Promise<number> {
  const redis = await startRedisOrSay();
  if (!redis) return 1;
  try {
    const server = await startServer();
    try {
      const clients = await openRedisClients(redis.port);
      try {
        const floor = await echoFloor();
        const lines = await runRows(
          (name) => List.open(name, { nodes: [server.address] }),
          clients,
        );
        console.log(report(lines, redis.version, floor));
      } finally {
        for (const client of clients) await client.close();
      }
    } finally {
      await server.stop();
    }
  } finally {
    await redis.stop();
  }
  return 0;
}

async function runRows(
  open: (name: string) => Promise<List>,
  clients: RedisClient[],
): Promise<Line[]> {
  const lines: Line[] = [];
  const appendRows = [
    appendRow(open, {
      title: "append 1 value, awaited one at a time (ops/s)",
      name: "append",
      count: SIZE.appends,
      step: 1,
      typenet: (li, n) => li.append(VALUES[n % BATCH]),
      redis: (c, key, n) => c.rpush(key, [VALUES[n % BATCH]]),
    }),
    appendRow(open, {
      title: "extend(1,000 values) vs RPUSH of 1,000 (items/s)",
      name: "extend",
      count: SIZE.extends,
      step: BATCH,
      typenet: (li) => li.extend(VALUES),
      redis: (c, key) => c.rpush(key, VALUES),
    }),
  ];
  for (const row of appendRows) lines.push(await runRow(row, clients));

  // Rows 3 and 4 read one big list on each side, filled (untimed) and checked first.
  progress(`filling a ${SIZE.big.toLocaleString("en-US")}-item list on each side`);
  const big = await open(BIG);
  try {
    let start = performance.now();
    await big.extend(cycle(SIZE.big));
    progress(`  typenet extend: ${seconds(start)} s`);
    start = performance.now();
    for (let n = 0; n < SIZE.big; n += BATCH) await clients[0].rpush(BIG, VALUES);
    progress(`  ${clients[0].name} RPUSH of 1,000 at a time: ${seconds(start)} s`);
    const probe = SIZE.big - 1;
    const seen = [
      await big.at(probe),
      ...await Promise.all(clients.map((c) => c.lindex(BIG, probe))),
    ];
    if (await big.length() !== SIZE.big || seen.some((v) => v !== VALUES[probe % BATCH])) {
      throw new Error("the big lists do not hold what was put in them");
    }

    lines.push(
      await runRow({
        title: `at(random i) on a ${SIZE.big.toLocaleString("en-US")}-item list vs LINDEX (ops/s)`,
        typenet: () => timeLoop(SIZE.reads, 1, (n) => big.at(READ_AT[n])),
        redis: (c) => timeLoop(SIZE.reads, 1, (n) => c.lindex(BIG, READ_AT[n])),
      }, clients),
    );
    lines.push(
      await runRow({
        title: `for await over all items vs LRANGE chunks of 1,000 (items/s)`,
        typenet: () =>
          measure(SIZE.big, async (late) => {
            let n = 0;
            for await (const _ of big) {
              // Look at the clock once a chunk, as the Redis side does.
              if (++n % BATCH === 0 && late()) break;
            }
            return n;
          }),
        redis: (c) => timeLoop(SIZE.big, BATCH, (n) => c.lrange(BIG, n, n + BATCH - 1)),
      }, clients),
    );
  } finally {
    await big.close();
  }
  return lines;
}

/** What {@link appendRow} times: `count` items, `step` of them per awaited call. */
interface AppendSpec {
  title: string;
  /** Prefix of the per-round list names and Redis keys. */
  name: string;
  count: number;
  step: number;
  typenet: (li: List, done: number) => Promise<unknown>;
  redis: (client: RedisClient, key: string, done: number) => Promise<unknown>;
}

/**
 * A row that appends to a fresh list (or key) each round, so rounds neither grow one list
 * nor depend on each other. Both sides delete theirs after the round (`destroy`, `DEL`).
 */
function appendRow(open: (name: string) => Promise<List>, spec: AppendSpec): Row {
  return {
    title: spec.title,
    typenet: async (round) => {
      const li = await open(`${spec.name}-${round}`);
      try {
        return await timeLoop(spec.count, spec.step, (n) => spec.typenet(li, n));
      } finally {
        await li.destroy();
      }
    },
    redis: async (client, round) => {
      const key = `${spec.name}-${client.name}-${round}`;
      try {
        return await timeLoop(spec.count, spec.step, (n) => spec.redis(client, key, n));
      } finally {
        await client.del(key);
      }
    },
  };
}

/** Rounds interleaved typenet, Redis A, Redis B, typenet, …; medians per side. */
async function runRow(row: Row, clients: RedisClient[]): Promise<Line> {
  progress(row.title);
  const typenet: Measured[] = [];
  const redis: Measured[][] = clients.map(() => []);
  // Round 0 is a warm-up, not counted: the first round pays for JIT compilation on each side.
  for (let round = 0; round <= SIZE.rounds; round++) {
    const counted = round > 0;
    const t = await row.typenet(round);
    if (counted) typenet.push(t);
    for (const [k, client] of clients.entries()) {
      const r = await row.redis(client, round);
      if (counted) redis[k].push(r);
    }
  }
  // Every round on stderr, to show how much the figures move between rounds.
  const rounds = (ms: Measured[]) => ms.map((m) => Math.round(m.rate)).join(", ");
  progress(`  typenet: ${rounds(typenet)}`);
  for (const [k, client] of clients.entries()) progress(`  ${client.name}: ${rounds(redis[k])}`);
  return {
    title: row.title,
    typenet: median(typenet.map((m) => m.rate)),
    redis: clients.map((c, k) => ({ name: c.name, rate: median(redis[k].map((m) => m.rate)) })),
    cut: [typenet, ...redis].flat().some((m) => m.cut),
  };
}

/** The median rate of round trips to a Deno echo server: the floor under rows 1 and 3. */
async function echoFloor(): Promise<number> {
  progress("round trips to a Deno echo server (the floor for one-at-a-time rows)");
  const echo = await startEchoServer();
  try {
    const rounds: Measured[] = [];
    for (let round = 0; round <= SIZE.rounds; round++) {
      const measured = await timeEchoes(echo.port, SIZE.appends);
      if (round > 0) rounds.push(measured);
    }
    progress(`  echo: ${rounds.map((m) => Math.round(m.rate)).join(", ")}`);
    return median(rounds.map((m) => m.rate));
  } finally {
    await echo.stop();
  }
}

function report(lines: Line[], redisVersion: string, floor: number): string {
  const rate = (n: number) => Math.round(n).toLocaleString("en-US");
  const pct = (ratio: number) => `${Math.round(ratio * 100)}%`;
  const table = lines.map((line, k) => {
    const [anchor, other] = [...line.redis].sort((a, b) => b.rate - a.rate);
    return `| ${k + 1}. ${line.title}${line.cut ? " *" : ""} | ${rate(line.typenet)} | ` +
      `${rate(anchor.rate)} | ${anchor.name} | ${(line.typenet / anchor.rate).toFixed(2)} | ` +
      `${rate(other.rate)} (${other.name}) |`;
  });
  const notes = [
    `Medians of ${SIZE.rounds} interleaved rounds (typenet, then each Redis client) after one ` +
    `warm-up round. Values are 100-character strings. The anchor is the faster Redis client ` +
    `on that row; "other client" is the slower one.`,
    ...lines.some((l) => l.cut)
      ? [
        `* at least one round hit the ${ROUND_BUDGET_MS / 1000} s budget; its rate counts ` +
        `the work it did.`,
      ]
      : [],
    `Floor: a Deno echo server that only reads and writes back answers ` +
    `${rate(floor)} round trips/s here; rows 1 and 3 reach ` +
    `${pct(lines[0].typenet / floor)} and ${pct(lines[2].typenet / floor)} of that.`,
    `Machine: Deno ${Deno.version.deno} (V8 ${Deno.version.v8}), ${Deno.build.os} ` +
    `${Deno.build.arch}, navigator.hardwareConcurrency = ${navigator.hardwareConcurrency}; ` +
    `redis-server ${redisVersion}; one typenet server and one redis-server on 127.0.0.1.`,
    `Reproduce: \`deno task bench\`${QUICK ? " (this was `deno task bench --quick`)" : ""}.`,
  ];
  return [
    `## typenet List vs Redis lists${QUICK ? " (--quick)" : ""}`,
    "",
    "| row | typenet | anchor (Redis) | anchor client | typenet / anchor | other client |",
    "| --- | ---: | ---: | --- | ---: | ---: |",
    ...table,
    "",
    ...notes,
  ].join("\n");
}

/** The big list's items in order: VALUES over and over. */
function* cycle(count: number): Generator<string> {
  for (let i = 0; i < count; i++) yield VALUES[i % BATCH];
}

function seconds(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(2);
}

function progress(message: string): void {
  console.error(`[bench] ${message}`);
}

if (import.meta.main) Deno.exit(await main());
