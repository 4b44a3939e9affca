/** mergeByIdent: order kept across streams, one item held per stream, streams closed on exit. */
import assert from "node:assert/strict";
import { mergeByIdent } from "../lib/gateway/ordered_merge.ts";
import { BadArgument } from "../lib/wire/errors.ts";

function shard(idents: number[], log: { pulled: number; closed: boolean }) {
  return (async function* () {
    try {
      for (const ident of idents) {
        log.pulled++;
        await Promise.resolve();
        yield [ident, `item ${ident}`] as const;
      }
    } finally {
      log.closed = true;
    }
  })();
}

Deno.test("streams of increasing idents come out as one, in order", async () => {
  const logs = [0, 1, 2].map(() => ({ pulled: 0, closed: false }));
  const merged = mergeByIdent([
    shard([0, 3, 6, 9], logs[0]),
    shard([1, 4, 7], logs[1]),
    shard([2, 5, 8, 10, 11], logs[2]),
  ]);
  const idents: number[] = [];
  for await (const [ident, text] of merged) {
    assert.equal(text, `item ${ident}`);
    idents.push(ident);
  }
  assert.deepEqual(idents, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
});

Deno.test("the merge reads each stream only as far as it must, and closes them all on break", async () => {
  const logs = [0, 1].map(() => ({ pulled: 0, closed: false }));
  const many = Array.from({ length: 1000 }, (_, k) => k * 2);
  const merged = mergeByIdent([shard(many, logs[0]), shard(many.map((k) => k + 1), logs[1])]);
  for await (const [ident] of merged) if (ident === 9) break;
  // 0..9 is five items from each; at most one more is held per stream.
  assert.ok(logs.every((log) => log.pulled <= 6), JSON.stringify(logs));
  assert.ok(logs.every((log) => log.closed));
});

Deno.test("a stream whose idents go back fails the merge", async () => {
  const log = { pulled: 0, closed: false };
  const merged = mergeByIdent([shard([0, 5, 2], log)]);
  await assert.rejects(async () => {
    for await (const _ of merged) { /* read all */ }
  }, (error) => error instanceof BadArgument && /went back from ident 5 to 2/.test(error.message));
  assert.ok(log.closed);
});
