/**
 * `indexOf(v, start, stop)` and `count(v)` answered by the servers, against Python's
 * `list.index` and `list.count` on a model, over two servers with small partitions so the
 * matches straddle the partition boundaries; and the wire forms, old and new.
 */
import assert from "node:assert/strict";
import { List } from "../mod.ts";
import { connect } from "../lib/net/connect.ts";
import { encodeValue } from "../lib/wire/codec.ts";
import { BadArgument } from "../lib/wire/errors.ts";
import { startServers } from "./support/cluster.ts";

/** Python's `list.index(v, start, stop)`, with -1 for "not found". */
function pythonIndex(items: unknown[], v: unknown, start = 0, stop = items.length): number {
  const n = items.length;
  const clamp = (i: number) => Math.max(0, Math.min(n, i < 0 ? i + n : i));
  for (let i = clamp(start); i < clamp(stop); i++) if (items[i] === v) return i;
  return -1;
}

Deno.test("indexOf with start and stop, and count, match Python on two servers", async () => {
  await using servers = await startServers(2);
  await using li = await List.open("search", { nodes: servers.addresses, partitionSize: 5 });
  // 0..6 repeating: every value appears in every block and across the boundaries.
  const items = Array.from({ length: 43 }, (_, i) => i % 7);
  await li.extend(items);
  for (const v of [0, 3, 6, 9]) {
    assert.equal(await li.count(v), items.filter((x) => x === v).length, `count(${v})`);
    assert.equal(await li.indexOf(v), pythonIndex(items, v), `indexOf(${v})`);
    for (
      const [start, stop] of [[4, 5], [5, 43], [6, 11], [-10, -1], [-100, 100], [10, 3], [42, 43]]
    ) {
      assert.equal(
        await li.indexOf(v, start, stop),
        pythonIndex(items, v, start, stop),
        `indexOf(${v}, ${start}, ${stop})`,
      );
      const expected = items.slice(...[start, stop].map((b) =>
        Math.max(0, Math.min(43, b < 0 ? b + 43 : b))
      ) as [number, number]).filter((x) =>
        x === v
      ).length;
      assert.equal(await li.count(v, start, stop), expected, `count(${v}, ${start}, ${stop})`);
    }
  }
  assert.equal(await li.indexOf(3, 2n ** 70n), -1);
  assert.equal(await li.indexOf(3, -(2n ** 70n)), 3);
});

Deno.test("list.find takes an optional start; list.count checks its arguments", async () => {
  await using servers = await startServers(1);
  await using li = await List.open("wire", { nodes: servers.addresses });
  await li.extend([1, 2, 1, 2]);
  const session = await connect(servers.addresses[0]);
  try {
    const one = encodeValue(1);
    assert.equal(await session.request("list.find", ["wire", one, 100]), 0); // the old form
    assert.equal(await session.request("list.find", ["wire", one, 100, 1]), 2);
    assert.equal(await session.request("list.find", ["wire", one, 2, 1]), -1);
    assert.equal(await session.request("list.count", ["wire", one, 0, 2 ** 53 - 1]), 2);
    assert.equal(await session.request("list.count", ["wire", one, 1, 3]), 1);
    for (
      const args of [["wire", one, 0], ["wire", "1", 0, 4], ["wire", one, 0.5, 4], [
        "wire",
        one,
        0,
        "x",
      ]]
    ) {
      await assert.rejects(session.request("list.count", args), BadArgument, JSON.stringify(args));
    }
  } finally {
    session.close();
  }
});
