/**
 * The replicated value across real processes: three writers at once converge, a late joiner
 * catches up without a write, a writer node's file gets every value, a clock far ahead is
 * refused, and `typenet node --value --http` shows it all to curl.
 */
import assert from "node:assert/strict";
import { ClockSkew, ValueNode, type ValueNodeOptions, ValueWriter } from "../mod.ts";
import { type NodeProcess, startNode } from "./support/nodes.ts";
import { rejectsWith } from "./support/assert.ts";
import { waitFor } from "./support/wait.ts";

/** The `/value` a node's admin API shows. */
async function valueAt(port: number): Promise<{ value: unknown; stamp: unknown }> {
  const response = await fetch(`http://127.0.0.1:${port}/value`);
  return await response.json();
}

/** The admin port a value_setter printed (it prints it just after its ready line). */
async function httpPort(node: NodeProcess): Promise<number> {
  return Number((await node.waitForLine(/^http (\d+)$/))[1]);
}

Deno.test("value nodes: concurrent writers converge, late joiners catch up, writers write", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "typenet-values-" });
  const file = `${dir}/values.txt`;
  const nodes: NodeProcess[] = [];
  try {
    const setter = (join: string | undefined, extra: string[] = []) =>
      startNode(
        [...(join ? ["--join", join] : []), ...extra],
        "tests/support/value_setter.ts",
      );

    await t.step("three nodes setting at once end with the same value everywhere", async () => {
      nodes.push(await setter(undefined));
      const at = String(Date.now() + 1_500);
      nodes.push(await setter(nodes[0].address, ["--sets", "40", "--at", at]));
      nodes.push(await setter(nodes[0].address, ["--sets", "40", "--at", at]));
      nodes.push(await setter(nodes[1].address, ["--sets", "40", "--at", at]));
      for (const node of nodes.slice(1)) await node.waitForLine(/^done$/, 20_000);
      const ports = await Promise.all(nodes.map(httpPort));
      await waitFor(async () => {
        const values = await Promise.all(ports.map(valueAt));
        return values.every((v) => JSON.stringify(v) === JSON.stringify(values[0]));
      }, { what: "every node holds the same value", deadlineMs: 15_000, intervalMs: 100 });
      const final = await valueAt(ports[0]);
      assert.match(String(final.value), /^[0-9a-f]{12} #39$/, "the last write of one of them");
    });

    await t.step("a node that joins late has the value without a new write", async () => {
      const before = await valueAt(await httpPort(nodes[0]));
      const late = await setter(nodes[2].address);
      nodes.push(late);
      const latePort = await httpPort(late);
      await waitFor(
        async () => JSON.stringify(await valueAt(latePort)) === JSON.stringify(before),
        { what: "the late joiner caught up" },
      );
    });

    await t.step("a value writer appends every new value to its file", async () => {
      const writer = await startNode(
        ["--join", nodes[0].address, "--value-writer", file],
        "cli.ts",
        ["--allow-net=127.0.0.1", `--allow-write=${dir}`],
      );
      nodes.push(writer);
      // It catches up first (one line: the current value), then gets each new one.
      const driver = await ValueNode.start({ port: 0, join: nodes[0].address });
      try {
        for (const value of ["first", { second: 2 }, "line\nbreak"]) await driver.set(value);
        await waitFor(async () => {
          const lines = (await Deno.readTextFile(file).catch(() => "")).split("\n");
          return lines.includes('"line\\nbreak"');
        }, { what: "the writer wrote the last value" });
        const lines = (await Deno.readTextFile(file)).trimEnd().split("\n");
        assert.deepEqual(lines.slice(-3), ["first", '{"second":2}', '"line\\nbreak"']);
        assert.ok(lines.length <= 4, lines.join(" | "));
        const members = await (await fetch(`http://127.0.0.1:${await httpPort(nodes[0])}/members`))
          .json();
        assert.ok(members.some((m: { type: string }) => m.type === "ValueWriter"));
      } finally {
        await driver.leave();
      }
    });

    await t.step("a node whose clock is an hour ahead cannot set the value", async () => {
      const before = await valueAt(await httpPort(nodes[0]));
      const ahead = await ValueNode.start({
        port: 0,
        join: nodes[0].address,
        now: () => Date.now() + 3_600_000,
      });
      try {
        await rejectsWith(() => ahead.set("from the future"), ClockSkew, "ahead");
        assert.notEqual(ahead.get(), "from the future");
        assert.deepEqual(await valueAt(await httpPort(nodes[0])), before);
      } finally {
        await ahead.leave();
      }
    });
  } finally {
    await Promise.all(nodes.map((node) => node.stop("SIGKILL")));
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a failing change handler or file write does not take a node down", async () => {
  const notices: string[] = [];
  /** A value node whose change handler always throws. */
  class Fragile extends ValueNode {
    constructor(options: ValueNodeOptions) {
      super(options);
      this.on("change", () => {
        throw new Error("a broken handler");
      });
    }
  }
  const a = await ValueNode.start({ port: 0 });
  await a.set("x");
  // Joining, the fragile node catches up by exchanges: its handler throws there (the error is
  // the answer to the member that offered the value, or a notice on this side).
  const b = await Fragile.start({ port: 0, join: a.clusterPort, onNotice: (n) => notices.push(n) });
  // A writer whose file cannot be written.
  const writer = await ValueWriter.start({
    port: 0,
    join: a.clusterPort,
    file: "/nonexistent-typenet-dir/values.txt",
    onNotice: (n) => notices.push(n),
  });
  try {
    assert.equal(b.get(), "x");
    await writer.flushed();
    assert.ok(notices.some((n) => n.includes("cannot write")), notices.join("\n"));
    // Both still work: the value reaches them, and the setter hears of the broken handler.
    const { failed } = await a.set("y");
    assert.deepEqual(failed.map((f) => [f.id, f.error.message]), [[b.id, "a broken handler"]]);
    assert.equal(b.get(), "y");
    assert.equal(writer.get(), "y");
  } finally {
    await writer.stop();
    await b.stop();
    await a.stop();
  }
});
