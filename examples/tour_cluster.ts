/**
 * The cluster part of the tour: three `typenet node --value` processes on 127.0.0.1, and the
 * tour's own value node joining them. A value set on the tour's node arrives on the three; a
 * broadcast reaches all; a member that leaves is seen to leave.
 *
 * @example
 * ```sh
 * deno run --allow-run --allow-read --allow-net=127.0.0.1 examples/tour.ts
 * ```
 * @module
 */
import { ValueEvent, ValueNode } from "../mod.ts";
import { isFree, type Running, startTypenet, stopTypenet } from "./tour.ts";

const READY = /^typenet node \S+ cluster port (\S+) \(members: \d+\)$/;

/** Start the cluster, use it, stop it. */
export async function clusterTour(): Promise<void> {
  console.log("\ntypenet tour: a cluster of three value nodes, and this program as a fourth\n");
  const nodes: Running[] = [];
  let tourNode: ValueNode | undefined;
  try {
    const first = isFree(7946) ? 7946 : 0;
    nodes.push(await startTypenet(["node", "--value", "--port", String(first)], READY));
    for (let k = 0; k < 2; k++) {
      nodes.push(
        await startTypenet(["node", "--value", "--port", "0", "--join", nodes[0].address], READY),
      );
    }
    console.log(`\nconst node = await ValueNode.start({ port: 0, join: "${nodes[0].address}" })`);
    tourNode = await ValueNode.start({ port: 0, join: nodes[0].address });
    const node = tourNode;
    console.log("node.members()");
    for (const m of node.members()) {
      console.log(
        `  ${m.id}  ${m.address.padEnd(16)} ${m.state.padEnd(6)} ${m.type.padEnd(10)} ${m.route}`,
      );
    }
    const set = await node.set({ lamp: "on", by: "the tour" });
    console.log(
      `await node.set({ lamp: "on", by: "the tour" })  → delivered to ${set.delivered.length}, ` +
        `failed ${set.failed.length}`,
    );
    console.log("what each node of the cluster holds now (asked with a request to each):");
    for (const member of node.members().filter((m) => m.id !== node.id)) {
      const theirs = await node.request(member.id, ValueEvent.Exchange, null) as { value: unknown };
      console.log(`  ${member.id} → ${JSON.stringify(theirs?.value)}`);
    }
    node.on(
      "greeting",
      (data, from) =>
        console.log(`  this node got greeting ${JSON.stringify(data)} from ${from.id}`),
    );
    const greeting = await node.emit("greeting", { hello: "world" }, { self: true });
    console.log(
      `await node.emit("greeting", { hello: "world" }, { self: true })  → delivered to ` +
        `${greeting.delivered.length} of ${node.members().length} members`,
    );
    const left = new Promise<string>((resolve) => node.on("member-leave", (m) => resolve(m.id)));
    console.log(`\nstopping ${nodes[2].address} (SIGTERM: it leaves gracefully)`);
    await stopTypenet(nodes.pop()!);
    console.log(`node.on("member-leave") → ${await left}`);
  } finally {
    console.log("\nstopping the cluster");
    await tourNode?.leave();
    await Promise.all(nodes.map(stopTypenet));
  }
}
