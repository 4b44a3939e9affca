/**
 * `List.sort` on real servers with small blocks: every orderable type, mixed types in the
 * documented order, stability, reverse, lists much larger than one server's share, and an
 * unorderable item that leaves the list unchanged. The expected order comes from a model
 * comparator written from the spec, not from the server's code.
 */
import assert from "node:assert/strict";
import { List } from "../mod.ts";
import { BadArgument } from "../lib/wire/errors.ts";
import { rejectsWith } from "./support/assert.ts";
import { startServers, uniqueName } from "./support/cluster.ts";
import { seededRandom } from "./support/random.ts";

/** The spec's order: null < booleans < numbers and bigints < Dates < strings. */
function rank(v: unknown): number {
  if (v === null) return 0;
  if (typeof v === "boolean") return 1;
  if (typeof v === "number" || typeof v === "bigint") return 2;
  if (v instanceof Date) return 3;
  return 4;
}

function compare(a: unknown, b: unknown): number {
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  if (typeof a === "string") {
    // By code point (not UTF-16 unit, which is what < on strings compares).
    const x = [...a].map((c) => c.codePointAt(0)!),
      y = [...(b as string)].map((c) => c.codePointAt(0)!);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
    return x.length - y.length;
  }
  if (a instanceof Date) return a.getTime() - (b as Date).getTime();
  if (typeof a === "boolean") return Number(a) - Number(b);
  const nanA = typeof a === "number" && Number.isNaN(a),
    nanB = typeof b === "number" && Number.isNaN(b);
  if (nanA || nanB) return Number(nanA) - Number(nanB);
  // Exact for numbers and bigints together: compare as bigints when both are integers.
  const x = a as number | bigint, y = b as number | bigint;
  if (
    (typeof x === "bigint" || Number.isInteger(x)) && (typeof y === "bigint" || Number.isInteger(y))
  ) {
    const p = BigInt(x), q = BigInt(y);
    return p < q ? -1 : p > q ? 1 : 0;
  }
  return Number(x) < Number(y) ? -1 : Number(x) > Number(y) ? 1 : 0;
}

/** The model: a stable sort with the spec's comparator (reverse keeps equal items in order). */
function modelSort(values: unknown[], reverse = false): unknown[] {
  const sign = reverse ? -1 : 1;
  return values.map((v, i) => [v, i] as const)
    .sort(([a, i], [b, j]) => sign * compare(a, b) || i - j)
    .map(([v]) => v);
}

Deno.test("List.sort on three servers", async (t) => {
  await using servers = await startServers(3);
  const nodes = servers.addresses;
  const random = seededRandom(17);

  await t.step("numbers, many times a server's share, in small blocks", async () => {
    // Up to 1,500 blocks: the block search then takes several probe requests per round, each
    // within the decode bounds of the server that reads it.
    const cases = [[2, 1], [10, 3], [100, 7], [5_000, 64], [20_000, 1000], [10_000, 100], [
      6_000,
      4,
    ]];
    for (const [length, partitionSize] of cases) {
      await using li = await List.open(uniqueName("numbers"), { nodes, partitionSize });
      const values = Array.from({ length }, () => Math.floor(random() * length / 3) - length / 6);
      await li.extend(values);
      await li.sort();
      assert.deepEqual(
        await li.toArray(),
        modelSort(values),
        `${length} in blocks of ${partitionSize}`,
      );
      await li.sort({ reverse: true });
      assert.deepEqual(await li.toArray(), modelSort(values, true), `${length} reversed`);
    }
  });

  await t.step("floats, infinities, null, booleans and Dates (no strings)", async () => {
    await using li = await List.open(uniqueName("floats"), { nodes, partitionSize: 9 });
    const values: unknown[] = Array.from({ length: 400 }, (_, i) => {
      const r = random();
      if (i % 50 === 0) return [null, true, false, Infinity, -Infinity][i / 50 % 5];
      if (i % 13 === 0) return new Date(Math.floor(r * 2e12) - 1e12);
      if (i % 17 === 0) return Math.floor(r * 10) - 5; // small integers among the floats
      return (r - 0.5) * 10 ** Math.floor(random() * 12 - 4);
    });
    await li.extend(values);
    await li.sort();
    assert.deepEqual(await li.toArray(), modelSort(values));
    await li.sort({ reverse: true });
    assert.deepEqual(await li.toArray(), modelSort(values, true));
  });

  await t.step("every orderable type, mixed, is stable", async () => {
    await using li = await List.open(uniqueName("mixed"), { nodes, partitionSize: 4 });
    const big = 2n ** 60n;
    const values: unknown[] = [
      "b",
      3,
      null,
      true,
      2n,
      new Date(5),
      -1.5,
      false,
      "a",
      "😀",
      "\uffff",
      2,
      big,
      Number(big),
      big + 1n,
      -(2n ** 63n),
      Number.NaN,
      Infinity,
      -Infinity,
      0,
      -0,
      new Date(-86_400_000),
      new Date(4_000_000_000_000),
      "",
      "é",
      "e",
      1n,
      1,
      1.0,
      true,
      null,
      "b",
      -big,
      2.5,
      1e300,
      new Date(1_700_000_000_123),
      2n ** 64n - 1n,
    ];
    // Equal values of different types keep their order: tag them by where they started.
    await li.extend(values);
    await li.sort();
    const sorted = await li.toArray();
    const expected = modelSort(values);
    assert.equal(sorted.length, expected.length);
    sorted.forEach((value, i) => {
      const want = expected[i];
      if (typeof want === "number" && Number.isNaN(want)) assert.ok(Number.isNaN(value as number));
      // -0 is stored as the integer 0 (PROTOCOL.md §3.2).
      else if (want === 0) assert.ok(value === 0, `item ${i}`);
      else assert.deepEqual(value, want, `item ${i}`);
    });
    await li.sort({ reverse: true });
    const reversed = await li.toArray();
    assert.deepEqual(
      reversed.map(String),
      modelSort(values, true).map(String),
    );
  });

  await t.step("stable: equal keys keep their order, forwards and reversed", async () => {
    await using li = await List.open(uniqueName("stable"), { nodes, partitionSize: 5 });
    // 1, 1n and 1.0 are equal; their order shows stability.
    const values = Array.from({ length: 300 }, (_, i) => [1, 1n, 2, 2n, 0][i % 5]);
    await li.extend(values);
    await li.sort();
    assert.deepEqual(await li.toArray(), modelSort(values));
    await li.clear();
    await li.extend(values);
    await li.sort({ reverse: true });
    assert.deepEqual(await li.toArray(), modelSort(values, true));
  });

  await t.step("strings by code point, with long ones", async () => {
    await using li = await List.open(uniqueName("strings"), { nodes, partitionSize: 16 });
    const alphabet = ["a", "b", "é", "z", "Z", "😀", "\u00ff", "\uffef", "0"];
    const values = Array.from({ length: 500 }, () => {
      const length = Math.floor(random() * 6) + (random() < 0.05 ? 3000 : 0);
      return Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join(
        "",
      );
    });
    await li.extend(values);
    await li.sort();
    assert.deepEqual(await li.toArray(), modelSort(values));
  });

  await t.step("an unorderable item is an error that changes nothing", async () => {
    for (const bad of [{ a: 1 }, [1, 2], new Uint8Array([1])]) {
      await using li = await List.open(uniqueName("unorderable"), { nodes, partitionSize: 3 });
      const values: unknown[] = Array.from({ length: 20 }, (_, i) => 20 - i);
      values.splice(13, 0, bad);
      await li.extend(values);
      await rejectsWith(() => li.sort(), BadArgument, "cannot sort");
      assert.deepEqual(await li.toArray(), values);
      // The list still takes edits, appends and reads.
      await li.insert(0, 99);
      await li.append(0);
      assert.equal(await li.length(), values.length + 2);
    }
  });

  await t.step("a sort of one item, or none, is a no-op; appends after a sort go on", async () => {
    await using li = await List.open(uniqueName("tiny"), { nodes, partitionSize: 2 });
    await li.sort();
    await li.append({ not: "orderable, but alone" });
    await li.sort();
    assert.deepEqual(await li.toArray(), [{ not: "orderable, but alone" }]);
    await li.clear();
    await li.extend([3, 1, 2]);
    await li.sort();
    await li.extend([0, -1]);
    assert.deepEqual(await li.toArray(), [1, 2, 3, 0, -1]);
  });
});
