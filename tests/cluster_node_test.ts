/**
 * Cluster nodes as real processes on 127.0.0.1: joining through different members, events to
 * all and to one, requests and no-responders, a SIGKILLed member found by all (and named by
 * `emit`), a SIGSTOPped one that is not, a graceful leave, and a dead cluster port.
 */
import assert from "node:assert/strict";
import { Node } from "../mod.ts";
import { connect } from "../lib/net/connect.ts";
import { NodeOp } from "../lib/wire/cluster_protocol.ts";
import { NoHandler } from "../lib/wire/errors.ts";
import { decodeValue } from "../lib/wire/codec.ts";
import type { MemberInfo } from "../lib/cluster/node.ts";
import { type NodeProcess, startEventNode, startNode } from "./support/nodes.ts";
import { rejectsWith } from "./support/assert.ts";
import { freePort, waitFor } from "./support/wait.ts";

/** The members as the node at `address` sees them. */
async function membersOf(address: string): Promise<MemberInfo[]> {
  const session = await connect(address);
  try {
    return decodeValue(await session.request(NodeOp.Members, []) as Uint8Array) as MemberInfo[];
  } finally {
    session.close();
    await session.closed;
  }
}

/** Whether `node` printed a line starting with `prefix`. */
function printed(node: NodeProcess, prefix: string): string | undefined {
  return node.stdout.find((line) => line.startsWith(prefix));
}

Deno.test("a cluster of real processes: join, events, requests, kill, pause, leave", async (t) => {
  const nodes: NodeProcess[] = [];
  const driverReady = Promise.withResolvers<void>();
  let driver: Node | undefined;
  try {
    await t.step("five nodes joining through different members all see each other", async () => {
      nodes.push(await startEventNode());
      for (const via of [0, 1, 0, 2]) nodes.push(await startEventNode(nodes[via].address));
      for (const node of nodes) {
        let seen: unknown[] = [];
        await waitFor(
          async () => {
            const view = await membersOf(node.address);
            seen = view.map((m) => `${m.id} ${m.state}`);
            return view.filter((m) => m.state === "alive").length === 5;
          },
          // Usually well under a second; the 30 s push-pull is what guarantees it, should a
          // piece of news run out before reaching everyone (seen once in a full suite run).
          { what: `${node.id} sees 5 alive`, deadlineMs: 35_000 },
        ).catch((error) => {
          throw new Error(`${error.message}; it sees ${seen.join(", ")}`);
        });
      }
      const view = await membersOf(nodes[4].address);
      assert.deepEqual(new Set(view.map((m) => m.id)), new Set(nodes.map((n) => n.id)));
      assert.ok(
        view.every((m) => m.type === "Node" && (m.route === "direct" || m.route === "self")),
      );
    });

    await t.step("a library node joins; emit reaches every member and says so", async () => {
      driver = await Node.start({ port: 0, join: nodes[3].address });
      driverReady.resolve();
      await waitFor(() => driver!.members().filter((m) => m.state === "alive").length === 6);
      const result = await driver.emit("greeting", { hello: "world" });
      assert.deepEqual(result.failed, []);
      assert.deepEqual(new Set(result.delivered), new Set(nodes.map((n) => n.id)));
      for (const node of nodes) {
        assert.equal(printed(node, "greeting"), `greeting ${driver.id} {"hello":"world"}`);
      }
    });

    await t.step("events sent without acknowledgement arrive, in order", async () => {
      for (let k = 0; k < 100; k++) await driver!.send(nodes[0].id, "greeting", k, { ack: false });
      const result = await driver!.emit("greeting", "unacked", { ack: false });
      assert.equal(result.delivered.length, 5);
      await nodes[0].waitForLine(/^greeting \S+ "unacked"$/);
      const numbers = nodes[0].stdout.filter((l) => /^greeting \S+ \d+$/.test(l)).map((l) =>
        Number(l.split(" ")[2])
      );
      assert.deepEqual(numbers, Array.from({ length: 100 }, (_, k) => k));
    });

    await t.step("request gets the handler's reply; no handler is NoHandler at once", async () => {
      assert.equal(await driver!.request(nodes[1].id, "sum", [1, 2, 3]), 6);
      const started = performance.now();
      await rejectsWith(
        () => driver!.request(nodes[1].id, "nothing", null, { timeoutMs: 60_000 }),
        NoHandler,
        "no handler for 'nothing'",
      );
      assert.ok(performance.now() - started < 30_000, "answered, not timed out");
    });

    await t.step(
      "a SIGKILLed member is marked failed by every other, and emit names it",
      async () => {
        const victim = nodes[4];
        const killedAt = Date.now();
        victim.kill("SIGKILL");
        const result = await driver!.emit("greeting", "after the kill");
        assert.deepEqual(result.failed.map((f) => f.id), [victim.id]);
        await victim.status;
        for (const node of nodes.slice(0, 4)) {
          await waitFor(() => printed(node, `member-failed ${victim.id}`) !== undefined, {
            what: `${node.id} marks ${victim.id} failed`,
            deadlineMs: 20_000,
          });
        }
        const seenAt = nodes.slice(0, 4).map((node) =>
          Number(printed(node, `member-failed ${victim.id}`)!.split(" ")[2])
        );
        console.log(`SIGKILL detected by all 4 others within ${Math.max(...seenAt) - killedAt} ms`);
        await waitFor(() => driver!.member(victim.id)?.state === "dead");
      },
    );

    await t.step("a member paused for 2 s is not declared dead when it resumes", async () => {
      const sleeper = nodes[2];
      sleeper.kill("SIGSTOP");
      await new Promise((resume) => setTimeout(resume, 2_000));
      sleeper.kill("SIGCONT");
      // Well past the shortest suspicion (4 s for 5 members): any false failure would show.
      const until = Date.now() + 8_000;
      await waitFor(() => Date.now() > until, { deadlineMs: 10_000, intervalMs: 200 });
      for (const node of nodes.slice(0, 4)) {
        assert.equal(printed(node, `member-failed ${sleeper.id}`), undefined, `seen by ${node.id}`);
      }
      assert.equal(driver!.member(sleeper.id)?.state, "alive");
    });

    await t.step("a member that leaves is reported as left, never as failed", async () => {
      const leaver = nodes[3];
      await leaver.stop("SIGTERM");
      for (const node of nodes.slice(0, 3)) {
        await waitFor(() => printed(node, `member-leave ${leaver.id}`) !== undefined, {
          what: `${node.id} sees ${leaver.id} leave`,
        });
        assert.equal(printed(node, `member-failed ${leaver.id}`), undefined);
      }
      await waitFor(() => driver!.member(leaver.id)?.state === "left");
    });
  } finally {
    await driver?.stop();
    await Promise.all(nodes.map((node) => node.stop("SIGKILL")));
  }
});

Deno.test("a node whose cluster port answers nothing starts a new cluster and says so", async () => {
  const nowhere = `127.0.0.1:${await freePort()}`;
  await using node = await startNode(["--join", nowhere]);
  assert.equal(node.membersAtStart, 1);
  assert.ok(
    node.stderr.some((line) => line.includes(`no cluster node answered at ${nowhere}`)),
    node.stderr.join("\n"),
  );
});
