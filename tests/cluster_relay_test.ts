/**
 * Relayed routes: node A may not connect to node B (its Deno permissions leave B's port out,
 * as a firewall would), but both reach C. A's events still reach B, through C; `members()` at
 * A says so; and B is never taken for dead, since C answers A's indirect probes of it.
 */
import assert from "node:assert/strict";
import { NodeOp } from "../lib/wire/cluster_protocol.ts";
import { decodeValue, encodeValue } from "../lib/wire/codec.ts";
import { connect } from "../lib/net/connect.ts";
import type { MemberInfo } from "../lib/cluster/node.ts";
import { startNode } from "./support/nodes.ts";
import { freePort, waitFor } from "./support/wait.ts";

Deno.test("a pair that cannot connect talks through a member that reaches both", async () => {
  const [portA, portB, portC] = [await freePort(), await freePort(), await freePort()];
  await using c = await startNode(["--port", String(portC)], "tests/support/event_node.ts");
  await using b = await startNode(
    ["--port", String(portB), "--join", c.address],
    "tests/support/event_node.ts",
  );
  // A may listen on its port and connect to C's, and nothing else: B is filtered for it.
  await using a = await startNode(
    ["--port", String(portA), "--join", c.address],
    "tests/support/event_node.ts",
    [`--allow-net=127.0.0.1:${portA},127.0.0.1:${portC}`],
  );
  const session = await connect(a.address);
  try {
    const membersAtA = async () =>
      decodeValue(await session.request(NodeOp.Members, []) as Uint8Array) as MemberInfo[];
    await waitFor(
      async () => (await membersAtA()).filter((m) => m.state === "alive").length === 3,
      {
        what: "A knows B and C alive",
      },
    );
    for (let round = 0; round < 5; round++) {
      const result = await session.request(NodeOp.Emit, ["greeting", encodeValue({ round })]) as {
        delivered: string[];
        failed: unknown[];
      };
      assert.deepEqual(result.failed, []);
      assert.deepEqual(new Set(result.delivered), new Set([a.id, b.id, c.id]));
    }
    await b.waitForLine(new RegExp(`^greeting ${a.id} \\{"round":4\\}$`));
    const viewOfB = (await membersAtA()).find((m) => m.id === b.id)!;
    assert.equal(viewOfB.route, "relay");
    assert.equal(viewOfB.via, c.id);
    assert.equal(viewOfB.state, "alive");
    // Several probe rounds later, A still holds B alive (C vouches for it), and nobody ever
    // took anyone for dead.
    const until = Date.now() + 6_000;
    await waitFor(() => Date.now() > until, { deadlineMs: 8_000, intervalMs: 200 });
    assert.equal((await membersAtA()).find((m) => m.id === b.id)?.state, "alive");
    for (const node of [a, b, c]) {
      assert.equal(node.stdout.some((line) => line.startsWith("member-failed")), false);
    }
  } finally {
    session.close();
    await session.closed;
  }
});
