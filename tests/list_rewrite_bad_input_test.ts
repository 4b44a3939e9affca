/**
 * The server-to-server steps of a rewrite (`list.move`, `list.stage`, `list.commit`,
 * `list.abort`, `list.sortPrepare`, `list.sortProbe`) sent malformed by a connection that
 * says it is a peer: each is a clear error, and nothing acknowledged changes.
 */
import assert from "node:assert/strict";
import { List } from "../mod.ts";
import { connect } from "../lib/net/connect.ts";
import { ListOp } from "../lib/wire/list_protocol.ts";
import { BadArgument, DataLost, TypenetError } from "../lib/wire/errors.ts";
import { encodeProbe } from "../lib/store/probe_wire.ts";
import { startServers, uniqueName } from "./support/cluster.ts";

Deno.test("malformed rewrite steps from a peer are refused and change nothing", async () => {
  await using servers = await startServers(2);
  const nodes = servers.addresses;
  const name = uniqueName("rewrite-bad");
  await using li = await List.open(name, { nodes, partitionSize: 3 });
  const items = Array.from({ length: 20 }, (_, i) => i);
  await li.extend(items);
  // The second server holds blocks 1, 3, 5: speak to it as its home would.
  const peer = await connect(nodes[1], { role: "peer" });
  try {
    const bytes = new Uint8Array([1]);
    const cases: [string, unknown[], new (...args: never[]) => TypenetError, string][] = [
      [ListOp.Move, [name, 1, "reverse"], BadArgument, "a move must be an array"],
      [ListOp.Move, [name, 1, ["spin", 3]], BadArgument, "a move is"],
      [ListOp.Move, [name, 1, ["shift", 2, 2, 20, null]], BadArgument, "a shift is"],
      [ListOp.Move, [name, 1, ["shift", -1, 1, 20, null]], BadArgument, "a shift is"],
      [ListOp.Move, [name, 1, ["reverse", 2 ** 40]], DataLost, "items where"],
      [ListOp.Move, [name, 1, ["sort", [0, 5]]], BadArgument, "no sort"],
      [ListOp.Move, [name, -1, ["reverse", 20]], BadArgument, "op must be at least 0"],
      [ListOp.Stage, [name, 2, [[0], [1], bytes, [1], null]], BadArgument, "not this server's"],
      [ListOp.Stage, [name, 2, [[3], [1], bytes, [2], null]], BadArgument, "lengths add up to 2"],
      [ListOp.Stage, [name, 2, [[3], [2], bytes, [1], null]], BadArgument, "name 2 values"],
      [ListOp.Stage, [name, 2, [[3], [0], bytes, [1], null]], BadArgument, "runs are"],
      [ListOp.Stage, [name, 2, [[3], [1], bytes]], BadArgument, "runs are"],
      [ListOp.Stage, [name, 2, [[3], [1], bytes, [1], bytes]], BadArgument, "8 bytes per value"],
      [ListOp.Stage, [name, 2, "runs"], BadArgument, "runs are"],
      [ListOp.Commit, [name, 99, 0, 20], DataLost, "no rewrite 99 is staged"],
      [
        ListOp.SortProbe,
        [name, 5, encodeProbe([{ lo: 0, hi: 1, pivots: [] }])],
        BadArgument,
        "no sort 5",
      ],
      [ListOp.SortPrepare, [name, 6, 20, "up"], BadArgument, "descending must be a boolean"],
      [
        ListOp.SortProbe,
        [name, 6, encodeProbe([{ lo: 0, hi: 1, pivots: [] }])],
        BadArgument,
        "no sort 6",
      ],
      [ListOp.SortProbe, [name, 6, [[0, 1, null]]], BadArgument, "a probe is"],
    ];
    for (const [op, args, ErrorClass, message] of cases) {
      const error = await peer.request(op, args).then(() => undefined, (e) => e);
      assert.ok(error instanceof ErrorClass, `${op} ${JSON.stringify(args)}: ${error}`);
      assert.match(error.message, new RegExp(message), op);
    }
    // A sort prepared on one server only, probed with nonsense, then dropped.
    assert.equal(await peer.request(ListOp.SortPrepare, [name, 7, 20, false]), 9);
    const pivot = (bytes: Uint8Array, index: number): [Uint8Array, number] => [bytes, index];
    const f64 = (n: number) => new Uint8Array(new Float64Array([n]).buffer);
    const probes: unknown[] = [
      encodeProbe([{ lo: 0, hi: 99, pivots: [] }]), // beyond the 9 items held
      encodeProbe([{ lo: 5, hi: 2, pivots: [] }]),
      encodeProbe([{ lo: 0, hi: 3, pivots: [pivot(bytes, 0), pivot(bytes, 1), pivot(bytes, 2)] }]),
      encodeProbe([{ lo: 0, hi: 9, pivots: [pivot(new Uint8Array([0x90]), 0)] }]), // no sort key
      [[0, 3], [1], new Uint8Array([1, 2]), f64(0)], // two pivots carried, one named
      [[0, 3], [1], new Uint8Array([1]), new Uint8Array([1, 2, 3])], // indexes not 8 bytes each
      [[0, 3], [1], new Uint8Array([1]), f64(-1)],
      [[0, 3, 4], [0], new Uint8Array(0), new Uint8Array(0)],
      [[0, 3], [0]],
      "q",
      encodeProbe(Array.from({ length: 513 }, () => ({ lo: 0, hi: 1, pivots: [] }))),
    ];
    for (const probe of probes) {
      const error = await peer.request(ListOp.SortProbe, [name, 7, probe]).then(
        () => undefined,
        (e) => e,
      );
      assert.ok(error instanceof BadArgument, `probe ${Deno.inspect(probe)}: ${error}`);
    }
    // A good probe is answered: one count per pivot, and samples of each part.
    const answer = await peer.request(ListOp.SortProbe, [
      name,
      7,
      encodeProbe([{
        lo: 0,
        hi: 9,
        pivots: [pivot(new Uint8Array([5]), 0)],
      }]),
    ]) as [number[], Uint8Array, Uint8Array];
    assert.equal(answer[0].length, 1);
    await peer.request(ListOp.Abort, [name, 7]);
    // A staged rewrite that is never committed holds reads on that server until it is
    // dropped; an abort releases them at once.
    await peer.request(ListOp.Stage, [name, 8, [[3], [1], bytes, [1], null]]);
    const read = li.at(3);
    await peer.request(ListOp.Abort, [name, 8]);
    assert.equal(await read, 3);
  } finally {
    peer.close();
    await peer.closed;
  }
  assert.deepEqual(await li.toArray(), items);
  // The list still takes every edit.
  await li.insert(4, "x");
  await li.sort({ reverse: true }).catch((e) => assert.ok(e instanceof BadArgument));
  await li.remove("x");
  await li.sort({ reverse: true });
  assert.deepEqual(await li.toArray(), [...items].reverse());
});
