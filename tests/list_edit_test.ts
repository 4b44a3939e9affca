/**
 * The rest of Python's list — insert, delete and pop at any index, remove, reverse, clear —
 * on real servers with small blocks, so that every shift crosses servers. Each step is checked
 * against a model (a plain array) that applies Python's rules.
 */
import assert from "node:assert/strict";
import { List } from "../mod.ts";
import { IndexError, NotFound, Unavailable } from "../lib/wire/errors.ts";
import { rejectsWith } from "./support/assert.ts";
import { startServers, uniqueName } from "./support/cluster.ts";
import { seededRandom } from "./support/random.ts";
import { repoPath, runScript } from "./support/process.ts";

/** Python's insert position for `index` in a list of `length`. */
function insertAt(index: number, length: number): number {
  return index < 0 ? Math.max(0, length + index) : Math.min(index, length);
}

Deno.test("an edit that cannot reach a server changes nothing and says so", async () => {
  await using servers = await startServers(2);
  const nodes = servers.addresses;
  await using li = await List.open(uniqueName("lost"), { nodes, partitionSize: 2 });
  await li.extend([0, 1, 2, 3, 4, 5, 6, 7]);
  await servers.processes[1].stop("SIGKILL");
  for (
    const edit of [() => li.insert(1, "x"), () => li.delete(0), () => li.reverse(), () => li.sort()]
  ) {
    const error = await edit().then(() => undefined, (e) => e);
    assert.ok(error instanceof Unavailable, String(error));
    assert.match(error.message, /unchanged/);
  }
  // The home's own items are untouched, and its reads are not held by a staged rewrite.
  assert.equal(await li.at(0), 0);
  assert.equal(await li.at(5), 5);
  assert.equal(await li.length(), 8);
});

Deno.test("List edits on three servers match Python's list", async (t) => {
  await using servers = await startServers(3);
  const nodes = servers.addresses;

  await t.step("insert and delete at every index, at block boundaries", async () => {
    await using li = await List.open(uniqueName("shift"), { nodes, partitionSize: 3 });
    const model = Array.from({ length: 20 }, (_, i) => i);
    await li.extend(model);
    let next = 100;
    for (const index of [0, 1, 2, 3, 5, 6, 8, 9, 19, 20, 21, 50, -1, -2, -3, -20, -21, -99]) {
      const value = next++;
      model.splice(insertAt(index, model.length), 0, value);
      await li.insert(index, value);
      assert.deepEqual(await li.toArray(), model, `after insert(${index})`);
    }
    for (const index of [0, 2, 3, 5, 6, -1, -4, 10, 12, -20]) {
      const at = index < 0 ? model.length + index : index;
      model.splice(at, 1);
      await li.delete(index);
      assert.deepEqual(await li.toArray(), model, `after delete(${index})`);
      assert.equal(await li.length(), model.length);
    }
    for (const index of [4, 0, -1, -5, undefined]) {
      const at = index === undefined ? model.length - 1 : index < 0 ? model.length + index : index;
      const [expected] = model.splice(at, 1);
      assert.equal(await li.pop(index), expected, `pop(${index})`);
      assert.deepEqual(await li.toArray(), model, `after pop(${index})`);
    }
    // Single reads see the shifted items on every server.
    for (let i = 0; i < model.length; i++) assert.equal(await li.at(i), model[i]);
  });

  await t.step("a random mix of edits matches the model", async () => {
    await using li = await List.open(uniqueName("mix"), { nodes, partitionSize: 4 });
    const next = seededRandom(9);
    const random = { int: (n: number) => Math.floor(next() * n) };
    const model: unknown[] = [];
    for (let step = 0; step < 150; step++) {
      const roll = random.int(10);
      const index = random.int(model.length + 6) - 3;
      const value = roll < 8 ? step : `s${step % 7}`;
      if (roll < 4) {
        model.splice(insertAt(index, model.length), 0, value);
        await li.insert(index, value);
      } else if (roll < 6 && model.length > 0) {
        const at = random.int(model.length);
        const [expected] = model.splice(at, 1);
        assert.equal(await li.pop(at), expected);
      } else if (roll < 7) {
        const target = `s${random.int(7)}`;
        const at = model.indexOf(target);
        if (at < 0) await rejectsWith(() => li.remove(target), NotFound, "not in list");
        else {
          model.splice(at, 1);
          assert.equal(await li.remove(target), at);
        }
      } else if (roll < 8) {
        model.reverse();
        await li.reverse();
      } else {
        model.push(value);
        await li.append(value);
      }
    }
    assert.deepEqual(await li.toArray(), model);
    assert.equal(await li.length(), model.length);
  });

  await t.step("inserts, deletes and sets while other processes append", async () => {
    const name = uniqueName("busy");
    await using li = await List.open(name, { nodes, partitionSize: 5 });
    const client = repoPath("tests/support/list_client.ts");
    const perWriter = 300;
    const writers = ["append", "push"].map((mode, w) =>
      runScript(client, ["write", nodes.join(","), "5", name, String(w), String(perWriter), mode])
    );
    let done = false;
    const finished = Promise.all(writers.map((w) => w.status)).finally(() => done = true);
    const next = seededRandom(3);
    const markers = new Set<string>();
    let made = 0;
    while (!done || made < 20) {
      const length = await li.length();
      const roll = next();
      if (roll < 0.5 || markers.size === 0) {
        const marker = `m${made++}`;
        await li.insert(Math.floor(next() * (length + 1)), marker);
        markers.add(marker);
      } else if (roll < 0.8) {
        const marker = [...markers][Math.floor(next() * markers.size)];
        await li.remove(marker);
        markers.delete(marker);
      } else if (length > 0) {
        // Rewrite an item in place with itself: a set must survive a concurrent shift.
        const i = Math.floor(next() * length);
        const item = await li.at(i);
        if (typeof item === "string") await li.set(await li.indexOf(item), item);
      }
    }
    for (const [w, status] of (await finished).entries()) {
      await writers[w].stop();
      assert.equal(status.code, 0, writers[w].stderr.join("\n"));
    }
    const items = await li.toArray();
    assert.equal(items.length, 2 * perWriter + markers.size);
    const seen = [0, 0];
    const left = new Set<string>();
    for (const item of items) {
      if (typeof item === "string") left.add(item);
      else {
        const { w, n } = item as { w: number; n: number };
        assert.equal(n, seen[w], `writer ${w}'s items out of order or lost`);
        seen[w]++;
      }
    }
    assert.deepEqual(seen, [perWriter, perWriter]);
    assert.deepEqual([...left].sort(), [...markers].sort());
  });

  await t.step("reverse, at every length around the block size", async () => {
    for (const length of [0, 1, 2, 3, 4, 5, 7, 9, 10, 31]) {
      await using li = await List.open(uniqueName("reverse"), { nodes, partitionSize: 3 });
      const model = Array.from({ length }, (_, i) => i);
      await li.extend(model);
      await li.reverse();
      assert.deepEqual(await li.toArray(), model.reverse(), `reverse of ${length}`);
    }
  });

  await t.step("clear empties every server, and the list goes on", async () => {
    await using li = await List.open(uniqueName("clear"), { nodes, partitionSize: 2 });
    await li.extend([1, 2, 3, 4, 5, 6, 7]);
    assert.equal(await li.clear(), 7);
    assert.equal(await li.length(), 0);
    assert.deepEqual(await li.toArray(), []);
    assert.ok((await li.nodeDebug()).split("\n").slice(1).every((line) => line.endsWith("len=0)")));
    await li.extend(["a", "b", "c"]);
    await li.insert(1, "x");
    assert.deepEqual(await li.toArray(), ["a", "x", "b", "c"]);
    assert.equal(await li.clear(), 4);
    assert.equal(await li.clear(), 0);
  });

  await t.step("bad arguments are clear errors that change nothing", async () => {
    await using li = await List.open(uniqueName("bad"), { nodes, partitionSize: 2 });
    await li.extend([1, 2, 3]);
    await rejectsWith(() => li.delete(3), IndexError, "out of range");
    await rejectsWith(() => li.delete(-4), IndexError, "out of range");
    await rejectsWith(() => li.pop(7), IndexError, "out of range");
    await rejectsWith(() => li.remove(9), NotFound, "not in list");
    await assert.rejects(() => li.insert(1.5, 0), TypeError);
    await assert.rejects(() => li.delete(Number.NaN), TypeError);
    await li.insert(2n ** 70n, "end");
    await li.insert(-(2n ** 70n), "start");
    assert.deepEqual(await li.toArray(), ["start", 1, 2, 3, "end"]);
    await using empty = await List.open(uniqueName("empty"), { nodes });
    await rejectsWith(() => empty.pop(0), IndexError, "out of range");
    await rejectsWith(() => empty.delete(0), IndexError, "out of range");
    assert.equal(await empty.clear(), 0);
    await empty.reverse();
    await empty.insert(-5, "only");
    assert.deepEqual(await empty.toArray(), ["only"]);
  });
});
