/** One node's share of a list: stores without holes, ranges in chunks, searches, removals. */
import assert from "node:assert/strict";
import { BadArgument, DataLost } from "../lib/wire/errors.ts";
import type { ValueBatch } from "../lib/wire/value_batch.ts";
import { batchOf, batchViews } from "./support/batches.ts";
import { FIND_SLICE_ITEMS, ListShard } from "../lib/store/list_shard.ts";
import { yieldToEventLoop } from "../lib/net/yield.ts";
import { rejectsWith } from "./support/assert.ts";

const layout = { nodes: ["a:1", "b:2"], partitionSize: 3 };
const batch = (...values: number[]) => batchOf(values.map((v) => new Uint8Array([v])));
const values = (chunks: Iterable<ValueBatch>) =>
  [...chunks].map((chunk) => batchViews(chunk).map((v) => v[0]));

/** Node 1's share of items 0…count-1 (it holds blocks 1, 3, 5, …: indexes 3-5, 9-11, …). */
function shardWith(count: number): ListShard {
  const shard = new ListShard("s", layout, 1);
  for (let start = 3; start < count; start += 6) {
    const end = Math.min(start + 3, count);
    shard.store(start, batch(...Array.from({ length: end - start }, (_, k) => start + k)));
  }
  return shard;
}

Deno.test("range chunks hold only this node's items, in sequence order, within limits", () => {
  const shard = shardWith(20);
  assert.equal(shard.count, 9);
  const all = { maxItems: 100, maxBytes: 1 << 20 };
  assert.deepEqual(values(shard.chunks(0, 20, 1, all)), [[3, 4, 5, 9, 10, 11, 15, 16, 17]]);
  assert.deepEqual(values(shard.chunks(4, 16, 1, { maxItems: 4, maxBytes: 1 << 20 })), [
    [4, 5, 9, 10],
    [11, 15],
  ]);
  assert.deepEqual(values(shard.chunks(17, -1, -1, all)), [[17, 16, 15, 11, 10, 9, 5, 4, 3]]);
  assert.deepEqual(values(shard.chunks(17, -1, -2, all)), [[17, 15, 11, 9, 5, 3]]);
  assert.deepEqual(values(shard.chunks(3, 20, 3, all)), [[3, 9, 15]]);
  assert.deepEqual(values(shard.chunks(0, 20, 1, { maxItems: 100, maxBytes: 2 })), [
    [3, 4],
    [5, 9],
    [10, 11],
    [15, 16],
    [17],
  ]);
  assert.deepEqual(values(shard.chunks(16, 2, -1, { maxItems: 2, maxBytes: 99 })), [
    [16, 15],
    [11, 10],
    [9, 5],
    [4, 3],
  ]);
});

Deno.test("a range stops at the first item it should hold but does not", () => {
  const shard = shardWith(11);
  const all = { maxItems: 100, maxBytes: 1 << 20 };
  assert.deepEqual(values(shard.chunks(0, 30, 1, all)), [[3, 4, 5, 9, 10]]);
  assert.deepEqual(values(shard.chunks(15, -1, -1, all)), []);
});

Deno.test("stores refuse holes (DATA_LOST) and other nodes' indexes; they cross blocks", async () => {
  const shard = shardWith(6);
  await rejectsWith(() => shard.store(15, batch(15)), DataLost, "missing items before index 15");
  await rejectsWith(() => shard.store(6, batch(6)), BadArgument, "belongs to a:1");
  assert.equal(shard.count, 3);
  await rejectsWith(() => shard.store(10, batch(10)), DataLost, "before index 10");
  // One store runs on into this node's next block: 9 to 11, then 15 (12-14 are a:1's).
  shard.store(9, batch(9, 10, 11, 15));
  assert.deepEqual(values(shard.chunks(0, 99, 1, { maxItems: 99, maxBytes: 99 })), [
    [3, 4, 5, 9, 10, 11, 15],
  ]);
  // Re-sending from an index already held replaces from there on (a retried batch).
  shard.store(11, batch(99));
  assert.deepEqual(shard.get(11), new Uint8Array([99]));
  assert.equal(shard.count, 6);
});

Deno.test("only the last item held can be removed; truncate drops everything from an index", () => {
  const shard = shardWith(18);
  assert.equal(shard.removeLast(15), undefined);
  assert.deepEqual(shard.removeLast(17), new Uint8Array([17]));
  assert.equal(shard.truncate(10), 4); // 10, 11, 15 and 16 (17 is already gone)
  assert.equal(shard.count, 4);
  assert.deepEqual(values(shard.chunks(0, 99, 1, { maxItems: 99, maxBytes: 99 })), [[3, 4, 5, 9]]);
});

Deno.test("set replaces one item; find returns the smallest matching index below the stop", () => {
  const shard = new ListShard("f", layout, 0);
  shard.store(0, batch(1, 2, 1));
  shard.store(6, batch(2));
  assert.equal(shard.find(new Uint8Array([2]), 100), 1);
  assert.equal(shard.find(new Uint8Array([1]), 100), 0);
  assert.equal(shard.find(new Uint8Array([2]), 1), -1);
  assert.ok(shard.replace(1, new Uint8Array([7, 7])));
  assert.equal(shard.find(new Uint8Array([2]), 100), 6);
  assert.equal(shard.find(new Uint8Array([7, 7]), 100), 1);
  assert.deepEqual(values(shard.chunks(0, 9, 1, { maxItems: 9, maxBytes: 99 })), [[1, 7, 1, 2]]);
  assert.equal(shard.replace(50, new Uint8Array([1])), false);
});

Deno.test("a repeated take of the item just removed returns it again, removing nothing more", () => {
  const shard = shardWith(6);
  assert.deepEqual(shard.removeLast(5), new Uint8Array([5]));
  assert.deepEqual(shard.removeLast(5), new Uint8Array([5]));
  assert.equal(shard.count, 2);
  assert.deepEqual(shard.removeLast(4), new Uint8Array([4]));
  shard.store(4, batch(44));
  assert.equal(shard.removeLast(5), undefined, "forgotten once the list changes");
});

Deno.test("a range with absurd bounds walks only this node's share", () => {
  const shard = new ListShard("w", { nodes: ["a:1", "b:2"], partitionSize: 1 }, 1);
  shard.store(1, batch(1));
  shard.store(3, batch(3));
  const all = { maxItems: 100, maxBytes: 1 << 20 };
  // Step 2 from 0 never lands on node 1's indexes; without bounds this walked to 2^53.
  assert.deepEqual(values(shard.chunks(0, Number.MAX_SAFE_INTEGER, 2, all)), []);
  assert.deepEqual(values(shard.chunks(1, Number.MAX_SAFE_INTEGER, 2, all)), [[1, 3]]);
  assert.deepEqual(values(shard.chunks(Number.MAX_SAFE_INTEGER - 1, -1, -2, all)), []);
  assert.deepEqual(values(shard.chunks(3, -1, -2, all)), [[3, 1]]);
});

Deno.test("a search over many items goes on in slices, letting other work in between", async () => {
  const shard = new ListShard("big", { nodes: ["a:1"], partitionSize: 1000 }, 0);
  const count = FIND_SLICE_ITEMS * 10;
  shard.store(0, { bytes: new Uint8Array(count).fill(7), lengths: Array(count).fill(1) });
  shard.replace(count - 2, new Uint8Array([9]));
  assert.equal(shard.find(new Uint8Array([7]), Infinity), 0, "found in the first slice: at once");
  // Other work that needs the event loop: it gets turns only if the search lets it in.
  let turns = 0;
  let searching = true;
  const other = (async () => {
    while (searching) {
      await yieldToEventLoop();
      turns++;
    }
  })();
  const result = shard.find(new Uint8Array([9]), Infinity);
  assert.ok(result instanceof Promise, "a long search does not answer synchronously");
  assert.equal(await result, count - 2);
  searching = false;
  await other;
  assert.ok(turns > 0, "other work ran while the search went on");
  assert.equal(await shard.find(new Uint8Array([9]), count - 2), -1, "the stop is respected");
});
