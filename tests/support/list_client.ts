/**
 * A List client in its own process, for tests of many writers and of reattaching.
 *
 * ```sh
 * deno run --allow-net=127.0.0.1 tests/support/list_client.ts write NODES SIZE NAME WRITER COUNT MODE
 * deno run --allow-net=127.0.0.1 tests/support/list_client.ts dump NODES SIZE NAME
 * ```
 * `NODES` is comma-separated; `MODE` is `append`, `push` or `extend`. `write` appends
 * `{ w: WRITER, n }` for n = 0…COUNT-1 and prints `wrote COUNT`; `dump` prints the list as JSON.
 *
 * @example
 * ```sh
 * deno run --allow-net=127.0.0.1 tests/support/list_client.ts dump 127.0.0.1:4444 100 jobs
 * ```
 * @module
 */
import { List } from "../../mod.ts";

const [command, nodes, size, name, writer, count, mode] = Deno.args;
const li = await List.open(name, { nodes: nodes.split(","), partitionSize: Number(size) });
try {
  if (command === "dump") {
    console.log(JSON.stringify(await li.toArray()));
  } else if (command === "write") {
    const items = Array.from({ length: Number(count) }, (_, n) => ({ w: Number(writer), n }));
    if (mode === "append") {
      for (const item of items) await li.append(item);
    } else if (mode === "push") {
      for (let i = 0; i < items.length; i += 7) await li.push(...items.slice(i, i + 7));
    } else {
      for (let i = 0; i < items.length; i += 50) await li.extend(items.slice(i, i + 50));
    }
    console.log(`wrote ${items.length}`);
  } else {
    throw new Error(`unknown command ${command}`);
  }
} finally {
  await li.close();
}
