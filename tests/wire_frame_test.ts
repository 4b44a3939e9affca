/** Framing without sockets: bodies in, bodies out, whatever the chunking. */
import assert from "node:assert/strict";
import { FrameTooLarge } from "../lib/wire/errors.ts";
import { FrameBatch, FrameDecoder } from "../lib/wire/frame.ts";
import { rejectsWith } from "./support/assert.ts";

function bodies(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => new Uint8Array(i * 37 % 5000).fill(i % 251));
}

Deno.test("frames survive any split of the byte stream", () => {
  const sent = bodies(200);
  const batch = new FrameBatch();
  for (const body of sent) batch.add(body);
  const wire = batch.take().slice();
  for (const piece of [1, 3, 4, 5, 1000, 70_000]) {
    const decoder = new FrameDecoder(1 << 20);
    const received: Uint8Array[] = [];
    for (let offset = 0; offset < wire.length; offset += piece) {
      decoder.push(wire.subarray(offset, offset + piece));
      for (let body; (body = decoder.next()) !== undefined;) received.push(body);
    }
    assert.deepEqual(received, sent, `pieces of ${piece} bytes`);
    assert.equal(decoder.pendingBytes, 0);
  }
});

Deno.test("a body handed out is never overwritten by later reads", () => {
  const decoder = new FrameDecoder(1 << 20);
  const batch = new FrameBatch();
  batch.add(new Uint8Array(10).fill(7));
  decoder.push(batch.take());
  const first = decoder.next()!;
  for (let i = 0; i < 100; i++) {
    batch.add(new Uint8Array(20_000).fill(i));
    decoder.push(batch.take());
    assert.equal(decoder.next()!.length, 20_000);
  }
  assert.deepEqual(first, new Uint8Array(10).fill(7));
});

Deno.test("a header announcing a body over the limit is refused", async () => {
  const decoder = new FrameDecoder(1024);
  decoder.push(new Uint8Array([0, 0, 4, 1]));
  await rejectsWith(() => decoder.next(), FrameTooLarge, "1025 bytes exceeds the limit of 1024");
});

Deno.test("garbage text is refused by its impossible length, without allocating it", async () => {
  const decoder = new FrameDecoder(64 * 1024);
  decoder.push(new TextEncoder().encode("GET / HTTP/1.1\r\n"));
  assert.ok(decoder.readTarget().length < 1 << 20);
  await rejectsWith(() => decoder.next(), FrameTooLarge);
});

Deno.test("memory grows with the bytes that arrive, not with what a header announces", () => {
  const decoder = new FrameDecoder(16 * 1024 * 1024);
  decoder.push(new Uint8Array([1, 0, 0, 0])); // announces a 16 MiB body
  decoder.push(new Uint8Array(100_000));
  assert.ok(decoder.readTarget().length < 512 * 1024);
  assert.equal(decoder.next(), undefined);
});

Deno.test("a frame as big as one that arrived whole gets its room at once; bigger ones do not", () => {
  const MiB = 1024 * 1024;
  const decoder = new FrameDecoder(16 * MiB);
  const header = (n: number) =>
    new Uint8Array([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
  decoder.push(header(MiB));
  decoder.push(new Uint8Array(MiB));
  assert.equal(decoder.next()?.length, MiB);
  // The next 1 MiB frame: room for all of it as soon as its header and a few bytes are in.
  decoder.push(header(MiB));
  decoder.push(new Uint8Array(20_000));
  assert.ok(decoder.readTarget().length >= MiB - 20_000, "room for the rest of the frame");
  decoder.push(new Uint8Array(MiB - 20_000));
  assert.equal(decoder.next()?.length, MiB);
  // A 16 MiB header is still only given room in step with what arrives.
  decoder.push(header(16 * MiB));
  decoder.push(new Uint8Array(20_000));
  assert.ok(decoder.readTarget().length < 2 * MiB);
});

Deno.test("an incomplete frame waits for more bytes", () => {
  const decoder = new FrameDecoder(1024);
  decoder.push(new Uint8Array([0, 0, 0, 3, 1, 2]));
  assert.equal(decoder.next(), undefined);
  assert.equal(decoder.pendingBytes, 6);
  decoder.push(new Uint8Array([3]));
  assert.deepEqual(decoder.next(), new Uint8Array([1, 2, 3]));
});

Deno.test("a batch packs frames back to back and can be reused", () => {
  const batch = new FrameBatch();
  batch.add(new Uint8Array([9]));
  batch.add(new Uint8Array([8, 7]));
  assert.deepEqual(batch.take(), new Uint8Array([0, 0, 0, 1, 9, 0, 0, 0, 2, 8, 7]));
  assert.equal(batch.length, 0);
  batch.add(new Uint8Array(5_000_000));
  assert.equal(batch.take().length, 5_000_004);
  batch.shrink();
  batch.add(new Uint8Array([1]));
  assert.deepEqual(batch.take(), new Uint8Array([0, 0, 0, 1, 1]));
});
