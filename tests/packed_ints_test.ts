/** Integers packed in typed arrays: exactly the bytes that came in, through every operation. */
import assert from "node:assert/strict";
import { encodeValue as encode } from "../lib/wire/codec.ts";
import { INT_SEGMENT_ITEMS, ItemStore } from "../lib/store/item_store.ts";
import { canonicalInt, encodeInt, intSize, PackedInts } from "../lib/store/packed_ints.ts";
import { ValueBatchWriter } from "../lib/wire/value_batch.ts";
import { batchOf, batchViews } from "./support/batches.ts";

/** A small deterministic random source, so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
}

/** Like assert.deepEqual for lists of items, fast enough for a few hundred thousand. */
function assertItems(got: Uint8Array[], want: Uint8Array[], what: string): void {
  assert.equal(got.length, want.length, `${what}: count`);
  for (let k = 0; k < want.length; k++) {
    const [a, b] = [got[k], want[k]];
    if (a.length !== b.length || a.some((x, i) => x !== b[i])) {
      assert.deepEqual(a, b, `${what}: item ${k}`);
    }
  }
}

function intBytes(n: number): Uint8Array {
  const out = new Uint8Array(5);
  return out.slice(0, encodeInt(n, out, 0));
}

Deno.test("canonical ints are exactly msgpack's shortest forms of int32s", () => {
  const edges = [
    0,
    127,
    128,
    255,
    256,
    65_535,
    65_536,
    2 ** 31 - 1,
    -1,
    -32,
    -33,
    -128,
    -129,
    -32_768,
    -32_769,
    -(2 ** 31),
  ];
  for (const n of edges) {
    const bytes = encode(n);
    assert.equal(canonicalInt(bytes, 0, bytes.length), n, `${n}`);
    assert.deepEqual(intBytes(n), bytes, `${n} encodes as msgpack does`);
    assert.equal(intSize(n), bytes.length);
  }
  // Longer forms of small numbers, past int32, and other kinds are not packed.
  for (
    const bytes of [
      [0xcc, 0x05],
      [0xcd, 0x00, 0xff],
      [0xce, 0x00, 0x00, 0xff, 0xff],
      [0xd0, 0x05],
      [0xd0, 0xe0],
      [0xd1, 0xff, 0x80],
      [0xd2, 0xff, 0xff, 0x80, 0x00],
      [0xce, 0x80, 0x00, 0x00, 0x00],
      [0xcf, 0, 0, 0, 0, 0, 0, 0, 1],
      [0xa1, 0x61],
      [0xc0],
      [0xc3],
      [0xcb, 0, 0, 0, 0, 0, 0, 0, 0],
    ]
  ) {
    assert.ok(Number.isNaN(canonicalInt(new Uint8Array(bytes), 0, bytes.length)), `${bytes}`);
  }
});

Deno.test("a store of integers, mixed with other items, agrees with a plain array", () => {
  const next = random(7);
  const values = [
    () => Math.floor(next() * 128),
    () => -Math.floor(next() * 32) - 1,
    () => 128 + Math.floor(next() * 128),
    () => -33 - Math.floor(next() * 96),
    () => Math.floor(next() * 65_536),
    () => -Math.floor(next() * 32_768),
    () => Math.floor(next() * 2 ** 24) - 2 ** 23,
    () => Math.floor(next() * 2 ** 31),
    () => -Math.floor(next() * 2 ** 31),
  ];
  const anInt = () => intBytes(values[Math.floor(next() * values.length)]());
  // Items that look like integers but must keep their bytes, and other kinds.
  const others = [
    () => new Uint8Array([0xcd, 0x00, Math.floor(next() * 256)]),
    () => new Uint8Array([0xce, 0x80 + Math.floor(next() * 128), 0, 0, 1]),
    () => new Uint8Array([0xa1, 0x61 + Math.floor(next() * 26)]),
    () => new Uint8Array([0xc0]),
  ];
  const item = (mixed: boolean) =>
    mixed && next() < 0.2 ? others[Math.floor(next() * others.length)]() : anInt();

  const store = new ItemStore();
  const model: Uint8Array[] = [];
  const views: { frozen: ReturnType<ItemStore["freeze"]>; items: Uint8Array[] }[] = [];
  const write = (at: number, items: Uint8Array[]) => {
    const batch = batchOf(items);
    store.write(at, batch.bytes, batch.lengths);
    model.length = at;
    for (const value of items) model.push(value);
  };
  const same = (a: Uint8Array, b: Uint8Array) =>
    a.length === b.length && a.every((x, i) => x === b[i]);

  for (let round = 0; round < 300; round++) {
    const mixed = round % 4 === 3;
    // Mostly small batches and single appends; now and then one past a whole segment.
    const count = round === 150 ? INT_SEGMENT_ITEMS + 1_000 : 1 + Math.floor(next() * 40);
    const batch = Array.from({ length: count }, () => item(mixed));
    write(round % 13 === 0 ? Math.max(0, model.length - 5) : model.length, batch);
    if (round % 7 === 0 && model.length > 0) assert.deepEqual(store.removeLast(), model.pop());
    if (round % 11 === 0) store.truncate(model.length = Math.max(0, model.length - 9));
    if (round % 5 === 0 && model.length > 0) {
      const k = Math.floor(next() * model.length);
      model[k] = item(true);
      assert.ok(store.replace(k, model[k]));
    }
    if (round % 17 === 0) views.push({ frozen: store.freeze(), items: model.slice() });
    if (round % 19 === 4 && model.length > 10) {
      // A tail rebuilt from the store's own items backwards and forwards, and a batch.
      const tail = model.length - 10;
      const inserted = [anInt(), anInt()];
      store.rebuildFrom(tail, [
        { from: model.length - 1, count: 4, backwards: true },
        { batch: batchOf(inserted) },
        { from: tail, count: 6, backwards: false },
      ]);
      const old = model.slice(tail);
      model.length = tail;
      model.push(...old.slice(6).reverse(), ...inserted, ...old.slice(0, 6));
    }
    assert.equal(store.length, model.length);
  }

  assertItems(model.map((_, k) => store.get(k)!), model, "get");
  assert.equal(store.bytesHeld, model.reduce((sum, v) => sum + v.length, 0));
  const out = new ValueBatchWriter();
  assert.equal(store.copyTo(out, 0, model.length, Infinity, Infinity), model.length);
  assertItems(batchViews(out.take()), model, "forwards");
  assert.equal(store.copyTo(out, model.length - 1, -1, Infinity, Infinity), -1);
  assertItems(batchViews(out.take()), model.slice().reverse(), "backwards");
  // Limits, in small steps across segments of both kinds.
  const stepped: Uint8Array[] = [];
  for (let at = 0; at < model.length;) {
    at = store.copyTo(out, at, model.length, 7, 20);
    const got = batchViews(out.take());
    assert.ok(got.length <= 7 && (got.length === 1 || got.reduce((s, v) => s + v.length, 0) <= 20));
    stepped.push(...got);
  }
  assertItems(stepped, model, "in steps");
  const positions = [3, 0, model.length - 1, INT_SEGMENT_ITEMS, 17];
  store.gather(out, positions);
  assert.deepEqual(batchViews(out.take()), positions.map((p) => model[p]));
  const scanned: Uint8Array[] = [];
  store.scan(model.length, (bytes, view, at) => {
    assert.equal(view.getUint8(at), bytes[at]);
    const size = model[scanned.length].length;
    scanned.push(bytes.slice(at, at + size));
  });
  assertItems(scanned, model, "scan");
  for (const probe of [model[5], model[model.length - 2], intBytes(3), intBytes(-(2 ** 31))]) {
    const expected = model.filter((v) => same(v, probe)).length;
    assert.deepEqual(store.count(probe, 0, Infinity), { matches: expected, next: model.length });
    const first = model.findIndex((v) => same(v, probe));
    assert.equal(store.find(probe, 0, Infinity).found, first);
  }
  for (const { frozen, items } of views) {
    // Small batches cut runs at every limit; big views in bigger ones, to keep this quick.
    const [maxBytes, maxItems] = frozen.length < 5_000 ? [100, 9] : [1 << 16, 1 << 12];
    assertItems([...frozen.batches(maxBytes, maxItems)].flatMap(batchViews), items, "frozen");
  }
});

Deno.test("packed integers widen from 1 to 4 bytes and keep every value", () => {
  const edges = [0, 1, -1, 127, -128, 128, -129, 32_767, -32_768, 32_768, -32_769];
  const wider = [2 ** 23 - 1, -(2 ** 23), 2 ** 23, -(2 ** 23) - 1, 2 ** 31 - 1, -(2 ** 31)];
  let ints = PackedInts.for(0, 2);
  const want: number[] = [];
  for (const n of [...edges, ...wider]) {
    ints = ints.withRoomFor(want.length, n, 1_000);
    ints.set(want.length, n);
    want.push(n);
    assert.deepEqual(want.map((_, k) => ints.get(k)), want, `after ${n}`);
  }
  assert.equal(ints.width, 4);
  assert.deepEqual(
    [127, 32_767, 2 ** 23 - 1, 2 ** 23].map((n) => PackedInts.for(n, 1).width),
    [1, 2, 3, 4],
  );
  // A copy is its own: writing one leaves the other as it was.
  const copy = ints.copy(want.length);
  copy.set(0, 99);
  assert.equal(ints.get(0), 0);
});

Deno.test("a million small integers take about three bytes each, not nine", () => {
  const store = new ItemStore();
  const writer = new ValueBatchWriter();
  for (let n = 0; n < 1_000_000; n++) {
    writer.add(n);
    if (writer.count === 10_000) {
      const batch = writer.take();
      store.write(store.length, batch.bytes, batch.lengths);
    }
  }
  assert.equal(store.length, 1_000_000);
  assert.deepEqual(store.get(999_999), encode(999_999));
  assert.ok(store.arrayBytes <= 3.3 * 1_000_000, `${store.arrayBytes} bytes held`);
});

Deno.test("integers written longer than they need keep their bytes, and a frozen view its ints", () => {
  const store = new ItemStore();
  const ints = [1, 300, -5, 70_000].map(intBytes);
  let batch = batchOf(ints);
  store.write(0, batch.bytes, batch.lengths);
  // 5 as a uint16, -1 as an int32, 2^31 as a uint32: integers, but not packed.
  const longer = [[0xcd, 0x00, 0x05], [0xd2, 0xff, 0xff, 0xff, 0xff], [0xce, 0x80, 0, 0, 0]]
    .map((bytes) => new Uint8Array(bytes));
  // One at a time, each where a tail of integers would take it.
  for (const [k, value] of longer.entries()) store.write(4 + k, value, [value.length]);
  batch = batchOf([intBytes(9)]);
  store.write(7, batch.bytes, batch.lengths);
  const all = [...ints, ...longer, intBytes(9)];
  assertItems(all.map((_, k) => store.get(k)!), all, "get");
  assert.equal(store.count(intBytes(5), 0, Infinity).matches, 0, "5 is not 0xcd 0x00 0x05");

  // A view frozen before the tail of integers is cut and written again still reads the old.
  const packed = new ItemStore();
  batch = batchOf(ints);
  packed.write(0, batch.bytes, batch.lengths);
  const frozen = packed.freeze();
  packed.truncate(2);
  batch = batchOf([intBytes(7), intBytes(8)]);
  packed.write(2, batch.bytes, batch.lengths);
  assertItems([...frozen.batches(1024)].flatMap(batchViews), ints, "frozen");
  assertItems(
    [0, 1, 2, 3].map((k) => packed.get(k)!),
    [...ints.slice(0, 2), ...batchViews(batch)],
    "live",
  );
});

Deno.test("tails of integers rebuilt from runs both ways and batches agree with a plain array", () => {
  const next = random(11);
  const store = new ItemStore();
  const model: Uint8Array[] = [];
  const widths = [100, 30_000, 8_000_000, 2 ** 31 - 1];
  const anInt = () => {
    const bound = widths[Math.floor(next() * widths.length)];
    return intBytes(Math.floor(next() * bound * 2) - bound);
  };
  // Segments of several widths, one of them past a whole segment.
  for (const count of [5, INT_SEGMENT_ITEMS + 3, 40, 1, 70]) {
    const items = Array.from({ length: count }, anInt);
    const batch = batchOf(items);
    store.write(store.length, batch.bytes, batch.lengths);
    for (const value of items) model.push(value);
  }
  for (let round = 0; round < 30; round++) {
    const at = Math.floor(next() * model.length);
    const tail = model.length - at;
    const cut = Math.floor(next() * tail);
    const inserted = Array.from({ length: round % 3 }, anInt);
    // The tail's back part reversed, new items, then its front part: a sort's or a reverse's
    // kind of rebuild, or an insert's.
    store.rebuildFrom(at, [
      { from: model.length - 1, count: tail - cut, backwards: true },
      { batch: batchOf(inserted) },
      { from: at, count: cut, backwards: false },
    ]);
    const old = model.slice(at);
    model.length = at;
    for (const value of [...old.slice(cut).reverse(), ...inserted, ...old.slice(0, cut)]) {
      model.push(value);
    }
    assert.equal(store.length, model.length);
    if (round % 10 === 0) {
      const batch = batchOf([anInt(), anInt()]);
      store.write(store.length, batch.bytes, batch.lengths);
      model.push(...batchViews(batch));
    }
  }
  assertItems(model.map((_, k) => store.get(k)!), model, "get");
  assert.equal(store.bytesHeld, model.reduce((sum, v) => sum + v.length, 0));
  const out = new ValueBatchWriter();
  store.copyTo(out, 0, model.length, Infinity, Infinity);
  assertItems(batchViews(out.take()), model, "copy");
});

/** A store of `count` integers (0, 3, 6, …) in one rebuilt segment, as a reverse leaves them. */
function reversedInts(count: number): ItemStore {
  const store = new ItemStore();
  const writer = new ValueBatchWriter();
  for (let n = 0; n < count; n++) writer.add(n * 3);
  const batch = writer.take();
  store.write(0, batch.bytes, batch.lengths);
  store.rebuildFrom(0, [{ from: count - 1, count, backwards: true }]);
  return store;
}

Deno.test("popping a long tail of integers does not count all of it again", () => {
  const store = reversedInts(100_000);
  let bytes = store.bytesHeld;
  // Count every integer read from then on: a pop and the size after it should read a few.
  const get = PackedInts.prototype.get;
  let reads = 0;
  PackedInts.prototype.get = function (this: PackedInts, k: number) {
    reads++;
    return get.call(this, k);
  };
  try {
    for (let k = 0; k < 100; k++) {
      bytes -= store.removeLast()!.length;
      assert.equal(store.bytesHeld, bytes);
    }
    // Items appended after it and popped again leave its count as it was.
    const batch = batchOf([intBytes(1), intBytes(2)]);
    store.write(store.length, batch.bytes, batch.lengths);
    store.truncate(store.length - 2);
    assert.equal(store.bytesHeld, bytes);
  } finally {
    PackedInts.prototype.get = get;
  }
  assert.ok(reads < 1_000, `${reads} integers read for 100 pops`);
  // Cut by more than is left, it is counted again, right.
  store.truncate(10);
  assert.equal(store.bytesHeld, [...Array(10)].reduce((s, _, k) => s + store.get(k)!.length, 0));
});

Deno.test("a long tail of integers cut down to a few lets go of its array", () => {
  const store = reversedInts(100_000);
  const frozen = store.freeze();
  store.truncate(10);
  assert.ok(store.arrayBytes < 1_000, `${store.arrayBytes} bytes held for 10 integers`);
  const batch = batchOf([intBytes(-1), intBytes(70_000)]);
  store.write(10, batch.bytes, batch.lengths);
  const want = [...Array(10)].map((_, k) => intBytes((99_999 - k) * 3));
  assertItems([...Array(12)].map((_, k) => store.get(k)!), [...want, ...batchViews(batch)], "live");
  const all = [...frozen.batches(1 << 16)].flatMap(batchViews);
  assertItems(all.slice(0, 10), want, "frozen");
  assert.equal(all.length, 100_000);
});
