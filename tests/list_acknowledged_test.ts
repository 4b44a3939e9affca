/**
 * Reads never show an item whose append is not yet acknowledged (PROTOCOL.md §12.4): a batch
 * stored on one owner while another owner of it hangs is invisible there — `at` and `set` say
 * `IndexError` — until the batch is acknowledged; then it reads in one round trip again.
 */
import assert from "node:assert/strict";
import { IndexError, List } from "../mod.ts";
import { connect } from "../lib/net/connect.ts";
import { startServers } from "./support/cluster.ts";
import { waitFor } from "./support/wait.ts";

Deno.test("an item of a batch still under way cannot be read or replaced on its owner", async () => {
  await using servers = await startServers(3);
  const [, a, b] = servers.processes;
  await using li = await List.open("pending", { nodes: servers.addresses, partitionSize: 2 });
  await li.extend([0, 1, 2, 3, 4, 5]); // blocks 0, 1, 2 on home, a, b: all acknowledged
  b.kill("SIGSTOP");
  try {
    // Indexes 6-7 go to the home, 8-9 to a, 10-11 to b (which hangs): the batch waits on b.
    const appending = li.extend([6, 7, 8, 9, 10, 11]);
    const probe = await connect(a.address);
    try {
      await waitFor(async () => {
        const stats = await probe.request("list.stats", ["pending"]) as { count: number };
        return stats.count === 4; // a holds 2, 3 and now 8, 9
      }, { what: "the batch to reach a" });
    } finally {
      probe.close();
    }
    await assert.rejects(li.at(8), IndexError);
    await assert.rejects(li.set(9, "changed"), IndexError);
    assert.equal(await li.at(3), 3); // acknowledged items read as before
    b.kill("SIGCONT");
    assert.equal(await appending, 6);
  } finally {
    b.kill("SIGCONT");
  }
  assert.equal(await li.at(8), 8);
  assert.deepEqual(await li.slice(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  // The owners heard of the acknowledgement: their items read without asking the home.
  const before = await servers.calls();
  await li.at(9);
  const after = await servers.calls();
  assert.deepEqual(after.map((n, k) => n - before[k]), [1, 2, 1]);
});
