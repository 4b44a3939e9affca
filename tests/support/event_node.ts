/**
 * A cluster node for tests, as a process of its own: it prints its ready line as `typenet node`
 * does, then one line per thing it sees — `greeting FROM JSON` for each greeting event,
 * `member-join|member-leave|member-failed ID AT_MS` for members — and answers `sum` requests
 * with the sum of the numbers sent. SIGTERM makes it leave gracefully.
 *
 * @example
 * ```sh
 * deno run --allow-net=127.0.0.1 tests/support/event_node.ts --port 0 --join 127.0.0.1:7946
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { Node } from "../../lib/cluster/node.ts";

const args = parseArgs({
  args: Deno.args,
  options: {
    port: { type: "string", default: "0" },
    join: { type: "string", multiple: true },
    name: { type: "string" },
  },
});
const node = await Node.start({
  port: Number(args.values.port),
  join: args.values.join,
  name: args.values.name,
  onNotice: (message) => console.error(message),
});
node.on("greeting", (data, from) => console.log(`greeting ${from.id} ${JSON.stringify(data)}`));
node.on("sum", (numbers) => (numbers as number[]).reduce((a, b) => a + b, 0));
for (const event of ["member-join", "member-leave", "member-failed"] as const) {
  node.on(event, (member) => console.log(`${event} ${member.id} ${Date.now()}`));
}
console.log(
  `typenet node ${node.id} cluster port ${node.clusterPort} (members: ${node.members().length})`,
);
await new Promise<void>((resolve) => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, resolve);
});
await node.leave();
