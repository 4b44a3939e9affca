/**
 * A rewrite whose commit is lost on one server, which no real network does on cue: two list
 * shards in this process, each with its real rewrite state, driven by the real home editor and
 * sequencer over a call function that loses the answers we tell it to. The list must end up
 * exactly as if nothing had been lost — the commit finished before the next operation — and a
 * failed move must leave it unchanged. With a journal (what a server with `--data` writes), a
 * server "restarted" from its records between the move and the commit — the home, or another —
 * still finishes the rewrite.
 */
import assert from "node:assert/strict";
import { ListShard } from "../lib/store/list_shard.ts";
import { ListService } from "../lib/store/list_service.ts";
import { ShardRewrite } from "../lib/store/list_rewrite.ts";
import { ListEditor, type NodeCall } from "../lib/store/list_edit.ts";
import { decodeProbe, encodeProbeAnswer } from "../lib/store/probe_wire.ts";
import { type Placement, Sequencer } from "../lib/store/sequencer.ts";
import { moveSpecFrom, runsFrom, runsToWire } from "../lib/store/rewrite_args.ts";
import { ListOp, ownerOf } from "../lib/wire/list_protocol.ts";
import { DataLost, Unavailable } from "../lib/wire/errors.ts";
import { decodeValue, encodeValue } from "../lib/wire/codec.ts";
import { ValueBatchWriter } from "../lib/wire/value_batch.ts";
import { waitFor } from "./support/wait.ts";

const layout = { nodes: ["127.0.0.1:1", "127.0.0.1:2"], partitionSize: 2 };

/**
 * Two shards holding `values` (0…length-1 by default), a home editor over them, and a switch
 * to lose answers. Each node's changes are written to its journal (`logs[k]`), and
 * `restart(k)` rebuilds node k from it alone, as a server with `--data` does at start.
 */
function twoShards(length: number, values = Array.from({ length }, (_, i) => i as unknown)) {
  const logs: unknown[][][] = [[], [], []];
  const shards = [0, 1].map((k) => new ListShard("l", layout, k));
  const rewrites = shards.map((shard) => new ShardRewrite(shard));
  const journalTo = (k: number) => {
    shards[k].journal = (record) => logs[k].push(structuredClone(record));
    rewrites[k].journal = (record) => logs[k].push(structuredClone(record));
  };
  journalTo(0);
  journalTo(1);
  for (let i = 0; i < length; i++) {
    const writer = new ValueBatchWriter();
    writer.add(values[i]);
    shards[ownerOf(layout, i)].store(i, writer.take());
  }
  /** Answers to lose (`op@node`): the step runs, then its answer is lost. */
  const lose: string[] = [];
  /** Requests to lose (`op@node`): the step never runs. */
  const drop: string[] = [];
  /** Steps held until their promise resolves (`op@node`). */
  const held = new Map<string, Promise<void>>();
  const call: NodeCall = async (node, op, args) => {
    const gate = held.get(`${op}@${node}`);
    if (gate) await gate;
    const d = drop.indexOf(`${op}@${node}`);
    if (d >= 0) {
      drop.splice(d, 1);
      throw new Unavailable(`connection to ${layout.nodes[node]} was lost`);
    }
    const result = await step(node, op, args);
    const k = lose.indexOf(`${op}@${node}`);
    if (k >= 0) {
      lose.splice(k, 1);
      throw new Unavailable(`connection to ${layout.nodes[node]} was lost`);
    }
    return result;
  };
  const step = (node: number, op: string, args: unknown[]): unknown => {
    const [, id] = args as [string, number];
    const rewrite = rewrites[node];
    if (op === ListOp.Move) {
      const { outgoing, removed, later } = rewrite.move(id, moveSpecFrom(args[2]));
      for (const [to, runs] of outgoing) {
        // Through the wire form, as a real list.stage would be.
        rewrites[to].stage(id, runsFrom(runsToWire(runs)));
      }
      later?.();
      return removed ?? null;
    }
    if (op === ListOp.Commit) return rewrite.commit(id, args[2] as number, args[3] as number);
    if (op === ListOp.Abort) return rewrite.abort(id);
    if (op === ListOp.Truncate) return shards[node].truncate(args[1] as number);
    if (op === ListOp.SortPrepare) {
      return rewrite.sortPrepare(id, args[2] as number, args[3] as boolean);
    }
    if (op === ListOp.SortProbe) return encodeProbeAnswer(rewrite.probe(id, decodeProbe(args[2])));
    throw new Error(`unexpected ${op}`);
  };
  const placement: Placement = {
    place: () => {
      throw new Error("no appends here");
    },
    take: () => {
      throw new Error("no pops here");
    },
  };
  // The home's own records: its length and the steps it writes down before taking them.
  const log = { record: (record: unknown[]) => logs[0].push(record), durable: async () => {} };
  const home = () => {
    const sequencer = new Sequencer(placement, "l", (n) => log.record(["l.len", "l", n]));
    const editor = new ListEditor(shards[0], sequencer, placement, call, log);
    placement.repair = (l) => editor.finishPending() ?? Promise.resolve(l);
    return { sequencer, editor };
  };
  const list = home();
  list.sequencer.length = length;
  /** Node `k` killed and started again from its journal (the home: its length and steps too). */
  const restart = (k: number) => {
    const records = logs[k];
    logs[k] = [];
    shards[k] = new ListShard("l", layout, k);
    rewrites[k] = new ShardRewrite(shards[k]);
    if (k === 0) list.editor.close();
    const again = k === 0 ? home() : undefined;
    for (const record of records) {
      const kind = record[0] as string;
      if (kind === "l.stage" || kind === "l.unstage") rewrites[k].replay(record);
      else if (kind === "l.len") again!.sequencer.length = record[2] as number;
      else if (kind === "l.pending") again!.editor.replay(record);
      else assert.ok(shards[k].replay(record), `unknown record ${kind}`);
    }
    logs[k] = records;
    journalTo(k);
    if (again) Object.assign(list, again);
  };
  const items = () => {
    const out: unknown[] = [];
    for (let i = 0; i < list.sequencer.length; i++) {
      out.push(decodeValue(shards[ownerOf(layout, i)].get(i)!));
    }
    return out;
  };
  /** Wait until every loss asked for has happened (the home's own retry takes the last). */
  const lost = () =>
    waitFor(() => lose.length === 0 && drop.length === 0 && list.editor.retrying, {
      what: "the losses, the home's own retry included",
    });
  return { shards, rewrites, list, lose, drop, held, items, restart, lost, logs };
}

Deno.test("a commit whose answers are lost is finished before the next operation", async () => {
  const { list: { editor, sequencer }, lose, items, lost } = twoShards(9);
  const model: unknown[] = Array.from({ length: 9 }, (_, i) => i);
  // Node 1 commits, but both answers are lost: the reverse fails, in doubt.
  lose.push(...Array(3).fill(`${ListOp.Commit}@1`)); // two tries, and the home's own retry
  const error = await editor.reverse().then(() => undefined, (e) => e);
  await lost();
  assert.ok(error instanceof Unavailable, String(error));
  assert.match(error.message, /not yet all/);
  model.reverse();
  // The next operation first sends the commit again (node 1 answers it a second time), then
  // runs: the insert lands in the reversed list.
  await editor.insert(3, encodeValue("x"));
  model.splice(3, 0, "x");
  assert.equal(sequencer.length, model.length);
  assert.deepEqual(items(), model);
});

Deno.test("a commit that never reached one server is sent again", async () => {
  const { list: { editor }, drop, items, lost } = twoShards(7);
  const model: unknown[] = Array.from({ length: 7 }, (_, i) => i);
  // Both attempts to commit on node 1 are lost on the way: node 0 has committed, node 1 not.
  drop.push(...Array(3).fill(`${ListOp.Commit}@1`));
  const error = await editor.deleteAt(2).then(() => undefined, (e) => e);
  await lost();
  assert.ok(error instanceof Unavailable, String(error));
  model.splice(2, 1);
  await editor.insert(0, encodeValue("first"));
  model.unshift("first");
  assert.deepEqual(items(), model);
});

Deno.test("a move that fails leaves the list unchanged and nothing staged", async () => {
  const { list: { editor }, lose, items } = twoShards(8);
  lose.push(`${ListOp.Move}@1`);
  const error = await editor.insert(1, encodeValue("x")).then(() => undefined, (e) => e);
  assert.ok(error instanceof Unavailable, String(error));
  assert.match(error.message, /unchanged/);
  assert.deepEqual(items(), [0, 1, 2, 3, 4, 5, 6, 7]);
  await editor.insert(1, encodeValue("y"));
  assert.deepEqual(items(), [0, "y", 1, 2, 3, 4, 5, 6, 7]);
});

Deno.test("a server restarted between its move and the commit still commits (journal)", async () => {
  for (const descending of [false, true]) {
    const values = [5, 3, 9, 1, 7, 3, 8, 0, 2];
    const { list, drop, items, restart, lost } = twoShards(values.length, values);
    // Node 1 has staged its share of the sort, but never gets the commit; then it is killed.
    drop.push(...Array(3).fill(`${ListOp.Commit}@1`));
    const error = await list.editor.sort(descending).then(() => undefined, (e) => e);
    await lost();
    assert.ok(error instanceof Unavailable, String(error));
    restart(1);
    // The next operation sends the commit again; node 1 has what it staged back from its log.
    await list.editor.insert(0, encodeValue("first"));
    const sorted = values.toSorted((a, b) => descending ? b - a : a - b);
    assert.deepEqual(items(), ["first", ...sorted]);
    // And once more from the log, after the commit: nothing is staged, the items are there.
    restart(1);
    assert.deepEqual(items(), ["first", ...sorted]);
  }
});

Deno.test("a home restarted with a commit in doubt finishes it first (journal)", async () => {
  const { list, drop, items, restart, lost } = twoShards(9);
  const model: unknown[] = Array.from({ length: 9 }, (_, i) => i);
  drop.push(...Array(3).fill(`${ListOp.Commit}@1`));
  const error = await list.editor.deleteAt(1).then(() => undefined, (e) => e);
  await lost();
  assert.ok(error instanceof Unavailable, String(error));
  model.splice(1, 1);
  // The home is killed: it comes back knowing only what its log says, the step included.
  restart(0);
  assert.equal(list.sequencer.inDoubt, true);
  await list.editor.insert(2, encodeValue("x"));
  model.splice(2, 0, "x");
  assert.deepEqual(items(), model);
  // Restarted again: the step is done, the length is the new one.
  restart(0);
  assert.equal(list.sequencer.inDoubt, false);
  assert.deepEqual(items(), model);
});

Deno.test("a home restarted with a step in doubt finishes it without waiting for an operation", async () => {
  const { list, drop, items, restart, lost } = twoShards(6);
  drop.push(...Array(3).fill(`${ListOp.Commit}@1`));
  const error = await list.editor.reverse().then(() => undefined, (e) => e);
  await lost();
  assert.ok(error instanceof Unavailable, String(error));
  restart(0);
  // As a server does once its log is replayed: no client operation needed.
  list.editor.resume();
  await waitFor(() => !list.sequencer.inDoubt, { what: "the step to be finished" });
  assert.deepEqual(items(), [5, 4, 3, 2, 1, 0]);
  list.editor.close();
});

Deno.test("a compaction while a commit is under way keeps the step (journal)", async () => {
  const { list, held, items, restart, logs } = twoShards(8);
  let release = () => {};
  held.set(`${ListOp.Commit}@1`, new Promise<void>((resolve) => release = resolve));
  const inserting = list.editor.insert(2, encodeValue("x"));
  await waitFor(() => logs[0].some((record) => record[0] === "l.pending"), {
    what: "the home to write the commit down",
  });
  // The home's log compacted now: its snapshot replaces everything written before.
  const snapshot = list.editor.snapshot();
  assert.deepEqual(snapshot.map((record) => record[0]), ["l.pending"]);
  logs[0] = [...logs[0].filter((record) => record[0] !== "l.pending"), ...snapshot];
  // The home is killed before the commit is answered; node 1 never got it.
  held.set(`${ListOp.Commit}@1`, new Promise(() => {}));
  restart(0);
  held.delete(`${ListOp.Commit}@1`);
  release();
  await inserting.catch(() => {});
  list.editor.resume();
  await waitFor(() => !list.sequencer.inDoubt, { what: "the step to be finished" });
  assert.deepEqual(items(), [0, 1, "x", 2, 3, 4, 5, 6, 7]);
  list.editor.close();
});

Deno.test("a home killed during the moves aborts them when it is back (journal)", async () => {
  const { list, held, items, restart, rewrites } = twoShards(7);
  // Node 1 never answers its move; node 0 (the home) stages its part and writes it down.
  held.set(`${ListOp.Move}@1`, new Promise(() => {}));
  list.editor.reverse().catch(() => {});
  await waitFor(() => rewrites[0].settled() !== undefined, { what: "the home to stage" });
  restart(0);
  assert.ok(rewrites[0].settled(), "the home's staged part is back from its log");
  held.delete(`${ListOp.Move}@1`);
  list.editor.resume();
  await waitFor(() => !list.editor.aborting && rewrites[0].settled() === undefined, {
    what: "the rewrite to be aborted",
  });
  assert.equal(list.sequencer.inDoubt, false);
  assert.deepEqual(items(), [0, 1, 2, 3, 4, 5, 6]);
  await list.editor.reverse();
  assert.deepEqual(items(), [6, 5, 4, 3, 2, 1, 0]);
  list.editor.close();
});

Deno.test("an abort that does not reach a server is sent again until it does", async () => {
  const { list, lose, drop, items, rewrites } = twoShards(6);
  // Node 1 stages its part but the answer is lost; then the abort to it is lost too.
  lose.push(`${ListOp.Move}@1`);
  drop.push(`${ListOp.Abort}@1`);
  const error = await list.editor.reverse().then(() => undefined, (e) => e);
  assert.ok(error instanceof Unavailable && /unchanged/.test(error.message), String(error));
  assert.ok(list.editor.aborting);
  await waitFor(() => !list.editor.aborting, { what: "the abort to be sent again" });
  assert.equal(rewrites[1].settled(), undefined, "node 1 still holds the rewrite");
  assert.deepEqual(items(), [0, 1, 2, 3, 4, 5]);
});

Deno.test("a staged rewrite holds reads and writes for a while, then reads go on", async () => {
  const single = { nodes: ["127.0.0.1:1"], partitionSize: 4 };
  for (const journaled of [true, false]) {
    const shard = new ListShard("l", single, 0);
    const writer = new ValueBatchWriter();
    for (const value of [1, 2, 3]) writer.add(value);
    shard.store(0, writer.take());
    const rewrite = new ShardRewrite(shard, { staleMs: 20, durableMs: 60_000 });
    if (journaled) rewrite.journal = () => {};
    rewrite.move(7, { kind: "reverse", length: 3 });
    assert.ok(rewrite.settled() instanceof Promise, "a read waits at first");
    assert.ok(rewrite.writable() instanceof Promise, "so does a write");
    await waitFor(() => rewrite.settled() === undefined, { what: "reads to go on" });
    if (journaled) {
      // Kept for its home: writes are refused (they could be lost at the commit), the commit
      // still goes through.
      assert.throws(() => rewrite.writable(), (e) => e instanceof Unavailable);
      rewrite.commit(7, 0, 3);
      assert.deepEqual([0, 1, 2].map((i) => decodeValue(shard.get(i)!)), [3, 2, 1]);
    } else {
      // Without a data directory the rewrite is dropped: its home is gone with the list.
      assert.equal(rewrite.writable(), undefined);
      assert.throws(() => rewrite.commit(7, 0, 3), (e) => e instanceof DataLost);
    }
  }
});

Deno.test("a move that fails fast is aborted only once the other moves have landed", async () => {
  const { list, held, drop, items, rewrites } = twoShards(6);
  let release = () => {};
  held.set(`${ListOp.Move}@0`, new Promise<void>((resolve) => release = resolve));
  drop.push(`${ListOp.Move}@1`);
  const reversing = list.editor.reverse().then(() => undefined, (e) => e);
  // Node 1's move failed at once; node 0's is still on its way when it is let go.
  await waitFor(() => drop.length === 0, { what: "node 1's move to fail" });
  release();
  const error = await reversing;
  assert.ok(error instanceof Unavailable && /unchanged/.test(error.message), String(error));
  assert.equal(rewrites[0].settled(), undefined, "node 0 kept a rewrite staged after its abort");
  assert.deepEqual(items(), [0, 1, 2, 3, 4, 5]);
});

Deno.test("rewrite numbers go on upwards after a restart, whatever the clock says", async () => {
  const { list, logs, restart } = twoShards(4);
  // As if the last rewrite was numbered by a clock far ahead of this one.
  const ahead = (Date.now() + 86_400_000) * 1024;
  logs[0].push(["l.pending", "l", null, null, null, ahead]);
  restart(0);
  await list.editor.reverse();
  const staged = logs[1].find((record) => record[0] === "l.stage")!;
  assert.ok((staged[2] as number) >= ahead, `rewrite ${staged[2]} is numbered below ${ahead}`);
  list.editor.close();
});

Deno.test("a step a dropped list wrote after its drop does not stop a replay", () => {
  const service = new ListService();
  const layout = { nodes: ["127.0.0.1:1"], partitionSize: 4 };
  service.replay(["l.open", "gone", layout, 0]);
  service.replay(["l.drop", "gone"]);
  service.replay(["l.pending", "gone", null, 0, null, 1]);
  service.replay(["l.unstage", "gone", 5, false]);
  assert.throws(() => service.replay(["l.len", "never", 3]), /never opened/);
});
