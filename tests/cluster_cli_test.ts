/**
 * The cluster from a shell: `typenet node` (its usage errors and admin API), and
 * `typenet members`, `typenet emit` and `typenet listen` against it.
 */
import assert from "node:assert/strict";
import { repoPath, runScript } from "./support/process.ts";
import { startNode } from "./support/nodes.ts";
import { freePort, waitFor } from "./support/wait.ts";

const CLI = repoPath("cli.ts");

/** Run `typenet ARGS` to the end; its exit code and output. */
async function typenet(args: string[]) {
  const child = runScript(CLI, args);
  const status = await child.status;
  await child.stop();
  return { code: status.code, stdout: child.stdout, stderr: child.stderr };
}

Deno.test("typenet node, members, emit and listen work together", async () => {
  const httpPort = await freePort();
  await using first = await startNode(["--value", "--http", String(httpPort), "--name", "first"]);
  await using second = await startNode(["--join", first.address, "--name", "second"]);
  await waitFor(async () =>
    (await typenet(["members", first.address, "--json"])).stdout.join("").includes(second.id)
  );

  const table = await typenet(["members", first.address]);
  assert.equal(table.code, 0);
  assert.match(table.stdout[0], /^ID\s+NAME\s+ADDRESS\s+STATE\s+TYPE\s+ROUTE$/);
  assert.ok(
    table.stdout.some((l) => l.includes("first") && l.includes("ValueNode") && l.includes("self")),
  );
  assert.ok(
    table.stdout.some((l) => l.includes("second") && l.includes("Node") && l.includes("direct")),
  );

  await using listener = runScript(CLI, ["listen", second.address, "greeting"]);
  await waitFor(() => listener.stderr.some((l) => l.includes("listening to")));
  const emitted = await typenet(["emit", first.address, "greeting", '{"a":1}']);
  assert.equal(emitted.code, 0, emitted.stderr.join("\n"));
  assert.deepEqual(emitted.stdout, ["delivered to 2 member(s)"]);
  await listener.waitForLine(new RegExp(`^greeting ${first.id} \\{"a":1\\}$`));

  // The admin API of the first node.
  const members = await (await fetch(`http://127.0.0.1:${httpPort}/members`)).json();
  assert.equal(members.length, 2);
  const value = await (await fetch(`http://127.0.0.1:${httpPort}/value`)).json();
  assert.deepEqual(value, { value: null, stamp: null });
  const missing = await fetch(`http://127.0.0.1:${httpPort}/nothing`);
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
});

Deno.test("typenet node: usage errors are one line and exit 2; a taken port is exit 1", async () => {
  for (
    const [args, message] of [
      [["node", "--join", "nowhere"], "--join must be HOST:PORT"],
      [["node", "--port", "99999"], "--port must be a number from 0 to 65535"],
      [["node", "--value", "--value-writer", "x"], "choose one"],
      [["node", "extra"], "no positional arguments"],
      [["members"], "members takes one HOST:PORT"],
      [["emit", "127.0.0.1:1", "e", "{bad"], "the value must be JSON"],
    ] as const
  ) {
    const result = await typenet([...args]);
    assert.equal(result.code, 2, args.join(" "));
    assert.equal(result.stderr.length, 1, result.stderr.join("\n"));
    assert.ok(result.stderr[0].includes(message), result.stderr[0]);
  }
  const wildcard = await typenet(["node", "--host", "0.0.0.0", "--port", "0"]);
  assert.equal(wildcard.code, 1);
  assert.match(wildcard.stderr.join("\n"), /needs an address to advertise/);
  await using taken = await startNode();
  const port = taken.address.split(":")[1];
  const result = await typenet(["node", "--port", port]);
  assert.equal(result.code, 1);
  assert.match(result.stderr.join("\n"), /cannot start/);
  const unreachable = await typenet(["members", `127.0.0.1:${await freePort()}`]);
  assert.equal(unreachable.code, 1);
});
