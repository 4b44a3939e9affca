/** Duplicate suppression for events: once per message, answers not kept, bounded. */
import assert from "node:assert/strict";
import { PER_SENDER, RecentMessages, SENDERS } from "../lib/cluster/recent_messages.ts";
import { Unavailable } from "../lib/wire/errors.ts";
import { rejectsWith } from "./support/assert.ts";

Deno.test("a copy runs nothing again: same answer while pending, nil or UNAVAILABLE after", async () => {
  const recent = new RecentMessages();
  let runs = 0;
  const handle = () => new Promise<unknown>((resolve) => setTimeout(() => resolve(++runs), 5));
  const first = recent.once("a", 1, "request", handle);
  const copy = recent.once("a", 1, "request", handle);
  assert.equal(copy, first);
  assert.equal(await first, 1);
  await rejectsWith(() => recent.once("a", 1, "request", handle), Unavailable, "answered already");
  assert.equal(await recent.once("a", 2, "emit", handle), 2);
  assert.equal(await recent.once("a", 2, "emit", handle), null);
  assert.equal(runs, 2);
});

Deno.test("ids and senders are bounded: the oldest are forgotten", async () => {
  const recent = new RecentMessages();
  const answer = () => Promise.resolve("ran");
  for (let id = 0; id <= PER_SENDER; id++) await recent.once("a", id, "emit", answer);
  assert.equal(await recent.once("a", 0, "emit", answer), "ran", "id 0 was forgotten");
  assert.equal(await recent.once("a", PER_SENDER, "emit", answer), null, "the newest is kept");
  for (let k = 0; k < SENDERS; k++) await recent.once(`s${k}`, 1, "emit", answer);
  assert.equal(await recent.once("a", PER_SENDER, "emit", answer), "ran", "sender a was forgotten");
});
