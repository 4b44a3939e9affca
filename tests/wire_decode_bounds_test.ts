/** The decode bounds: exact limits, malformed input, and agreement with the msgpack library. */
import assert from "node:assert/strict";
import { encode } from "npm:@msgpack/msgpack@3.1.3";
import {
  checkDecodeBounds,
  type DecodeBounds,
  MESSAGE_BOUNDS,
  VALUE_BOUNDS,
} from "../lib/wire/decode_bounds.ts";
import { decodeMessage, decodeValue, encodeValue } from "../lib/wire/codec.ts";
import { BadArgument, LimitExceeded, ProtocolError } from "../lib/wire/errors.ts";
import { rejectsWith } from "./support/assert.ts";
import { seededRandom } from "./support/random.ts";

/** `levels` arrays nested inside each other around a nil: `[[[…nil…]]]`. */
function nested(levels: number): unknown {
  let value: unknown = null;
  for (let k = 0; k < levels; k++) value = [value];
  return value;
}

Deno.test("depth: 32 levels pass as a message, 33 do not; values may go to 100", async () => {
  checkDecodeBounds(encode(nested(32)), MESSAGE_BOUNDS);
  await rejectsWith(
    () => checkDecodeBounds(encode(nested(33)), MESSAGE_BOUNDS),
    LimitExceeded,
    "nested more than 32 levels",
  );
  // An empty container is a level too.
  await rejectsWith(
    () => checkDecodeBounds(encode([[[]]]), { ...MESSAGE_BOUNDS, maxDepth: 2 }),
    LimitExceeded,
  );
  // Whatever the library writes (it stops at depth 100), a reader takes back.
  assert.deepEqual(decodeValue(encodeValue(nested(99))), nested(99));
  await rejectsWith(() => encodeValue(nested(101)), BadArgument, "deep");
  await rejectsWith(
    () => decodeValue(encode(nested(101), { maxDepth: 200 })),
    LimitExceeded,
    "nested more than 100 levels",
  );
});

Deno.test("counts: values, objects and the memory estimate are checked as headers announce them", async () => {
  const tight: DecodeBounds = { ...MESSAGE_BOUNDS, maxValues: 10, maxObjects: 3 };
  checkDecodeBounds(encode([1, 2, 3, 4, 5, 6, 7, 8, 9]), tight); // 10 values with the array
  await rejectsWith(
    () => checkDecodeBounds(encode([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), tight),
    LimitExceeded,
    "more than 10 msgpack values",
  );
  // A map entry is two values and one object.
  checkDecodeBounds(encode({ a: 1, b: 2 }), tight);
  await rejectsWith(
    () => checkDecodeBounds(encode({ a: 1, b: 2, c: 3 }), tight),
    LimitExceeded,
    "more than 3 arrays, maps",
  );
  // Memory: 8 bytes a value, 64 an object, string bytes; 4× the size + 64 KiB for messages.
  const empties = encode(Array.from({ length: 5000 }, () => ({})));
  assert.ok(empties.length < 6000);
  await rejectsWith(
    () => checkDecodeBounds(empties, MESSAGE_BOUNDS),
    LimitExceeded,
    "once decoded",
  );
  // …while a batch of 100,000 one-byte values, the densest thing a client sends, passes.
  const batch = encode([2, 1, "list.append", ["a", [new Uint8Array(1e5), Array(1e5).fill(1)]]]);
  checkDecodeBounds(batch, MESSAGE_BOUNDS);
});

Deno.test("malformed: every cut of a valid encoding, c1, and bytes after the value", async () => {
  const whole = encode([1, "two", { three: [3.5, 2n ** 60n, new Uint8Array(40)] }, null, -7], {
    useBigInt64: true,
  });
  for (let cut = 0; cut < whole.length; cut++) {
    await rejectsWith(
      () => checkDecodeBounds(whole.subarray(0, cut), VALUE_BOUNDS),
      ProtocolError,
      "ends in the middle",
    );
  }
  await rejectsWith(
    () => checkDecodeBounds(new Uint8Array([0x91, 0xc1]), VALUE_BOUNDS),
    ProtocolError,
    "c1",
  );
  await rejectsWith(
    () => checkDecodeBounds(new Uint8Array([0x01, 0x02]), VALUE_BOUNDS),
    ProtocolError,
    "1 bytes after",
  );
  // A header may not announce more values than there are bytes left.
  await rejectsWith(
    () => decodeMessage(new Uint8Array([0xdd, 0, 1, 0, 0, 1, 2, 3])),
    ProtocolError,
  );
});

Deno.test("the scan agrees with the msgpack library on random values", () => {
  const random = seededRandom(7);
  const pick = <T>(options: T[]) => options[Math.floor(random() * options.length)];
  const value = (depth: number): unknown => {
    const kind = depth > 5 ? pick(["int", "str", "float"]) : pick([
      "int",
      "big",
      "str",
      "float",
      "bin",
      "array",
      "map",
      "nil",
      "bool",
      "date",
    ]);
    switch (kind) {
      case "int":
        return Math.floor((random() - 0.5) * 2 ** pick([4, 8, 16, 31, 40]));
      case "big":
        return BigInt(Math.floor(random() * 2 ** 53)) * pick([1n, -1n, 1000n]);
      case "str":
        return "é".repeat(Math.floor(random() * pick([3, 40, 300])));
      case "float":
        return random() * 1e10;
      case "bin":
        return new Uint8Array(Math.floor(random() * pick([3, 300, 70_000])));
      case "array":
        return Array.from({ length: Math.floor(random() * 20) }, () => value(depth + 1));
      case "map":
        return Object.fromEntries(
          Array.from({ length: Math.floor(random() * 20) }, (_, k) => [`k${k}`, value(depth + 1)]),
        );
      case "date":
        return new Date(Math.floor(random() * 2e12));
      case "bool":
        return random() < 0.5;
      default:
        return null;
    }
  };
  for (let k = 0; k < 300; k++) {
    const original = value(0);
    const bytes = encodeValue(original);
    assert.deepEqual(decodeValue(bytes), original);
  }
});
