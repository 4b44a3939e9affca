/**
 * One writer of the CAS counter test: increments dict `counter`'s key `n` `count` times by
 * read-modify-write with compare-and-set, retrying when another writer got there first.
 * Prints `done RETRIES` at the end.
 *
 * @example
 * ```sh
 * deno run --allow-net=127.0.0.1 tests/support/cas_counter.ts 127.0.0.1:4444,127.0.0.1:4445 250
 * ```
 * @module
 */
import { Dict } from "../../mod.ts";

const [nodes, count] = [Deno.args[0].split(","), Number(Deno.args[1])];
await using counter = await Dict.open("counter", { nodes });
let retries = 0;
for (let i = 0; i < count; i++) {
  while (true) {
    const entry = await counter.getEntry("n");
    const written = entry
      ? await counter.set("n", (entry.value as number) + 1, { ifVersion: entry.version })
      : await counter.setIfAbsent("n", 1);
    if (written) break;
    retries++;
  }
}
console.log(`done ${retries}`);
