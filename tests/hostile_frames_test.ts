/**
 * Frames built to stall or bloat a server, sent to a real list server while a well-behaved
 * client keeps pinging it: each one gets a clear error (or its correct answer) at once, the
 * pings never wait long, and the server's memory stays small. Before decoding was bounded,
 * the first of these kept a server from answering anyone for ~29 s and cost it ~930 MB.
 */
import assert from "node:assert/strict";
import { List } from "../mod.ts";
import { connect } from "../lib/net/connect.ts";
import { Kind } from "../lib/wire/messages.ts";
import { ListOp } from "../lib/wire/list_protocol.ts";
import { encodeMessageShared } from "../lib/wire/codec.ts";
import { startServers, uniqueName } from "./support/cluster.ts";
import { RawClient } from "./support/raw_client.ts";
import { LivenessProbe, processMemory } from "./support/liveness.ts";
import {
  deepArrays,
  deepMaps,
  framed,
  fromHex,
  lyingArray,
  manyKeys,
  pingWith,
  shortStrings,
  wideArray,
} from "./support/hostile_frames.ts";

/** A ping waiting longer than this means the server was stalled (it answers in ~0.1 ms). */
const STALL_MS = 1_000;
/** The server's resident memory may never reach this (it idles near 60 MB). */
const PEAK_BYTES = 400 * 1024 * 1024;
const MiB = 1024 * 1024;

Deno.test("hostile frames cost the server neither time nor memory", async (t) => {
  await using servers = await startServers(1);
  const [address] = servers.addresses;
  const { pid } = servers.processes[0];
  await using witness = await List.open(uniqueName("witness"), { nodes: [address] });
  const acknowledged = Array.from({ length: 100 }, (_, i) => `item ${i}`);
  await witness.extend(acknowledged);
  const probe = await LivenessProbe.start(address);

  /** Send `body` as one frame after a hello; expect a connection error, then the close. */
  const refused = async (body: Uint8Array, code: string, includes: string) => {
    await using raw = await RawClient.connect(address);
    assert.equal((await raw.hello())?.[0], Kind.Welcome);
    await raw.write(framed(body));
    const answer = await raw.read();
    assert.ok(answer, `expected ${code}, but the connection closed`);
    assert.deepEqual(answer.slice(0, 3), [Kind.Error, 0, code], String(answer[3]));
    assert.ok(String(answer[3]).includes(includes), `"${answer[3]}" should say "${includes}"`);
    assert.ok(String(answer[3]).length < 200, "the error does not repeat the input");
    assert.equal(await raw.read(), null);
  };

  const cases: [string, () => Uint8Array, string, string][] = [
    ["4 MiB of arrays nested 4 million deep", () => deepArrays(4 * MiB), "LIMIT", "32 levels"],
    [
      "16 MiB of nesting inside a ping's arguments",
      () => pingWith(deepArrays(16 * MiB - 16)),
      "LIMIT",
      "32 levels",
    ],
    ["16 MiB of nested maps", () => deepMaps(16 * MiB), "LIMIT", "32 levels"],
    ["a flat map of 1.86 million keys", () => manyKeys(1_860_000), "LIMIT", "values"],
    ["16 MiB of tiny integers", () => wideArray(16 * MiB, 0x01), "LIMIT", "values"],
    ["1 MiB of empty maps", () => wideArray(MiB, 0x80), "LIMIT", "once decoded"],
    [
      "a million two-character strings",
      () => pingWith(shortStrings(1_000_000)),
      "LIMIT",
      "decoded",
    ],
    ["100,000 empty arrays after a 14 MiB bin", () => paddedEmptyArrays(), "LIMIT", "arrays"],
    ["an array that announces 4 billion elements", () => lyingArray(0xffff_ffff), "PROTOCOL", ""],
  ];
  for (const [name, build, code, includes] of cases) {
    await t.step(name, () => refused(build(), code, includes));
  }

  await t.step("a range with a huge step over made-up nodes answers at once", async () => {
    // The frames (its hello with protocol 2 for 1): a hello as "peer", a list of partitionSize 2^30 that this server
    // holds as node 255 of 256 made-up nodes, one item at index 255·2^30, and a range from 0
    // in steps of 2. The old walk stepped one index at a time: 2^37 steps, minutes.
    await using raw = await RawClient.connect(address);
    await raw.write(fromHex(
      "0000003f920085a56d61676963a7747970656e6574a776657273696f6e02a4726f6c65a470656572a5" +
        "6167656e74a178ad6d61784672616d654279746573ce01000000",
    ));
    assert.equal((await raw.read())?.[0], Kind.Welcome);
    const name = uniqueName("stride");
    const nodes = Array.from({ length: 256 }, (_, k) => `127.0.0.1:${k + 1}`);
    const first = 255 * 2 ** 30;
    await raw.send([Kind.Request, 1, ListOp.Open, [name, { nodes, partitionSize: 2 ** 30 }, 255]]);
    assert.deepEqual(await raw.read(), [Kind.Response, 1, { count: 0, created: true }]);
    const value = new Uint8Array([0x01]);
    await raw.send([Kind.Request, 3, ListOp.Store, [name, first, [value, [1]]]]);
    assert.deepEqual(await raw.read(), [Kind.Response, 3, 1]);
    for (const step of [2, 3, 2 ** 31 + 1]) {
      await raw.send([Kind.Stream, 5, ListOp.Range, [name, 0, Number.MAX_SAFE_INTEGER, step], 4]);
      const hit = first % step === 0;
      if (hit) assert.deepEqual(await raw.read(), [Kind.Item, 5, [value, [1]]]);
      assert.deepEqual(await raw.read(), [Kind.End, 5], `step ${step}`);
    }
    // Going down from the item in steps of 3, no other index below is this node's.
    await raw.send([Kind.Stream, 7, ListOp.Range, [name, first, -1, -3], 4]);
    assert.deepEqual(await raw.read(), [Kind.Item, 7, [value, [1]]]);
    assert.deepEqual(await raw.read(), [Kind.End, 7]);
  });

  await t.step(
    "opening lists over 600 unreachable addresses leaves at most 512 links",
    async () => {
      const session = await connect(address, { requestTimeoutMs: 30_000 });
      try {
        const opens = Array.from({ length: 600 }, (_, k) =>
          session.request(ListOp.Open, [
            uniqueName("links"),
            { nodes: [address, `127.0.0.1:${40_000 + k}`], partitionSize: 10 },
            0,
          ]).then(() => "opened", (error) => error.name));
        const outcomes = await Promise.all(opens);
        // Each names a port nothing listens on (the odd one that something does is fine).
        assert.ok(outcomes.filter((o) => o === "Unavailable").length > 500, String(outcomes));
        const stats = await session.request("server.stats", []) as Record<string, number>;
        assert.ok(stats.peerLinks <= 512, `${stats.peerLinks} links`);
      } finally {
        session.close();
        await session.closed;
      }
    },
  );

  await t.step("an unknown operation of 1 MiB is named in a few words", async () => {
    await using raw = await RawClient.connect(address);
    await raw.hello();
    await raw.send([Kind.Request, 1, "x".repeat(MiB), []]);
    const answer = await raw.read();
    assert.equal(answer?.[2], "UNKNOWN_OPERATION");
    assert.ok(String(answer?.[3]).length < 200);
  });

  await t.step("throughout: pings answered at once, memory small, nothing lost", async () => {
    const report = await probe.stop();
    assert.deepEqual(report.failures, []);
    assert.ok(report.slowestMs < STALL_MS, `a ping waited ${report.slowestMs.toFixed(0)} ms`);
    const { peakBytes } = await processMemory(pid);
    assert.ok(peakBytes < PEAK_BYTES, `the server reached ${peakBytes} bytes`);
    assert.deepEqual(await witness.toArray(), acknowledged);
  });
});

/**
 * A ping whose arguments are a 14 MiB bin and an array of 100,000 empty arrays: the bin's
 * size would leave room for them in the memory estimate, but not in the count of objects.
 */
function paddedEmptyArrays(): Uint8Array {
  const prefix = encodeMessageShared([Kind.Request, 1, "ping", [new Uint8Array(14 * MiB)]]);
  const arrays = wideArray(100_005, 0x90);
  const body = new Uint8Array(prefix.length + arrays.length);
  body.set(prefix);
  // The args array (after 94 02 01 a4 "ping") gets a second element: the empty arrays.
  body[8] = 0x92;
  body.set(arrays, prefix.length);
  return body;
}
