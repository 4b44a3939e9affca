/**
 * `deno task demo` runs the tour end to end: servers start, the List works, servers stop; a
 * cluster; a gateway and the backup example.
 */
import assert from "node:assert/strict";
import { repoPath, runScript } from "./support/process.ts";

Deno.test("the tour runs and prints the original's node info for 10,000 items", async () => {
  await using tour = runScript(repoPath("examples/tour.ts"), [], {
    permissions: ["--allow-run", "--allow-read", "--allow-write=/tmp", "--allow-net=127.0.0.1"],
  });
  const status = await tour.status;
  await tour.stop();
  assert.equal(status.code, 0, tour.stderr.join("\n"));
  const out = tour.stdout.join("\n");
  const servers = [...out.matchAll(/^typenet server listening on (127\.0\.0\.1:\d+)$/gm)].map((
    m,
  ) => m[1]);
  // Two for the List part, one started twice on its data directory, one for the security part.
  assert.equal(servers.length, 5);
  const hosts = servers.slice(0, 2);
  // The gateway part: the tour's gateway, then the backup example's.
  assert.equal(
    [...out.matchAll(/^typenet gateway listening on 127\.0\.0\.1:\d+ \(pool 5\)$/gm)].length,
    2,
  );
  // The data directory: the list read back after the server was killed and started again.
  assert.equal(
    [...out.matchAll(/^await li\.toArray\(\) +→ \[ "survives", "even", "a", "crash" \]$/gm)].length,
    2,
  );
  assert.match(out, /^kill -9 the server, then start it again/m);
  // The cluster: three node processes, and each holds the value the tour's node set.
  assert.equal([...out.matchAll(/^typenet node \S+ cluster port /gm)].length, 3);
  assert.equal([...out.matchAll(/ → \{"lamp":"on","by":"the tour"\}$/gm)].length, 3);
  for (
    const line of [
      'await li.at(-1)                  → "test"',
      'await li.slice(0, 2)             → [ 0, "test" ]',
      "await li.delete(0); await li.at(0) → 0",
      'await li.insert(5_000, "middle"); await li.slice(4_999, 5_002) → [ 4999, "middle", 5000 ]',
      'await li.remove("middle")        → 5000',
      "await li.sort({ reverse: true }); await li.slice(0, 3) → [ 9999, 9998, 9997 ]",
      "await li.reverse(); await li.slice(0, 3) → [ 0, 1, 2 ]",
      [
        "---- node info ----",
        `Node(name=list-test, host=${hosts[0]}, len=5000)`,
        `Node(name=list-test, host=${hosts[1]}, len=5000)`,
      ].join("\n"),
      'await d.set("ada", { age: 37 }, { ifVersion: version }) → true',
      "… again with the same, now stale, version → false",
      "await d.setMany(1,000 entries); await d.size() → 1001",
      'await d.getMany(["ada", "user7", "nobody"]) → [ { age: 37 }, { n: 7 }, undefined ]',
      "stopping the servers",
      "AuthError: this server requires a token",
      '{"pin":1234} (over TLS, token proven, never sent)',
      'await node.set({ lamp: "on", by: "the tour" })  → delivered to 3, failed 0',
      "→ delivered to 4 of 4 members",
      "stopping the cluster",
      'await client.ping("Hello there..")  → "Hello there.."',
      "→ idents 0, 1, 2, 3, 4",
      "→ 300 readings from 3 handlers, in ident order",
      "stopping the gateway",
      "removeLogs → 5 removed",
      "left in the app's logs: settings.json",
    ]
  ) {
    assert.ok(out.includes(line), `the tour should print:\n${line}\n--- it printed:\n${out}`);
  }
});
