/**
 * The original picklenodewriter: a node of another type that writes the text form of every new
 * value to a file, one line each. It cooperates with examples/value_node.ts through the value
 * events they share.
 *
 * @example
 * ```sh
 * deno run --allow-net=127.0.0.1 --allow-write=values.txt examples/value_writer.ts 7946 values.txt
 * ```
 * @module
 */
import { ValueWriter } from "../mod.ts";
import { clusterPortArgument, startOnClusterPort } from "./cluster_port.ts";

const clusterPort = clusterPortArgument("usage: value_writer.ts CLUSTER_PORT FILE");
const file = Deno.args[1];
if (!file) {
  console.error("usage: value_writer.ts CLUSTER_PORT FILE");
  Deno.exit(2);
}
const node = await startOnClusterPort(
  (where) => ValueWriter.start({ ...where, file }),
  clusterPort,
);
console.log(`value writer ${node.id} on ${node.clusterPort}, writing to ${file}`);
node.on("change", (value) => console.log(`wrote ${JSON.stringify(value)}`));

await new Promise<void>((resolve) => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, resolve);
});
await node.leave();
