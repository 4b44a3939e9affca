/** One node's share of a list: stores without holes, ranges in chunks, searches, removals. */
import assert from "node:assert/strict";
import { BadArgument, DataLost } from "../lib/wire/errors.ts";
import { ListShard } from "../lib/store/list_shard.ts";
import { rejectsWith } from "./support/assert.ts";

const layout = { nodes: ["a:1", "b:2"], partitionSize: 3 };
const byte = (v: number) => new Uint8Array([v]);

/** Node 1's share of items 0…count-1 (it holds blocks 1, 3, 5, …: indexes 3-5, 9-11, …). */
function shardWith(count: number): ListShard {
  const shard = new ListShard("s", layout, 1);
  const runs: [number, Uint8Array[]][] = [];
  for (let start = 3; start < count; start += 6) {
    const end = Math.min(start + 3, count);
    runs.push([start, Array.from({ length: end - start }, (_, k) => byte(start + k))]);
  }
  shard.storeRuns(runs);
  return shard;
}

const values = (chunks: Iterable<Uint8Array[]>) => [...chunks].map((c) => c.map((v) => v[0]));

Deno.test("range chunks hold only this node's items, in sequence order, within limits", () => {
  const shard = shardWith(20);
  assert.equal(shard.count, 9);
  const all = { maxItems: 100, maxBytes: 1 << 20 };
  assert.deepEqual(values(shard.chunks(0, 20, 1, all)), [[3, 4, 5, 9, 10, 11, 15, 16, 17]]);
  assert.deepEqual(values(shard.chunks(4, 16, 1, { maxItems: 4, maxBytes: 1 << 20 })), [
    [4, 5, 9, 10],
    [11, 15],
  ]);
  assert.deepEqual(values(shard.chunks(17, -1, -2, all)), [[17, 15, 11, 9, 5, 3]]);
  assert.deepEqual(values(shard.chunks(0, 20, 1, { maxItems: 100, maxBytes: 2 })), [
    [3, 4],
    [5, 9],
    [10, 11],
    [15, 16],
    [17],
  ]);
});

Deno.test("a range stops at the first item it should hold but does not", () => {
  const shard = shardWith(12);
  assert.deepEqual(values(shard.chunks(0, 30, 1, { maxItems: 100, maxBytes: 1 << 20 })), [
    [3, 4, 5, 9, 10, 11],
  ]);
});

Deno.test("stores refuse holes (DATA_LOST) and other nodes' indexes, all or nothing", async () => {
  const shard = shardWith(6);
  await rejectsWith(
    () => shard.storeRuns([[15, [byte(15)]]]),
    DataLost,
    "missing items before index 15",
  );
  await rejectsWith(
    () => shard.storeRuns([[9, [byte(9)]], [6, [byte(6)]]]),
    BadArgument,
    "belongs to a:1",
  );
  assert.equal(shard.count, 3);
  shard.storeRuns([[9, [byte(9), byte(10)]]]);
  shard.storeRuns([[10, [byte(99)]]]); // overwriting what is held is allowed
  assert.deepEqual(shard.get(10), byte(99));
  assert.equal(shard.count, 5);
});

Deno.test("only the last item held can be removed; truncate drops everything from an index", () => {
  const shard = shardWith(18);
  assert.equal(shard.removeLast(15), undefined);
  assert.deepEqual(shard.removeLast(17), byte(17));
  assert.equal(shard.truncate(10), 4); // 10, 11, 15 and 16 (17 is already gone)
  assert.equal(shard.count, 4);
  assert.deepEqual(values(shard.chunks(0, 99, 1, { maxItems: 99, maxBytes: 99 })), [[3, 4, 5, 9]]);
});

Deno.test("find returns the smallest matching index below the stop", () => {
  const shard = new ListShard("f", layout, 0);
  shard.storeRuns([[0, [byte(1), byte(2), byte(1)]], [6, [byte(2)]]]);
  assert.equal(shard.find(byte(2), 100), 1);
  assert.equal(shard.find(byte(1), 100), 0);
  assert.equal(shard.find(byte(2), 1), -1);
  assert.equal(shard.find(byte(7), 100), -1);
});
