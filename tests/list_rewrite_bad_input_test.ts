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
      [ListOp.Stage, [name, 2, [[0, bytes, [1]]]], BadArgument, "not this server's to stage"],
      [ListOp.Stage, [name, 2, [[3, bytes, [2]]]], BadArgument, "lengths add up to 2"],
      [ListOp.Stage, [name, 2, [[3, bytes]]], BadArgument, "a run is"],
      [ListOp.Stage, [name, 2, [[3, bytes, [1], [1]]]], BadArgument, "8 bytes per value"],
      [ListOp.Stage, [name, 2, "runs"], BadArgument, "runs must be an array"],
      [ListOp.Commit, [name, 99, 0, 20], DataLost, "no rewrite 99 is staged"],
      [ListOp.SortProbe, [name, 5, [[0, 1, []]]], BadArgument, "no sort 5"],
      [ListOp.SortPrepare, [name, 6, 20, "up"], BadArgument, "descending must be a boolean"],
      [ListOp.SortProbe, [name, 6, [[0, 1, []]]], BadArgument, "no sort 6"],
      [ListOp.SortProbe, [name, 6, [[0, 1, null]]], BadArgument, "a probe query is"],
    ];
    for (const [op, args, ErrorClass, message] of cases) {
      const error = await peer.request(op, args).then(() => undefined, (e) => e);
      assert.ok(error instanceof ErrorClass, `${op} ${JSON.stringify(args)}: ${error}`);
      assert.match(error.message, new RegExp(message), op);
    }
    // A sort prepared on one server only, probed with nonsense, then dropped.
    assert.equal(await peer.request(ListOp.SortPrepare, [name, 7, 20, false]), 9);
    const pivots = [[bytes, 0], [bytes, 1], [bytes, 2]];
    for (
      const queries of [[[0, 99, []]], [[0, 3, [[bytes, "x"]]]], "q", [[5, 2, []]], [[
        0,
        3,
        pivots,
      ]]]
    ) {
      const error = await peer.request(ListOp.SortProbe, [name, 7, queries]).then(
        () => undefined,
        (e) => e,
      );
      assert.ok(error instanceof BadArgument, `probe ${JSON.stringify(queries)}: ${error}`);
    }
    const unorderable = await peer.request(ListOp.SortProbe, [name, 7, [[0, 9, [[
      new Uint8Array([0x90]),
      0,
    ]]]]]).then(() => undefined, (e) => e);
    assert.ok(unorderable instanceof BadArgument, String(unorderable));
    await peer.request(ListOp.Abort, [name, 7]);
    // A staged rewrite that is never committed holds reads on that server until it is
    // dropped; an abort releases them at once.
    await peer.request(ListOp.Stage, [name, 8, [[3, bytes, [1]]]]);
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
