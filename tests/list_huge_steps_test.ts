/**
 * Slices accept any integer, as Python's do (`a[3::sys.maxsize]`, bounds of 2**80): on the
 * client (bigints, and steps longer than the list) and on the server (a msgpack int 64 step
 * from another client).
 */
import assert from "node:assert/strict";
import { List } from "../mod.ts";
import { sliceIndices } from "../lib/types/slice.ts";
import { decodeValue, encodeValue } from "../lib/wire/codec.ts";
import { startServers } from "./support/cluster.ts";
import { RawClient } from "./support/raw_client.ts";

/** Python's `list(range(n))[start:stop:step]`, for the few cases below. */
function python(n: number, start: number | null, stop: number | null, step: number): number[] {
  const items = Array.from({ length: n }, (_, i) => i);
  const { start: first, step: by, count } = sliceIndices(n, start, stop, step);
  return Array.from({ length: count }, (_, k) => items[first + k * by]);
}

Deno.test("slice bounds and steps of any size select what Python selects", async () => {
  assert.deepEqual(sliceIndices(30, 3, undefined, 2n ** 63n - 1n), {
    start: 3,
    step: 30,
    count: 1,
  });
  assert.deepEqual(sliceIndices(30, undefined, undefined, -(2n ** 70n)), {
    start: 29,
    step: -30,
    count: 1,
  });
  assert.deepEqual(sliceIndices(30, -(2n ** 80n), 2n ** 80n, 7).count, 5);
  assert.deepEqual(python(10, null, null, 3), [0, 3, 6, 9]);
  await using servers = await startServers(2);
  await using li = await List.open("huge", { nodes: servers.addresses, partitionSize: 4 });
  await li.extend(Array.from({ length: 30 }, (_, i) => i));
  assert.deepEqual(await li.slice(3, undefined, 2n ** 63n - 1n), [3]); // a[3::sys.maxsize]
  assert.deepEqual(await li.slice(undefined, undefined, -(2n ** 70n)), [29]);
  assert.deepEqual(await li.slice(-(2n ** 80n), 2n ** 80n, 7), [0, 7, 14, 21, 28]);
  assert.deepEqual(await li.slice(2n ** 80n, undefined, -9), [29, 20, 11, 2]);
});

Deno.test("a server takes an int 64 step or stop from another client", async () => {
  await using servers = await startServers(1);
  await using li = await List.open("raw", { nodes: servers.addresses });
  await li.extend(Array.from({ length: 30 }, (_, i) => i));
  await using raw = await RawClient.connect(servers.addresses[0]);
  await raw.hello();
  const range = async (id: number, start: unknown, stop: unknown, step: unknown) => {
    // Encoded as a user value: the message encoder writes no int 64, another client may.
    const body = encodeValue([5, id, "list.range", ["raw", start, stop, step], 16]);
    const frame = new Uint8Array(4 + body.length);
    new DataView(frame.buffer).setUint32(0, body.length);
    frame.set(body, 4);
    await raw.write(frame);
    const items: unknown[] = [];
    while (true) {
      const message = await raw.read() as unknown[];
      if (message[0] !== 6) return message[0] === 4 ? message.slice(2, 3) : items;
      const [bytes, lengths] = message[2] as [Uint8Array, number[]];
      let at = 0;
      for (const n of lengths) items.push(decodeValue(bytes.subarray(at, at += n)));
    }
  };
  assert.deepEqual(await range(1, 0, 29, 2n ** 62n), [0]);
  assert.deepEqual(await range(3, 29, -1, -(2n ** 63n)), [29]);
  assert.deepEqual(await range(5, 2, 2n ** 63n - 1n, 9), [2, 11, 20, 29]);
  assert.deepEqual(await range(7, 0, -2, 1), ["BAD_ARGUMENT"]);
});
