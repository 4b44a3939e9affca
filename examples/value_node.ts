/**
 * The original picklenode, without pickle: a node holding one value replicated across the
 * cluster. Without `w` it prints the value every second; with `w` it sets a new value every
 * second. Start several (some with `w`, some without) on the same cluster port.
 *
 * @example
 * ```sh
 * deno run --allow-net=127.0.0.1 examples/value_node.ts 7946 w   # a writer
 * deno run --allow-net=127.0.0.1 examples/value_node.ts 7946     # a reader
 * ```
 * @module
 */
import { ValueNode } from "../mod.ts";
import { clusterPortArgument, startOnClusterPort } from "./cluster_port.ts";

const clusterPort = clusterPortArgument("usage: value_node.ts CLUSTER_PORT [w]");
const writes = Deno.args[1] === "w";
const node = await startOnClusterPort((where) => ValueNode.start(where), clusterPort);
console.log(`value node ${node.id} on ${node.clusterPort} (members: ${node.members().length})`);

let count = 0;
const timer = setInterval(async () => {
  if (writes) {
    const value = { count: ++count, by: node.id, at: new Date().toISOString() };
    try {
      const { delivered } = await node.set(value);
      console.log(`set ${JSON.stringify(value)} (on ${delivered.length} other members)`);
    } catch (error) {
      console.log(`set failed: ${(error as Error).message}`);
    }
  } else {
    console.log(`value ${JSON.stringify(node.get())}`);
  }
}, 1000);

await new Promise<void>((resolve) => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, resolve);
});
clearInterval(timer);
await node.leave();
