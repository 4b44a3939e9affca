/** The hybrid logical clock: order, catching up with what it sees, and the skew bound. */
import assert from "node:assert/strict";
import { compareTimestamps, HybridClock } from "../lib/cluster/hlc.ts";
import { ClockSkew } from "../lib/wire/errors.ts";
import { rejectsWith } from "./support/assert.ts";

Deno.test("stamps never go back, and order after whatever the clock has seen", () => {
  let now = 1000;
  const a = new HybridClock("a", { now: () => now });
  const first = a.tick();
  const second = a.tick(); // same millisecond: the counter orders them
  assert.ok(compareTimestamps(second, first) > 0);
  now = 900; // the wall clock steps back
  assert.ok(compareTimestamps(a.tick(), second) > 0);
  const b = new HybridClock("b", { now: () => 500 }); // far behind, but within the skew
  b.observe({ wall: 1000, counter: 5, node: "a" });
  const afterSeeing = b.tick();
  assert.ok(compareTimestamps(afterSeeing, { wall: 1000, counter: 5, node: "a" }) > 0);
  // Equal wall and counter: the node id breaks the tie.
  assert.ok(
    compareTimestamps({ wall: 1, counter: 0, node: "a" }, { wall: 1, counter: 0, node: "b" }) < 0,
  );
});

Deno.test("a stamp too far ahead is refused and never taken into the clock", async () => {
  const clock = new HybridClock("me", { now: () => 1_000_000, maxSkewMs: 60_000 });
  await rejectsWith(
    () => clock.observe({ wall: 1_000_000 + 3_600_000, counter: 0, node: "future" }),
    ClockSkew,
    "3600000 ms ahead",
  );
  assert.equal(clock.tick().wall, 1_000_000);
  clock.observe({ wall: 1_000_000 + 59_000, counter: 0, node: "close" }); // within the bound
  assert.equal(clock.tick().wall, 1_059_000);
});

Deno.test("a clock that ran ahead and was set right stamps from the right time again", () => {
  let now = 1_000_000 + 3_600_000; // an hour ahead
  const clock = new HybridClock("me", { now: () => now, maxSkewMs: 60_000 });
  clock.tick();
  now = 1_000_000; // set right
  assert.equal(clock.tick().wall, 1_000_000);
  // Within the skew bound, stamps never go back (the usual rule).
  now = 1_000_000 + 30_000;
  clock.tick();
  now = 1_000_000;
  assert.equal(clock.tick().wall, 1_030_000);
});
