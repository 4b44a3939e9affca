/** Values and messages through msgpack: what comes back equal, and what is refused. */
import assert from "node:assert/strict";
import {
  decodeMessage,
  decodeValue,
  decodeValueAt,
  encodeMessageShared,
  encodeValue,
  encodeValueShared,
  ExtData,
} from "../lib/wire/codec.ts";
import { ScalarWriter } from "../lib/wire/scalars.ts";
import { checkBatch, ValueBatchWriter } from "../lib/wire/value_batch.ts";
import { batchViews } from "./support/batches.ts";
import { BadArgument, ProtocolError } from "../lib/wire/errors.ts";
import { rejectsWith } from "./support/assert.ts";

const roundTrip = (value: unknown) => decodeValue(encodeValue(value));

Deno.test("every kind of value msgpack carries comes back equal", () => {
  const values: unknown[] = [
    null,
    true,
    false,
    0,
    -1,
    255,
    -129,
    2 ** 31,
    2 ** 40,
    Number.MAX_SAFE_INTEGER,
    -Number.MAX_SAFE_INTEGER,
    1.5,
    -0.25,
    Infinity,
    0n,
    1n,
    -(2n ** 63n),
    2n ** 64n - 1n,
    "",
    "test",
    "ünïcødé ✓ 🚀",
    "x".repeat(100_000),
    new Uint8Array([0, 1, 255]),
    new Uint8Array(0),
    [],
    [1, [2, [3, "four"]], { five: 5 }],
    {},
    { a: 1, nested: { b: [true, null], bytes: new Uint8Array([7]) } },
    new Date(0),
    new Date("2026-11-21T12:34:56.789Z"),
  ];
  for (const value of values) assert.deepEqual(roundTrip(value), value, String(value));
  assert.ok(Number.isNaN(roundTrip(NaN)));
});

Deno.test("decoded bytes own their memory", () => {
  const encoded = encodeValue({ bytes: new Uint8Array([1, 2, 3]) });
  const decoded = decodeValue(encoded) as { bytes: Uint8Array };
  encoded.fill(0);
  assert.deepEqual(decoded.bytes, new Uint8Array([1, 2, 3]));
  assert.equal(decoded.bytes.buffer.byteLength, 3);
});

Deno.test("values msgpack would silently change are refused with a clear error", async () => {
  class Point {
    x = 1;
  }
  const refused: [unknown, string][] = [
    [new Map([[1, 2]]), "cannot encode a Map"],
    [new Set([1]), "cannot encode a Set"],
    [new Point(), "cannot encode a Object"],
    [new Uint16Array([1]), "cannot encode a Uint16Array"],
    [[new ArrayBuffer(2)], "cannot encode a ArrayBuffer"],
    [() => 1, "cannot encode"],
    [Symbol("s"), "cannot encode"],
    [2n ** 64n, "outside msgpack's 64-bit integer range"],
    [-(2n ** 63n) - 1n, "outside msgpack's 64-bit integer range"],
  ];
  for (const [value, message] of refused) {
    await rejectsWith(() => encodeValue(value), BadArgument, message);
  }
});

Deno.test("undefined travels as null, as in msgpack", () => {
  assert.deepEqual(roundTrip([undefined, { a: undefined }]), [null, { a: null }]);
});

Deno.test("malformed bytes are a ProtocolError, never a crash", async () => {
  for (const bytes of [[0xc1], [0x92, 1], [0x01, 1], [], [0xdd, 0xff, 0xff, 0xff, 0xff]]) {
    await rejectsWith(() => decodeMessage(new Uint8Array(bytes)), ProtocolError, "malformed");
  }
  await rejectsWith(() => decodeValue(new Uint8Array([0xc1])), ProtocolError);
});

Deno.test("messages keep binary fields as views and everything else as sent", () => {
  const message = [2, 7, "list.append", ["a", [new Uint8Array([1, 2])]]];
  assert.deepEqual(decodeMessage(encodeMessageShared(message).slice()), message);
});

Deno.test("unknown extension types (0 included) decode as ExtData and encode back unchanged", () => {
  for (const type of [0, 42]) {
    const foreign = new Uint8Array([0xd4, type, 0x99]); // fixext 1
    const decoded = decodeValue(foreign);
    assert.ok(decoded instanceof ExtData);
    assert.equal(decoded.type, type);
    assert.deepEqual(encodeValue(decoded), foreign);
  }
});

Deno.test("the scalar fast path writes exactly what the msgpack library writes", () => {
  const numbers = [0, 1, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1];
  const signed = numbers.flatMap((n) => [n, -n]).concat([-31, -32, -33, -128, -129, -32768]);
  const texts = [0, 1, 31, 32, 33, 255, 256, 65535, 65536].flatMap((n) => [
    "a".repeat(n),
    "é".repeat(Math.ceil(n / 2)),
  ]).concat([
    "日本語",
    "🚀 emoji",
    "mixed ascii and ü",
    "lone \ud800 surrogate",
    "\udc00".repeat(60),
  ]);
  const values: unknown[] = [
    ...signed,
    -(2 ** 31),
    -(2 ** 31) - 1,
    0.5,
    -1.25,
    1e300,
    NaN,
    Infinity,
    -Infinity,
    -0,
    ...texts,
    null,
    undefined,
    true,
    false,
    0n,
    2n ** 64n - 1n,
    -(2n ** 63n),
    ...[0, 1, 255, 256, 65535, 65536].map((n) => new Uint8Array(n).fill(n % 251)),
  ];
  for (const value of values) {
    const writer = new ScalarWriter();
    // Short non-ASCII strings are left to the library on purpose; the rest take the fast path.
    const fastPath = writer.write(value);
    assert.ok(fastPath || (typeof value === "string" && value.length <= 50), String(value));
    const fast = fastPath ? writer.take() : encodeValue(value);
    assert.deepEqual(
      fast,
      encodeValueShared(value).slice(),
      `encoding of ${String(value).slice(0, 20)}`,
    );
    const back = decodeValue(fast);
    if (typeof value === "string" && /[\ud800-\udfff]/.test(value)) continue; // not valid text
    if (Number.isNaN(value)) assert.ok(Number.isNaN(back));
    else if (value === undefined) assert.equal(back, null);
    else if (Object.is(value, -0)) assert.equal(back, 0);
    else assert.deepEqual(back, value);
  }
});

Deno.test("a batch packs values back to back and checks what it receives", async () => {
  const writer = new ValueBatchWriter();
  const values = ["a", { b: [1, 2] }, 3n, new Uint8Array([4]), null];
  for (const value of values) writer.add(value);
  const batch = writer.take();
  assert.equal(writer.count, 0);
  assert.deepEqual(batchViews(batch).map(decodeValue), values);
  let at = 0;
  const decoded = batch.lengths.map((n) => decodeValueAt(batch.bytes, at, at += n));
  assert.deepEqual(decoded, values);
  assert.deepEqual(checkBatch([batch.bytes, batch.lengths], "v"), batch);
  await rejectsWith(() => checkBatch([batch.bytes, [1]], "v"), BadArgument, "add up to 1");
  await rejectsWith(() => checkBatch([batch.bytes, []], "v"), BadArgument, "at least one");
  await rejectsWith(() => checkBatch([batch.bytes, [0, 20]], "v"), BadArgument, "positive");
  await rejectsWith(() => checkBatch(["x", [1]], "v"), BadArgument, "[bytes, lengths]");
});
