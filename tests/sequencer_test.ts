/**
 * The sequencer alone, with placements that finish now, later, or fail: indexes are handed out
 * once and in order, queued appends go out together, and a failed batch leaves no trace.
 */
import assert from "node:assert/strict";
import { IndexError, Unavailable } from "../lib/wire/errors.ts";
import { type Placement, Sequencer } from "../lib/store/sequencer.ts";
import { batchOf, batchViews } from "./support/batches.ts";
import { rejectsWith } from "./support/assert.ts";
import { waitFor } from "./support/wait.ts";

const bytes = (...values: number[]) => batchOf(values.map((v) => new Uint8Array([v])));

/** A placement whose stores wait until released, recording each batch. */
function slowPlacement() {
  const stored: number[] = [];
  const batches: number[][] = [];
  const waiting: { release(): void; fail(e: Error): void }[] = [];
  const placement: Placement = {
    place: (start, values) =>
      new Promise<void>((resolve, reject) => {
        batches.push(batchViews(values).map((v) => v[0]));
        waiting.push({
          release: () => {
            batchViews(values).forEach((v, k) => stored[start + k] = v[0]);
            resolve();
          },
          fail: reject,
        });
      }),
    take: (index) => {
      const value = stored[index];
      stored.length = index;
      return new Uint8Array([value]);
    },
  };
  return { placement, stored, batches, waiting };
}

Deno.test("with nothing in flight, local appends and pops finish at once", () => {
  const items: Uint8Array[] = [];
  const seq = new Sequencer({
    place: (start, values) =>
      void items.splice(start, values.lengths.length, ...batchViews(values)),
    take: (index) => items.splice(index, 1)[0],
  });
  assert.equal(seq.append(bytes(1, 2)), 0);
  assert.equal(seq.append(bytes(3)), 2);
  assert.equal(seq.length, 3);
  assert.deepEqual(seq.pop(), new Uint8Array([3]));
  assert.equal(seq.length, 2);
});

Deno.test("appends queued behind a slow batch go out as one group, in order", async () => {
  const { placement, batches, waiting, stored } = slowPlacement();
  const seq = new Sequencer(placement);
  const first = seq.append(bytes(1));
  const queued = [seq.append(bytes(2, 3)), seq.append(bytes(4)), seq.append(bytes(5))];
  assert.equal(seq.length, 0, "nothing counts until it is stored");
  waiting.shift()!.release();
  assert.equal(await first, 0);
  await Promise.resolve();
  assert.deepEqual(batches, [[1], [2, 3, 4, 5]]);
  waiting.shift()!.release();
  assert.deepEqual(await Promise.all(queued), [1, 3, 4]);
  assert.equal(seq.length, 5);
  assert.deepEqual(stored, [1, 2, 3, 4, 5]);
});

Deno.test("a failed batch fails its writers, hands its indexes out again, keeps the rest", async () => {
  const { placement, waiting, stored } = slowPlacement();
  const seq = new Sequencer(placement);
  const ok = seq.append(bytes(1));
  waiting.shift()!.release();
  assert.equal(await ok, 0);
  const doomed = seq.append(bytes(2, 3));
  const after = seq.append(bytes(4));
  waiting.shift()!.fail(new Unavailable("b:2 is unavailable"));
  await rejectsWith(() => doomed, Unavailable, "b:2");
  assert.equal(seq.length, 1);
  await Promise.resolve();
  waiting.shift()!.release();
  assert.equal(await after, 1);
  assert.deepEqual(stored, [1, 4]);
});

Deno.test("pops wait for earlier appends", async () => {
  const { placement, waiting } = slowPlacement();
  const seq = new Sequencer(placement);
  const results = Promise.allSettled([seq.append(bytes(7, 8, 9)), seq.pop(), seq.pop()]);
  waiting.shift()!.release();
  const [appended, popped, again] = await results;
  assert.deepEqual(appended, { status: "fulfilled", value: 0 });
  assert.deepEqual(popped, { status: "fulfilled", value: new Uint8Array([9]) });
  assert.deepEqual(again, { status: "fulfilled", value: new Uint8Array([8]) });
  assert.equal(seq.length, 1);
  assert.deepEqual(await seq.pop(), new Uint8Array([7]));
  await rejectsWith(() => seq.pop(), IndexError, "empty");
});

Deno.test("a take of unknown outcome is repaired before any other change", async () => {
  let stored = 0;
  let settledFrom = -1;
  let failNext = true;
  const seq = new Sequencer({
    place: (_start, values) => void (stored += values.lengths.length),
    take: () => {
      if (failNext) {
        failNext = false;
        stored--; // it happened, but the answer was lost
        return Promise.reject(new Unavailable("b:2 did not answer"));
      }
      stored--;
      return Promise.resolve(new Uint8Array([1]));
    },
    repair: (length) => {
      settledFrom = length;
      return Promise.resolve(stored);
    },
  });
  seq.append(bytes(1, 2, 3));
  await rejectsWith(() => seq.pop(), Unavailable);
  assert.equal(seq.length, 3, "unknown: not counted yet");
  assert.equal(await seq.append(bytes(4)), 2, "index 2 is handed out again: the take happened");
  assert.equal(settledFrom, 3);
  assert.equal(seq.length, 3);
});

Deno.test("a batch of unknown outcome is repaired before the next index is handed out", async () => {
  const { placement, waiting } = slowPlacement();
  const repairs: number[] = [];
  const seq = new Sequencer({
    ...placement,
    repair: (length) => {
      repairs.push(length);
      return Promise.resolve(length);
    },
  });
  const doomed = seq.append(bytes(1, 2));
  waiting.shift()!.fail(new Unavailable("b:2 did not answer"));
  await rejectsWith(() => doomed, Unavailable);
  const next = seq.append(bytes(3));
  await waitFor(() => waiting.length > 0);
  assert.deepEqual(repairs, [0], "repaired first, from the length before the failed batch");
  waiting.shift()!.release();
  assert.equal(await next, 0);
});
