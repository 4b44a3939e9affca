/**
 * A value node for tests, as a process of its own: it joins, serves the admin API (printing
 * `http PORT`), and, given `--sets N --at MS`, sets N values as fast as it can from that
 * moment (so that several processes write at once), then prints `done`.
 *
 * @example
 * ```sh
 * deno run --allow-net=127.0.0.1 tests/support/value_setter.ts --join 127.0.0.1:7946 --sets 50 --at 1700000000000
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { serveAdmin, ValueNode } from "../../mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    join: { type: "string" },
    sets: { type: "string", default: "0" },
    at: { type: "string", default: "0" },
  },
});
const node = await ValueNode.start({ port: 0, join: values.join });
const admin = serveAdmin(node, { port: 0 });
console.log(
  `typenet node ${node.id} cluster port ${node.clusterPort} (members: ${node.members().length})`,
);
console.log(`http ${admin.addr.port}`);
const sets = Number(values.sets);
if (sets > 0) {
  await new Promise((resume) => setTimeout(resume, Math.max(0, Number(values.at) - Date.now())));
  for (let k = 0; k < sets; k++) await node.set(`${node.id} #${k}`);
  console.log("done");
}
await new Promise<void>((resolve) => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, resolve);
});
await node.leave();
await admin.shutdown();
