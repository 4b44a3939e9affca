/**
 * What a log compaction costs the other clients: a list of 1,000,000 100-character items is
 * written, then cleared and written again twice — the log outgrows its data, and the server
 * compacts it in the background — while a second client reads the list's length back to back.
 * The slowest of those reads is reported against the same writes on a server without `--data`
 * (no log, no compaction) in the same run: the ratio is what compaction adds.
 *
 * ```sh
 * deno run --allow-run --allow-env --allow-read --allow-write=/tmp --allow-net=127.0.0.1 bench/compaction_stall.ts
 * ```
 * @module
 */
import { List } from "../mod.ts";
import { startServer } from "../tests/support/process.ts";

const ITEMS = 1_000_000;
const BATCH = 10_000;
const VALUE = "x".repeat(100);
/** How long to wait, after the writes, for a compaction still under way. */
const SETTLE_MS = 10_000;

/** The slowest read while the writes run (and, with a data directory, two compactions). */
async function slowestRead(dir?: string): Promise<{ slowestMs: number; compactions: number }> {
  const args = dir ? ["--data", dir, "--compact-min-bytes", String(16 * 1024 * 1024)] : [];
  const permissions = dir
    ? ["--allow-net=127.0.0.1", `--allow-read=${dir}`, `--allow-write=${dir}`]
    : ["--allow-net=127.0.0.1"];
  await using server = await startServer(["127.0.0.1", "0", ...args], { permissions });
  await using writer = await List.open("stall", { nodes: [server.address] });
  await using reader = await List.open("stall", { nodes: [server.address] });
  const items = Array.from({ length: ITEMS }, (_, i) => VALUE + i);
  const write = async () => {
    for (let i = 0; i < ITEMS; i += BATCH) await writer.extend(items.slice(i, i + BATCH));
  };
  await write();
  const logSize = () => dir ? Deno.statSync(`${dir}/log`).size : 0;
  let done = false;
  let slowestMs = 0;
  let compactions = 0;
  let last = logSize();
  const reading = (async () => {
    while (!done) {
      const start = performance.now();
      await reader.length();
      slowestMs = Math.max(slowestMs, performance.now() - start);
      const size = logSize();
      if (size < last) compactions++;
      last = size;
    }
  })();
  for (let round = 0; round < 2; round++) {
    await writer.clear();
    await write();
  }
  // A compaction may still be writing its snapshot: read on until it is done (or give up).
  const deadline = performance.now() + SETTLE_MS;
  while (dir && compactions < 2 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  done = true;
  await reading;
  return { slowestMs, compactions };
}

async function main(): Promise<number> {
  const say = (message: string) => console.error(`bench/compaction: ${message}`);
  say("memory only (the anchor)");
  const anchor = await slowestRead();
  const dir = await Deno.makeTempDir({ prefix: "typenet-bench-" });
  try {
    say("with --data: the log is compacted while the writes go on");
    const ours = await slowestRead(dir);
    console.log(`\nCompaction while 1,000,000 items are written again twice (slowest read)\n`);
    console.log("| server | compactions | slowest read (ms) | / memory only |");
    console.log("| --- | ---: | ---: | ---: |");
    console.log(`| memory only | 0 | ${anchor.slowestMs.toFixed(1)} | 1.00 |`);
    console.log(
      `| --data (everysec) | ${ours.compactions} | ${ours.slowestMs.toFixed(1)} | ` +
        `${(ours.slowestMs / anchor.slowestMs).toFixed(2)} |`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  return 0;
}

Deno.exit(await main());
