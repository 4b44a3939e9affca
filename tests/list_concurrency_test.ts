/**
 * Many writers at once, each in its own process, over three servers with small blocks (so
 * most items are stored by the home on another node): nothing lost, every index unique, each
 * writer's order kept, the length equals the total, and a reader never sees a hole.
 */
import assert from "node:assert/strict";
import { List } from "../mod.ts";
import { startServers, uniqueName } from "./support/cluster.ts";
import { repoPath, runScript } from "./support/process.ts";

const PARTITION_SIZE = 7;
const PER_WRITER = 300;
const MODES = ["append", "append", "push", "extend"];

Deno.test("concurrent writers in separate processes lose nothing and keep order", async () => {
  await using servers = await startServers(3);
  const nodes = servers.addresses;
  const name = uniqueName("many-writers");
  await using li = await List.open(name, { nodes, partitionSize: PARTITION_SIZE });
  const client = repoPath("tests/support/list_client.ts");
  const writers = MODES.map((mode, w) =>
    runScript(client, [
      "write",
      nodes.join(","),
      String(PARTITION_SIZE),
      name,
      String(w),
      String(PER_WRITER),
      mode,
    ])
  );

  // Read while they write: every length seen must be backed by that many items.
  let writersDone = false;
  const finished = Promise.all(writers.map((w) => w.status)).finally(() => writersDone = true);
  let reads = 0;
  let lastLength = 0;
  while (!writersDone) {
    const length = await li.length();
    assert.ok(length >= lastLength, "the length never goes back");
    lastLength = length;
    const items = await li.slice(0, length);
    assert.equal(items.length, length, `a read of ${length} items returned ${items.length}`);
    if (length > 0) assert.notEqual(await li.at(length - 1), undefined);
    reads++;
  }
  for (const [w, status] of (await finished).entries()) {
    await writers[w].stop();
    assert.equal(status.code, 0, `writer ${w}: ${writers[w].stderr.join("\n")}`);
    assert.deepEqual(writers[w].stdout, [`wrote ${PER_WRITER}`]);
  }
  assert.ok(reads > 0);

  const total = MODES.length * PER_WRITER;
  assert.equal(await li.length(), total);
  const items = await li.toArray() as { w: number; n: number }[];
  assert.equal(items.length, total);
  const next = MODES.map(() => 0);
  for (const { w, n } of items) {
    assert.equal(n, next[w], `writer ${w}'s items out of order`);
    next[w]++;
  }
  assert.deepEqual(next, MODES.map(() => PER_WRITER));

  // Another process reattaches and sees exactly the same list.
  await using dumper = runScript(client, ["dump", nodes.join(","), String(PARTITION_SIZE), name]);
  assert.equal((await dumper.status).code, 0, dumper.stderr.join("\n"));
  await dumper.stop();
  assert.deepEqual(JSON.parse(dumper.stdout.join("")), items);
});
