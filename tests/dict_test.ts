/**
 * `Dict` on two real servers, checked against a model (a `Map`): every method, keys of every
 * type spread over both servers, versions and compare-and-set (a counter incremented by four
 * processes at once), iteration in batches, and bad arguments from the client and on the wire.
 */
import assert from "node:assert/strict";
import { BadArgument, Dict, List } from "../mod.ts";
import { connect } from "../lib/net/connect.ts";
import { encodeValue } from "../lib/wire/codec.ts";
import { DictOp, encodeKey, MAX_BATCH_KEYS, ownerOfKey } from "../lib/wire/dict_protocol.ts";
import { batchToWire, ValueBatchWriter } from "../lib/wire/value_batch.ts";
import { startServers } from "./support/cluster.ts";
import { repoPath, runScript } from "./support/process.ts";
import { seededRandom } from "./support/random.ts";

/** Encoded keys or values as a value batch on the wire. */
function batch(items: Uint8Array[]): [Uint8Array, number[]] {
  const writer = new ValueBatchWriter();
  for (const item of items) writer.addEncoded(item);
  return batchToWire(writer.take());
}

/** A model key for a Dict key: its wire bytes (so 1 and 1n are one key). */
const modelKey = (key: unknown) => encodeKey(key as string).join(",");

Deno.test("a dict on two servers behaves as a Map, for keys of every type", async () => {
  await using servers = await startServers(2);
  await using d = await Dict.open("model", { nodes: servers.addresses });
  const model = new Map<string, [unknown, unknown]>();
  const random = seededRandom(7);
  const keys: (string | number | bigint | Uint8Array)[] = [
    "a",
    "",
    "ключ",
    0,
    1,
    -1,
    1.5,
    2 ** 40,
    2n ** 63n,
    -(2n ** 62n),
    new Uint8Array([1, 2, 3]),
    new Uint8Array(0),
    ...Array.from({ length: 40 }, (_, i) => `user${i}`),
  ];
  for (let step = 0; step < 600; step++) {
    const key = keys[Math.floor(random() * keys.length)];
    const op = random();
    if (op < 0.45) {
      const value = { step, list: [step, "x"] };
      assert.equal(await d.set(key, value), true);
      model.set(modelKey(key), [key, value]);
    } else if (op < 0.6) {
      assert.equal(await d.delete(key), model.delete(modelKey(key)));
    } else if (op < 0.9) {
      assert.deepEqual(await d.get(key), model.get(modelKey(key))?.[1]);
      assert.equal(await d.has(key), model.has(modelKey(key)));
    } else {
      assert.equal(await d.size(), model.size);
    }
  }
  // 1 and 1n are one key; so are 0 and -0.
  await d.set(1n, "one");
  assert.equal(await d.get(1), "one");
  await d.set(-0, "zero");
  assert.equal(await d.get(0), "zero");
  model.set(modelKey(1), [1, "one"]);
  model.set(modelKey(0), [0, "zero"]);

  const seen = new Map<string, unknown>();
  for await (const [key, value] of d) seen.set(modelKey(key), value);
  assert.deepEqual(seen, new Map([...model].map(([k, [, v]]) => [k, v])));
  assert.deepEqual(await d.getMany(keys), keys.map((k) => model.get(modelKey(k))?.[1]));

  const debug = await d.nodeDebug();
  const lens = [...debug.matchAll(/len=(\d+)/g)].map((m) => Number(m[1]));
  assert.equal(lens.length, 2);
  assert.ok(lens.every((n) => n > 0), `both servers hold keys:\n${debug}`);
  assert.equal(lens[0] + lens[1], model.size);
  assert.equal(await d.clear(), model.size);
  assert.equal(await d.size(), 0);
  assert.equal(await d.get("a"), undefined);
});

Deno.test("setMany and getMany move thousands of entries in batches; iteration too", async () => {
  await using servers = await startServers(2);
  await using d = await Dict.open("bulk", { nodes: servers.addresses });
  const entries: [string, number][] = Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i]);
  const before = await servers.calls();
  await d.setMany(entries);
  const after = await servers.calls();
  // 10,000 keys over two servers: a few requests each (≤ 4,096 keys per request), not 10,000.
  assert.ok(after.every((n, i) => n - before[i] <= 3), `${before} → ${after}`);
  assert.equal(await d.size(), 10_000);
  const values = await d.getMany(entries.map(([k]) => k));
  assert.deepEqual(values, entries.map(([, v]) => v));
  let count = 0;
  let sum = 0;
  for await (const value of d.values()) {
    count++;
    sum += value as number;
  }
  assert.equal(count, 10_000);
  assert.equal(sum, (9_999 * 10_000) / 2);
  const firstKeys: unknown[] = [];
  for await (const key of d.keys()) {
    firstKeys.push(key);
    if (firstKeys.length === 3) break;
  }
  assert.equal(firstKeys.length, 3);
  assert.equal(await d.get("k42"), 42); // the broken-off scan left the dict usable
});

Deno.test("getMany of more than a client's frame holds comes in several answers", async () => {
  await using servers = await startServers(1);
  await using writer = await Dict.open("big", { nodes: servers.addresses });
  const big = new Uint8Array(300 * 1024).fill(9);
  await writer.setMany(Array.from({ length: 20 }, (_, i) => [`b${i}`, big]));
  // A client that takes frames of 1 MiB at most: 6 MiB of values cannot come in one answer.
  await using small = await Dict.open("big", {
    nodes: servers.addresses,
    maxFrameBytes: 1024 * 1024,
  });
  const values = await small.getMany(Array.from({ length: 20 }, (_, i) => `b${i}`));
  assert.equal(values.length, 20);
  assert.ok(values.every((v) => v instanceof Uint8Array && v.length === big.length));
});

Deno.test("versions change on every write; compare-and-set and setIfAbsent", async () => {
  await using servers = await startServers(2);
  await using d = await Dict.open("cas", { nodes: servers.addresses });
  assert.equal(await d.setIfAbsent("b", 1), true);
  assert.equal(await d.setIfAbsent("b", 2), false);
  assert.equal(await d.get("b"), 1);
  const first = (await d.getEntry("b"))!;
  await d.set("b", 1);
  const second = (await d.getEntry("b"))!;
  assert.ok(second.version > first.version);
  assert.equal(await d.set("b", 5, { ifVersion: first.version }), false);
  assert.equal(await d.set("b", 5, { ifVersion: second.version }), true);
  assert.equal(await d.get("b"), 5);
  await d.delete("b");
  assert.equal(await d.set("b", 6, { ifVersion: second.version }), false);
  assert.equal(await d.getEntry("b"), undefined);
  await assert.rejects(d.set("b", 1, { ifVersion: 0 }), BadArgument);
});

Deno.test("a counter incremented by 4 processes × 250 compare-and-sets ends at 1,000", async () => {
  await using servers = await startServers(2);
  const writers = Array.from(
    { length: 4 },
    () => runScript(repoPath("tests/support/cas_counter.ts"), [servers.addresses.join(","), "250"]),
  );
  try {
    for (const writer of writers) {
      const status = await writer.status;
      assert.equal(status.code, 0, writer.stderr.join("\n"));
      assert.match(writer.stdout.join("\n"), /^done \d+$/);
    }
  } finally {
    for (const writer of writers) await writer.stop();
  }
  await using d = await Dict.open("counter", { nodes: servers.addresses });
  assert.equal(await d.get("n"), 1000);
});

Deno.test("bad keys and bad requests get clear errors; the dict carries on", async () => {
  await using servers = await startServers(1);
  await using d = await Dict.open("bad", { nodes: servers.addresses });
  await d.set("kept", 1);
  for (const key of [NaN, Infinity, 2n ** 64n, "x".repeat(5000), {} as unknown as string]) {
    await assert.rejects(d.set(key, 1), BadArgument);
  }
  await assert.rejects(Dict.open("", { nodes: servers.addresses }), BadArgument);
  await assert.rejects(Dict.open("x", { nodes: [] }), BadArgument);

  const session = await connect(servers.addresses[0]);
  const value = encodeValue(1);
  const cases: [string, unknown[], RegExp][] = [
    [DictOp.Set, ["bad", new Uint8Array([0xc1]), value, null], /one msgpack string, integer/],
    [DictOp.Set, ["bad", new Uint8Array([0xa3, 0x61]), value, null], /one msgpack string/],
    [DictOp.Set, ["bad", new Uint8Array([0x91, 0x01]), value, null], /one msgpack string/],
    [DictOp.Set, ["bad", encodeKey("k"), value, -1], /condition must be nil, 0/],
    [DictOp.Set, ["bad", encodeKey("k"), new Uint8Array(0), null], /not empty/],
    [DictOp.Set, ["bad", encodeKey("k"), value], /takes 4 argument/],
    [DictOp.Get, ["bad", "k"], /key must be bytes/],
    [DictOp.SetMany, ["bad", batch([encodeKey("k")]), batch([value, value])], /as many values/],
    [DictOp.SetMany, ["bad", [encodeKey("k")], batch([value])], /keys must be a value batch/],
    [DictOp.SetMany, ["bad", batch([new Uint8Array([0xc0])]), batch([value])], /one msgpack/],
    [
      DictOp.GetMany,
      ["bad", batch(new Array(MAX_BATCH_KEYS + 1).fill(encodeKey("k")))],
      /at most 4096/,
    ],
    [DictOp.Size, [""], /name must be a non-empty string/],
  ];
  for (const [op, args, expected] of cases) {
    await assert.rejects(
      session.request(op, args),
      (error: Error) => error instanceof BadArgument && expected.test(error.message),
      `${op} ${expected}`,
    );
  }
  session.close();
  assert.equal(await d.get("kept"), 1);
});

Deno.test("PROTOCOL.md's placement example holds", () => {
  const nodes = ["127.0.0.1:4444", "127.0.0.1:4445", "127.0.0.1:4446"];
  assert.deepEqual([...encodeKey("ada")], [0xa3, 0x61, 0x64, 0x61]);
  assert.equal(ownerOfKey(nodes, encodeKey("ada")), 2);
  assert.equal(ownerOfKey([...nodes].reverse(), encodeKey("ada")), 0); // order does not matter
  assert.equal(ownerOfKey(nodes, encodeKey(42)), 2);
});

Deno.test("server.ops names what a list server answers, dicts included", async () => {
  await using servers = await startServers(1);
  const session = await connect(servers.addresses[0]);
  try {
    const ops = await session.request("server.ops", []) as {
      requests: string[];
      streams: string[];
    };
    for (const op of [DictOp.Set, DictOp.GetMany, "list.append", "ping", "server.ops"]) {
      assert.ok(ops.requests.includes(op), op);
    }
    assert.deepEqual(ops.streams, [DictOp.Scan, "list.range"]);
    assert.deepEqual(ops.requests, [...ops.requests].sort());
  } finally {
    session.close();
  }
});

Deno.test("typenet stats names every server's lists and dicts with their sizes", async () => {
  await using servers = await startServers(2);
  const li = await List.open("jobs", { nodes: servers.addresses, partitionSize: 10 });
  await li.extend(Array.from({ length: 25 }, (_, i) => `job ${i}`));
  await li.close();
  // Integers are kept packed: 3 bytes each in memory where they take 5 encoded.
  const ids = await List.open("ids", { nodes: servers.addresses });
  await ids.extend(Array.from({ length: 1_000 }, (_, i) => 100_000 + i));
  await ids.close();
  await using d = await Dict.open("users", { nodes: servers.addresses });
  await d.setMany(Array.from({ length: 100 }, (_, i) => [`u${i}`, { i }]));
  await using child = runScript(repoPath("cli.ts"), [
    "stats",
    "--nodes",
    servers.addresses.join(","),
    "--json",
  ]);
  assert.equal((await child.status).code, 0, child.stderr.join("\n"));
  const reports = JSON.parse(child.stdout.join("\n")) as {
    address: string;
    connections: number;
    lists: { name: string; count: number; bytes: number; memoryBytes: number }[];
    dicts: { name: string; count: number; bytes: number }[];
  }[];
  assert.deepEqual(reports.map((r) => r.address), servers.addresses);
  assert.deepEqual(reports.map((r) => r.lists.find((l) => l.name === "jobs")?.count), [15, 10]);
  const jobs = reports[0].lists.find((l) => l.name === "jobs")!;
  assert.ok(jobs.memoryBytes >= jobs.bytes, `${jobs.memoryBytes} bytes of memory for strings`);
  const idList = reports[0].lists.find((l) => l.name === "ids")!;
  assert.deepEqual([idList.count, idList.bytes, idList.memoryBytes], [1_000, 5_000, 3_000]);
  const keys = reports.map((r) => r.dicts.find((x) => x.name === "users")!.count);
  assert.equal(keys[0] + keys[1], 100);
  assert.ok(reports.every((r) => r.connections >= 1)); // our Dict, at least
  assert.ok(reports.every((r) => (r as { data?: { dataDir: unknown } }).data?.dataDir === null));
  await using table = runScript(repoPath("cli.ts"), [
    "stats",
    "--nodes",
    `${servers.addresses[0]},127.0.0.1:1`,
  ]);
  assert.equal((await table.status).code, 1);
  assert.match(table.stdout.join("\n"), /list\s+jobs\s+15/);
  assert.match(table.stdout.join("\n"), /list\s+ids\s+1000\s+5000\s+3000/);
  assert.match(table.stdout.join("\n"), /memory only \(no --data\)/);
  assert.match(table.stdout.join("\n"), /127\.0\.0\.1:1: .*unavailable/);
});
