/** The packed item store against a plain array doing the same things. */
import assert from "node:assert/strict";
import { ItemStore, SEGMENT_BYTES } from "../lib/store/item_store.ts";
import { ValueBatchWriter } from "../lib/wire/value_batch.ts";
import { batchViews } from "./support/batches.ts";

function item(n: number, size: number): Uint8Array {
  return new Uint8Array(size).fill(n % 251);
}

Deno.test("writes, reads, replacements and removals agree with a plain array", () => {
  const store = new ItemStore();
  const model: Uint8Array[] = [];
  let n = 0;
  // Batches of varied sizes, some bigger than a segment, with pops, truncations and sets.
  for (let round = 0; round < 400; round++) {
    const count = 1 + (round * 7) % 50;
    const size = round % 37 === 0 ? SEGMENT_BYTES / 8 : 1 + (round * 13) % 200;
    const batch = Array.from({ length: count }, () => item(n++, size));
    const lengths = batch.map((b) => b.length);
    const bytes = new Uint8Array(lengths.reduce((a, b) => a + b, 0));
    let at = 0;
    for (const b of batch) bytes.set(b, at), at += b.length;
    const position = round % 11 === 0 ? Math.max(0, model.length - 3) : model.length;
    store.write(position, bytes, lengths);
    model.length = position;
    model.push(...batch);
    if (round % 5 === 0) assert.deepEqual(store.removeLast(), model.pop());
    if (round % 17 === 0) {
      store.truncate(model.length - 10);
      model.length = Math.max(0, model.length - 10);
    }
    if (round % 3 === 0 && model.length > 0) {
      const k = (round * 31) % model.length;
      model[k] = item(round, 3);
      assert.ok(store.replace(k, model[k]));
    }
    assert.equal(store.length, model.length);
  }
  for (let k = 0; k < model.length; k++) assert.deepEqual(store.get(k), model[k], `item ${k}`);
  assert.equal(store.get(model.length), undefined);

  const out = new ValueBatchWriter();
  assert.equal(store.copyTo(out, 0, model.length, Infinity, Infinity), model.length);
  assert.deepEqual(batchViews(out.take()), model);
  assert.equal(store.copyTo(out, model.length - 1, -1, Infinity, Infinity), -1);
  assert.deepEqual(batchViews(out.take()), [...model].reverse());
  const want = model.findIndex((v) =>
    v.length === model[7].length && v.every((b, i) => b === model[7][i])
  );
  assert.equal(store.find(model[7], 0, Infinity).found, want);
  // In slices of 3 positions: the same answer, however the slices fall across segments.
  let slice = store.find(model[7], 0, 3);
  while (slice.found < 0 && slice.next < store.length) slice = store.find(model[7], slice.next, 3);
  assert.equal(slice.found, want);
  assert.deepEqual(store.find(new Uint8Array([0xc1]), 0, Infinity), {
    found: -1,
    next: store.length,
  });
  // Counting, whole and in slices across segments, replaced items included.
  const same = (a: Uint8Array, b: Uint8Array) =>
    a.length === b.length && a.every((x, i) => x === b[i]);
  for (const probe of [model[7], model[model.length - 1], item(3, 3)]) {
    const expected = model.filter((v) => same(v, probe)).length;
    assert.deepEqual(store.count(probe, 0, Infinity), { matches: expected, next: model.length });
    let total = 0;
    for (let from = 0; from < model.length; from += 5) total += store.count(probe, from, 5).matches;
    assert.equal(total, expected);
  }
});

Deno.test("copies stop at the item and byte limits, never splitting an item", () => {
  const store = new ItemStore();
  store.write(0, new Uint8Array(100), Array(10).fill(10));
  const out = new ValueBatchWriter();
  assert.equal(store.copyTo(out, 0, 10, 4, 1000), 4);
  assert.equal(out.take().lengths.length, 4);
  assert.equal(store.copyTo(out, 0, 10, 100, 35), 3);
  assert.equal(out.take().bytes.length, 30);
  assert.equal(store.copyTo(out, 0, 10, 100, 5), 1, "a first item always goes in");
  out.take();
  assert.equal(store.copyTo(out, 8, 20, 100, 1000), 10, "stops where the items run out");
});

Deno.test("a big batch filling its buffer is kept without a copy; a small share is copied", () => {
  const store = new ItemStore();
  const big = new Uint8Array(20_000).fill(1);
  store.write(0, big, [10_000, 10_000]);
  big[0] = 9; // the frame decoder never does this; it shows the bytes were adopted, not copied
  assert.equal(store.get(0)![0], 9);

  const buffer = new Uint8Array(1 << 20).fill(2);
  const share = buffer.subarray(0, 20_000);
  store.write(2, share, [20_000]);
  buffer[0] = 7;
  assert.equal(store.get(2)![0], 2, "a batch that is a small part of a big buffer is copied");
  store.write(3, new Uint8Array([5]), [1]);
  assert.deepEqual(store.get(3), new Uint8Array([5]));
  assert.equal(store.length, 4);
});

Deno.test("a frozen view keeps the items as they were while the store changes", () => {
  const store = new ItemStore();
  const model: Uint8Array[] = [];
  const write = (at: number, items: Uint8Array[]) => {
    const bytes = new Uint8Array(items.reduce((sum, b) => sum + b.length, 0));
    let offset = 0;
    for (const b of items) bytes.set(b, offset), offset += b.length;
    store.write(at, bytes, items.map((b) => b.length));
    model.length = at;
    model.push(...items);
  };
  const views: { frozen: ReturnType<ItemStore["freeze"]>; items: Uint8Array[] }[] = [];
  let n = 0;
  for (let round = 0; round < 60; round++) {
    const size = round % 9 === 0 ? 20_000 : 1 + (round * 13) % 90;
    write(model.length, Array.from({ length: 1 + round % 7 }, () => item(n++, size)));
    if (round % 3 === 0) {
      store.replace(round % model.length, item(n++, 5));
      model[round % model.length] = item(n - 1, 5);
    }
    if (round % 4 === 0) views.push({ frozen: store.freeze(), items: model.slice() });
    // Changes after a freeze: truncations (a big sealed buffer cut down is copied), rewrites
    // from the middle, pops, replacements and a rebuilt tail.
    if (round % 5 === 1) write(Math.max(0, model.length - 4), [item(n++, 3), item(n++, 40)]);
    if (round % 6 === 2) store.truncate(model.length = Math.max(0, model.length - 6));
    if (round % 7 === 3 && model.length > 0) assert.deepEqual(store.removeLast(), model.pop());
    if (round % 11 === 5 && model.length > 2) {
      store.rebuildFrom(1, [{ from: model.length - 1, count: model.length - 2, backwards: true }]);
      model.splice(1, model.length - 1, ...model.slice(2).reverse());
    }
  }
  for (const { frozen, items } of views) {
    // Small batches too: runs cut at batch limits and at replaced items.
    for (const [maxBytes, maxItems] of [[1 << 20, 1 << 17], [50, 3]]) {
      const got = [...frozen.batches(maxBytes, maxItems)].flatMap(batchViews);
      assert.equal(got.length, frozen.length);
      assert.deepEqual(got, items);
    }
  }
});
