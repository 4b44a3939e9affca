/**
 * The List against two real list servers: every method, every kind of value, Python slices,
 * the original's node_debug format, typed errors, independent loops, and batching.
 */
import assert from "node:assert/strict";
import { List } from "../mod.ts";
import { BadArgument, FrameTooLarge, IndexError, LayoutMismatch } from "../lib/wire/errors.ts";
import { rejectsWith } from "./support/assert.ts";
import { startServers, uniqueName } from "./support/cluster.ts";

const pythonSlices = JSON.parse(
  await Deno.readTextFile(new URL("./data/python_slices.json", import.meta.url)),
) as [number, number | null, number | null, number | null, number[]][];

Deno.test("List on two servers", async (t) => {
  await using servers = await startServers(2);
  const nodes = servers.addresses;
  const open = (name: string, partitionSize = 100) => List.open(name, { nodes, partitionSize });

  await t.step("the README tour", async () => {
    await using li = await open(uniqueName("tour"), 10_000);
    assert.equal(await li.append(0), 0);
    assert.equal(await li.append("test"), 1);
    assert.equal(await li.at(0), 0);
    assert.equal(await li.at(-1), "test");
    assert.deepEqual(await li.slice(0, 2), [0, "test"]);
    const seen: unknown[] = [];
    for await (const x of li) seen.push(x);
    assert.deepEqual(seen, [0, "test"]);
    await li.delete(-1);
    assert.equal(await li.length(), 1);
    assert.deepEqual(await li.toArray(), [0]);
  });

  await t.step("nodeDebug prints the original's format", async () => {
    const name = "list-test-" + uniqueName("debug");
    await using li = await open(name, 100);
    for (let i = 0; i < 10_000; i++) await li.append(i);
    assert.equal(
      await li.nodeDebug(),
      [
        "---- node info ----",
        `Node(name=${name}, host=${nodes[0]}, len=5000)`,
        `Node(name=${name}, host=${nodes[1]}, len=5000)`,
      ].join("\n"),
    );
  });

  await t.step("every kind of value comes back equal, across blocks and nodes", async () => {
    await using li = await open(uniqueName("values"), 3);
    const values = [
      null,
      true,
      false,
      42,
      -7.25,
      2 ** 53 - 1,
      123n,
      -(2n ** 63n),
      "",
      "ünïcødé ✓",
      new Uint8Array([0, 255, 7]),
      [1, [2, "three"], { four: 4 }],
      { nested: { list: [null, true], when: new Date(86_400_000) } },
      new Date("2026-11-21T10:00:00Z"),
    ];
    assert.equal(await li.push(...values), values.length);
    assert.deepEqual(await li.toArray(), values);
    for (let i = 0; i < values.length; i++) assert.deepEqual(await li.at(i), values[i]);
    for (let i = 1; i <= values.length; i++) {
      assert.deepEqual(await li.at(-i), values[values.length - i]);
    }
  });

  await t.step("slices follow Python's semantics over blocks on both nodes", async () => {
    await using li = await open(uniqueName("slices"), 3);
    await li.extend(Array.from({ length: 10 }, (_, i) => i));
    const rows = pythonSlices.filter(([length]) => length === 10);
    assert.ok(rows.length > 40);
    for (const [, start, stop, step, expected] of rows) {
      assert.deepEqual(await li.slice(start, stop, step), expected, `[${start}:${stop}:${step}]`);
    }
    assert.deepEqual(await li.slice(), Array.from({ length: 10 }, (_, i) => i));
    assert.deepEqual(await li.slice(undefined, undefined, -1), [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    await rejectsWith(() => li.slice(0, 5, 0), RangeError);
  });

  await t.step("indexes out of range are IndexError; non-integers TypeError", async () => {
    await using li = await open(uniqueName("index"), 4);
    await li.extend(["a", "b", "c", "d", "e", "f"]);
    await rejectsWith(() => li.at(6), IndexError, "index 6 out of range");
    await rejectsWith(() => li.at(-7), IndexError, "index -7 out of range");
    await rejectsWith(() => li.at(2 ** 52), IndexError);
    await rejectsWith(() => li.at(-(2 ** 52)), IndexError);
    await rejectsWith(() => li.set(6, "x"), IndexError);
    await rejectsWith(() => li.set(-7, "x"), IndexError);
    await rejectsWith(() => li.at(1.5), TypeError);
    await rejectsWith(() => li.at(Number.NaN), TypeError);
    await rejectsWith(() => li.at(2 ** 60), TypeError);
    assert.deepEqual(await li.toArray(), ["a", "b", "c", "d", "e", "f"]);
  });

  await t.step("set replaces items on either node, by positive or negative index", async () => {
    await using li = await open(uniqueName("set"), 2);
    await li.extend([0, 1, 2, 3, 4, 5]);
    await li.set(0, "zero");
    await li.set(3, "three");
    await li.set(-1, "last");
    await li.set(-4, { two: 2 });
    assert.deepEqual(await li.toArray(), ["zero", 1, { two: 2 }, "three", 4, "last"]);
  });

  await t.step("pop and delete remove the last item, or any", async () => {
    await using li = await open(uniqueName("pop"), 2);
    await li.extend(["a", "b", "c", "d", "e"]);
    assert.equal(await li.pop(), "e");
    await li.delete(-1);
    await li.delete(2);
    await rejectsWith(() => li.delete(5), IndexError);
    assert.deepEqual(await li.toArray(), ["a", "b"]);
    await li.delete(0);
    assert.equal(await li.pop(0), "b");
    await rejectsWith(() => li.pop(), IndexError, "empty");
    await rejectsWith(() => li.delete(-1), IndexError);
    assert.equal(await li.length(), 0);
    assert.equal(await li.append("again"), 0);
  });

  await t.step("includes and indexOf compare whole values on every node", async () => {
    await using li = await open(uniqueName("find"), 2);
    await li.extend(["x", { a: 1, b: [2] }, new Uint8Array([9]), 7n, "x", null]);
    assert.equal(await li.indexOf("x"), 0);
    assert.equal(await li.indexOf({ a: 1, b: [2] }), 1);
    assert.equal(await li.indexOf(new Uint8Array([9])), 2);
    assert.equal(await li.indexOf(7n), 3);
    assert.equal(await li.indexOf(null), 5);
    assert.equal(await li.indexOf("y"), -1);
    assert.equal(await li.includes(7n), true);
    assert.equal(await li.includes(7), false);
    await li.pop();
    assert.equal(await li.includes(null), false);
  });

  await t.step("each loop has its own cursor; breaking one never disturbs another", async () => {
    await using li = await open(uniqueName("loops"), 5);
    const items = Array.from({ length: 3_000 }, (_, i) => i);
    await li.extend(items);
    const a = li[Symbol.asyncIterator]();
    const b = li[Symbol.asyncIterator]();
    const fromA: unknown[] = [];
    const fromB: unknown[] = [];
    for (let i = 0; i < 100; i++) {
      fromA.push((await a.next()).value);
      fromB.push((await b.next()).value);
      fromB.push((await b.next()).value);
    }
    await a.return!();
    for (let r = await b.next(); !r.done; r = await b.next()) fromB.push(r.value);
    assert.deepEqual(fromA, items.slice(0, 100));
    assert.deepEqual(fromB, items);
    for await (const x of li) if (x === 10) break;
    let count = 0;
    for await (const _ of li) count++;
    assert.equal(count, 3_000);
  });

  await t.step("bulk operations move items in batches, not one round trip per item", async () => {
    await using li = await open(uniqueName("batches"), 100);
    const items = Array.from({ length: 20_000 }, (_, i) => `item ${i}`);
    const callsDuring = async (work: () => Promise<unknown>) => {
      const before = await servers.calls();
      await work();
      const after = await servers.calls();
      return after.reduce((sum, n, k) => sum + n - before[k], 0);
    };
    assert.ok(await callsDuring(() => li.extend(items)) <= 10);
    assert.ok(await callsDuring(() => li.toArray()) <= 10);
    assert.ok(await callsDuring(() => li.slice(5, 15_000, 3)) <= 10);
    assert.ok(await callsDuring(() => li.includes("item 19999")) <= 10);
    assert.ok(await callsDuring(() => li.indexOf("missing")) <= 10);
    assert.ok(
      await callsDuring(async () => {
        let n = 0;
        for await (const _ of li) n++;
        assert.equal(n, 20_000);
      }) <= 10,
    );
    assert.ok(await callsDuring(() => li.push(...items.slice(0, 1000))) <= 4);
  });

  await t.step("extend takes async iterables and keeps their order", async () => {
    await using li = await open(uniqueName("async"), 7);
    async function* produce() {
      for (let i = 0; i < 500; i++) yield { i };
    }
    assert.equal(await li.extend(produce()), 500);
    assert.deepEqual(await li.toArray(), Array.from({ length: 500 }, (_, i) => ({ i })));
  });

  await t.step("another client opening the list sees every item", async () => {
    const name = uniqueName("reopen");
    await using writer = await open(name, 10);
    await writer.extend(Array.from({ length: 1234 }, (_, i) => i));
    await using reader = await open(name, 10);
    assert.equal(await reader.length(), 1234);
    assert.deepEqual(await reader.toArray(), Array.from({ length: 1234 }, (_, i) => i));
  });

  await t.step("a different layout is LayoutMismatch, and the list is untouched", async () => {
    const name = uniqueName("layout");
    await using li = await open(name, 10);
    await li.extend([1, 2, 3]);
    await rejectsWith(() => open(name, 20), LayoutMismatch, "partitionSize 10");
    await rejectsWith(
      () => List.open(name, { nodes: [nodes[1], nodes[0]], partitionSize: 10 }),
      LayoutMismatch,
    );
    await rejectsWith(
      () => List.open(name, { nodes: [nodes[0]], partitionSize: 10 }),
      LayoutMismatch,
    );
    assert.deepEqual(await li.toArray(), [1, 2, 3]);
  });

  await t.step(
    "bad options and unencodable values are refused before anything is sent",
    async () => {
      await rejectsWith(() => List.open("", { nodes }), BadArgument, "name");
      await rejectsWith(() => List.open("x", { nodes: [] }), BadArgument, "nodes");
      await rejectsWith(() => List.open("x", { nodes: ["nowhere"] }), BadArgument, "host:port");
      await rejectsWith(
        () => List.open("x", { nodes: [nodes[0], nodes[0]] }),
        BadArgument,
        "must not repeat",
      );
      await rejectsWith(() => List.open("x", { nodes, partitionSize: 0 }), BadArgument);
      await using li = await open(uniqueName("encode"));
      await rejectsWith(() => li.append(new Map()), BadArgument, "cannot encode a Map");
      await rejectsWith(() => li.push(1, () => 2), BadArgument);
      assert.equal(await li.length(), 0);
    },
  );
});

Deno.test("a value over the server's frame limit is FrameTooLarge; the list carries on", async () => {
  await using servers = await startServers(1, ["--max-frame-bytes", "65536"]);
  await using li = await List.open(uniqueName("big"), { nodes: servers.addresses });
  await li.append("small");
  await rejectsWith(() => li.append("x".repeat(70_000)), FrameTooLarge, "frame limit of 65536");
  await rejectsWith(
    () => li.extend(["ok", "y".repeat(70_000)]),
    FrameTooLarge,
  );
  // Values near the limit still travel, one per batch.
  await li.extend(["a".repeat(40_000), "b".repeat(40_000)]);
  assert.deepEqual(
    (await li.toArray()).map((v) => String(v).slice(0, 5)),
    ["small", "ok", "aaaaa", "bbbbb"],
  );
});

Deno.test("small frame limits: batches, stores and chunks are cut to fit", async () => {
  // Servers that take 64 KiB frames and a client that takes 1 KiB: tiny values make the
  // per-value lengths count as much as the values themselves.
  await using servers = await startServers(2, ["--max-frame-bytes", "65536"]);
  await using li = await List.open(uniqueName("tiny"), {
    nodes: servers.addresses,
    partitionSize: 50_000,
    maxFrameBytes: 1024,
  });
  const values = Array.from({ length: 120_000 }, (_, i) => i % 100);
  assert.equal(await li.extend(values), values.length);
  assert.equal(await li.length(), values.length);
  assert.deepEqual(await li.toArray(), values);
  assert.deepEqual(await li.slice(100_005, 99_990, -5), [5, 0, 95]);
  // A value bigger than the client takes can be stored, but not read back by this client.
  assert.equal(await li.append("x".repeat(2000)), values.length);
  await rejectsWith(() => li.at(-1), FrameTooLarge, "frame limit of 1024");
  assert.equal(await li.at(-2), 99);
});
