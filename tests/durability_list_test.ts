/**
 * Lists on servers with `--data`: a writer appending while a server is SIGKILLed and restarted
 * — alone, the home of a list over three servers, and a node that is not the home — and every
 * acknowledged append is there after, in order, once; edits, sorts and clears survive a
 * restart; a list of 100,000 items comes back.
 */
import assert from "node:assert/strict";
import { Dict, List } from "../mod.ts";
import { type ServerProcess, startServer } from "./support/process.ts";
import { repoPath, runScript } from "./support/process.ts";
import { freePort, waitFor } from "./support/wait.ts";

const PERMISSIONS = ["--allow-net=127.0.0.1", "--allow-read", "--allow-write"];

/** `count` servers with data directories, on ports that stay theirs across restarts. */
async function durableServers(count: number, fsync = "everysec") {
  const dirs = await Promise.all(
    Array.from({ length: count }, () => Deno.makeTempDir({ prefix: "typenet-data-" })),
  );
  const ports: number[] = [];
  for (let k = 0; k < count; k++) ports.push(await freePort());
  const start = (k: number) =>
    startServer(["127.0.0.1", String(ports[k]), "--data", dirs[k], "--fsync", fsync], {
      permissions: PERMISSIONS,
    });
  const servers: ServerProcess[] = await Promise.all(dirs.map((_, k) => start(k)));
  return {
    servers,
    nodes: ports.map((port) => `127.0.0.1:${port}`),
    dirs,
    /** SIGKILL server `k` and start it again on the same directory and port. */
    async restart(k: number) {
      await servers[k].stop("SIGKILL");
      servers[k] = await start(k);
    },
    async [Symbol.asyncDispose]() {
      await Promise.all(servers.map((server) => server.stop()));
      for (const dir of dirs) await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Wait until server `dir`'s log has grown by `bytes` (or the writer is done). */
async function logGrows(dir: string, bytes: number, done: () => boolean): Promise<void> {
  const size = (await Deno.stat(`${dir}/log`)).size;
  await waitFor(async () => done() || (await Deno.stat(`${dir}/log`)).size > size + bytes, {
    deadlineMs: 30_000,
    what: "the writer to append",
  });
}

/** Every acknowledged append once, in order; an unknown one at most once; nothing else. */
function checkList(items: unknown[], acked: number[], unknown: number[]): void {
  const allowed = new Set([...acked, ...unknown]);
  const seen = new Set<number>();
  for (const item of items) {
    const n = item as number;
    assert.ok(allowed.has(n), `item ${n} was never appended`);
    assert.ok(!seen.has(n), `item ${n} is there twice`);
    seen.add(n);
  }
  for (const n of acked) assert.ok(seen.has(n), `acknowledged item ${n} was lost`);
  const order = items.filter((n) => acked.includes(n as number));
  assert.deepEqual(order, acked, "acknowledged items out of order");
}

for (
  const [title, count, victims] of [
    ["one server", 1, [0, 0, 0, 0, 0]],
    ["the home of three", 3, [0, 0, 0]],
    ["a node of three that is not the home", 3, [1, 2, 1]],
  ] as [string, number, number[]][]
) {
  Deno.test(`list appends survive SIGKILLs of ${title}`, async () => {
    await using cluster = await durableServers(count);
    const writer = runScript(repoPath("tests/support/durable_writer.ts"), [
      "list",
      cluster.nodes.join(","),
      "1500",
    ]);
    try {
      for (const k of victims) {
        await logGrows(cluster.dirs[k], 1_000, () => writer.stdout.length > 0);
        await cluster.restart(k);
      }
      const status = await writer.status;
      assert.equal(status.code, 0, writer.stderr.join("\n"));
      const { acked, unknown } = JSON.parse(writer.stdout.at(-1)!);
      // After one more crash of every server, the list is all there.
      for (let k = 0; k < count; k++) await cluster.restart(k);
      await using li = await List.open("durable", { nodes: cluster.nodes, partitionSize: 7 });
      const items = await li.toArray();
      checkList(items, acked, unknown);
      assert.equal(await li.length(), items.length);
      // And the list goes on.
      await li.append("after");
      assert.equal(await li.at(-1), "after");
    } finally {
      await writer.stop("SIGKILL");
    }
  });
}

Deno.test("inserts, deletes, sorts, reverses and clears survive a restart", async () => {
  await using cluster = await durableServers(2, "always");
  const open = () => List.open("edits", { nodes: cluster.nodes, partitionSize: 3 });
  const model: unknown[] = Array.from({ length: 40 }, (_, i) => (i * 7) % 40);
  {
    await using li = await open();
    await li.extend(model);
    await li.insert(5, "x");
    model.splice(5, 0, "x");
    await li.delete(12);
    model.splice(12, 1);
    await li.set(20, 99);
    model[20] = 99;
    await li.remove("x");
    model.splice(model.indexOf("x"), 1);
    await li.sort();
    model.sort((a, b) => (a as number) - (b as number));
    await li.pop(3);
    model.splice(3, 1);
    await li.reverse();
    model.reverse();
  }
  await cluster.restart(0);
  await cluster.restart(1);
  {
    await using li = await open();
    assert.deepEqual(await li.toArray(), model);
    for (let i = 0; i < model.length; i++) assert.equal(await li.at(i), model[i]);
    assert.equal(await li.clear(), model.length);
  }
  await cluster.restart(1);
  await cluster.restart(0);
  await using li = await open();
  assert.deepEqual(await li.toArray(), []);
  await li.extend([1, 2, 3]);
  assert.deepEqual(await li.toArray(), [1, 2, 3]);
});

Deno.test("a list and a dict of 100,000 items come back after a restart", async () => {
  await using cluster = await durableServers(2);
  const items = Array.from({ length: 100_000 }, (_, i) => ({ i, s: `item ${i}` }));
  const keys = items.map((_, i) => `key${i}`);
  {
    await using li = await List.open("big", { nodes: cluster.nodes, partitionSize: 1000 });
    await li.extend(items);
    await using d = await Dict.open("big", { nodes: cluster.nodes });
    await d.setMany(keys.map((k, i) => [k, items[i]]));
  }
  await cluster.restart(0);
  await cluster.restart(1);
  await using li = await List.open("big", { nodes: cluster.nodes, partitionSize: 1000 });
  assert.equal(await li.length(), items.length);
  assert.deepEqual(await li.toArray(), items);
  await using d = await Dict.open("big", { nodes: cluster.nodes });
  assert.equal(await d.size(), items.length);
  assert.deepEqual(await d.getMany(keys), items);
});

Deno.test("the log is compacted while writers run, and nothing is lost", async () => {
  const dir = await Deno.makeTempDir({ prefix: "typenet-data-" });
  const port = await freePort();
  const start = () =>
    startServer(
      ["127.0.0.1", String(port), "--data", dir, "--compact-min-bytes", "20000"],
      { permissions: PERMISSIONS },
    );
  let server = await start();
  const node = server.address;
  const writers = [
    runScript(repoPath("tests/support/durable_writer.ts"), ["list", node, "3000"]),
    runScript(repoPath("tests/support/durable_writer.ts"), ["cas", node, "300"]),
  ];
  try {
    // The log shrinks whenever it is compacted: see that happen more than once.
    let largest = 0;
    let shrank = 0;
    await waitFor(async () => {
      const size = (await Deno.stat(`${dir}/log`)).size;
      if (size < largest) shrank++;
      largest = size;
      return shrank >= 2;
    }, { deadlineMs: 60_000, intervalMs: 5, what: "two compactions" });
    await server.stop("SIGKILL");
    server = await start();
    const [listStatus, casStatus] = await Promise.all(writers.map((w) => w.status));
    assert.equal(listStatus.code, 0, writers[0].stderr.join("\n"));
    assert.equal(casStatus.code, 0, writers[1].stderr.join("\n"));
    const before = await (async () => {
      await using counter = await Dict.open("counter", { nodes: [node] });
      return await counter.getEntry("n");
    })();
    await server.stop("SIGKILL");
    server = await start();
    const { acked, unknown } = JSON.parse(writers[0].stdout.at(-1)!);
    await using li = await List.open("durable", { nodes: [node], partitionSize: 7 });
    checkList(await li.toArray(), acked, unknown);
    const [, casAcked, casUnknown] = writers[1].stdout.at(-1)!.split(" ").map(Number);
    await using counter = await Dict.open("counter", { nodes: [node] });
    const n = await counter.get("n") as number;
    assert.ok(n >= casAcked && n <= casAcked + casUnknown, `counter ${n}, acked ${casAcked}`);
    // A compare-and-set with a version read before the restart still works: versions survive.
    assert.equal(before!.value, n);
    assert.equal(await counter.set("n", n + 1, { ifVersion: before!.version }), true);
  } finally {
    for (const writer of writers) await writer.stop("SIGKILL");
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sorts cut short by a SIGKILL of any of three servers are finished; nothing lost", async () => {
  await using cluster = await durableServers(3);
  const count = 30_000;
  // 7919 is prime and shares no factor with 30,000: a permutation of 0…29,999.
  const values = Array.from({ length: count }, (_, i) => (i * 7919) % count);
  const ascending = values.toSorted((a, b) => a - b);
  const open = () => List.open("sorted", { nodes: cluster.nodes, partitionSize: 500 });
  {
    await using li = await open();
    await li.extend(values);
  }
  const outcomes: string[] = [];
  for (const [round, victim] of [1, 2, 0, 1, 0, 2].entries()) {
    const reverse = round % 2 === 1;
    const li = await open();
    let settled = false;
    const sorting = li.sort({ reverse }).then(
      () => "sorted",
      (error) => (error as Error).message,
    ).finally(() => settled = true);
    // Killed as soon as it writes its part of the sort down: mid-move or before the commit.
    await logGrows(cluster.dirs[victim], 0, () => settled);
    await cluster.restart(victim);
    outcomes.push(`server ${victim}: ${await sorting}`);
    await li.close();
    // The same sort again changes nothing more — but first finishes whatever was left in doubt.
    await using again = await open();
    await waitFor(() => again.sort({ reverse }).then(() => true, () => false), {
      deadlineMs: 20_000,
      what: `the sort to go through after server ${victim} restarted (${outcomes.at(-1)})`,
    });
    assert.deepEqual(
      await again.toArray(),
      reverse ? ascending.toReversed() : ascending,
      outcomes.join("\n"),
    );
  }
});
