/**
 * A writer that keeps going while its server is killed and restarted: each write is retried
 * until it is acknowledged, so every write it finishes was acknowledged once — and must then
 * survive every later crash.
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 tests/support/durable_writer.ts dict NODE COUNT
 * deno run --allow-net=127.0.0.1 tests/support/durable_writer.ts cas NODE COUNT
 * deno run --allow-net=127.0.0.1 tests/support/durable_writer.ts list NODES COUNT
 * ```
 * `dict` sets keys `k0…k{COUNT-1}` of dict `durable` to their number, one after another, and
 * prints `done COUNT`. `cas` adds one to key `n` of dict `counter` by compare-and-set COUNT
 * times and prints `done ACKED UNKNOWN`: increments acknowledged, and increments whose answer
 * was lost (they may or may not have happened). `list` appends `n` = 0…COUNT-1 to list `durable`
 * over NODES (comma-separated, blocks of 7) and prints one JSON line
 * `{"acked": [n…], "unknown": [n…]}`: an append that failed before it reached the home is tried
 * again; one whose answer was lost is not (it may have happened) and is listed as unknown.
 *
 * @example
 * ```sh
 * deno run --allow-net=127.0.0.1 tests/support/durable_writer.ts dict 127.0.0.1:4444 500
 * ```
 * @module
 */
import { Dict, List } from "../../mod.ts";
import { Unavailable, Unreachable } from "../../lib/wire/errors.ts";

const [mode, node, countText] = Deno.args;
const count = Number(countText);
const nodes = node.split(",");

/** Run `write` until it resolves; `Unavailable` (the server is down) means wait and retry. */
async function untilAcknowledged<T>(write: () => Promise<T>, onLost?: () => void): Promise<T> {
  for (let attempt = 0;; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (!(error instanceof Unavailable) || attempt > 2000) throw error;
      onLost?.();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

if (mode === "dict") {
  const d = await untilAcknowledged(() => Dict.open("durable", { nodes }));
  for (let i = 0; i < count; i++) await untilAcknowledged(() => d.set(`k${i}`, i));
  console.log(`done ${count}`);
  await d.close();
} else if (mode === "cas") {
  const d = await untilAcknowledged(() => Dict.open("counter", { nodes }));
  let acked = 0;
  let unknown = 0;
  while (acked < count) {
    let writing = false;
    const written = await untilAcknowledged(async () => {
      const entry = await d.getEntry("n");
      writing = true;
      const ok = entry
        ? await d.set("n", (entry.value as number) + 1, { ifVersion: entry.version })
        : await d.setIfAbsent("n", 1);
      writing = false;
      return ok;
    }, () => {
      // A write whose answer was lost may or may not have happened; it is retried from a
      // fresh read.
      if (writing) unknown++;
      writing = false;
    });
    if (written) acked++;
  }
  console.log(`done ${acked} ${unknown}`);
  await d.close();
} else if (mode === "list") {
  const li = await untilAcknowledged(() => List.open("durable", { nodes, partitionSize: 7 }));
  const acked: number[] = [];
  const unknown: number[] = [];
  for (let n = 0; n < count; n++) {
    for (let attempt = 0;; attempt++) {
      try {
        await li.append(n);
        acked.push(n);
        break;
      } catch (error) {
        if (!(error instanceof Unavailable) || attempt > 2000) throw error;
        if (!(error instanceof Unreachable)) {
          unknown.push(n);
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
  }
  console.log(JSON.stringify({ acked, unknown }));
  await li.close();
} else {
  throw new Error(`unknown mode ${mode}`);
}
