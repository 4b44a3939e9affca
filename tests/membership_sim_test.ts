/**
 * The membership logic over a simulated network on a virtual clock: joining, a killed member
 * (its port refuses), a hung one (nothing answers), a paused one that wakes up, loss and
 * delay, a partition that heals, a graceful leave.
 */
import assert from "node:assert/strict";
import { SimCluster } from "./support/sim_cluster.ts";
import { DEFAULT_TIMINGS, suspicionBounds } from "../lib/cluster/timings.ts";

Deno.test("members joining through different members all come to know each other", () => {
  const cluster = new SimCluster(12, { seed: 2 });
  cluster.joinAll();
  assert.ok(cluster.clock.runUntilTrue(() => cluster.converged(), 10_000), "converged in 10 s");
  assert.equal(cluster.members.every((m) => m.liveCount === 12), true);
  cluster.stop();
});

Deno.test("a killed member (its port refuses) is declared dead everywhere within ~1 s", () => {
  const cluster = new SimCluster(10, { seed: 3 });
  cluster.joinAll();
  cluster.clock.runUntilTrue(() => cluster.converged(), 10_000);
  const victim = cluster.addresses[4];
  const killedAt = cluster.clock.now();
  cluster.network.kill(victim);
  const everywhere = cluster.clock.runUntilTrue(
    () => cluster.allSee("m4", "dead", [victim]),
    10_000,
  );
  const took = cluster.clock.now() - killedAt;
  assert.ok(everywhere, "every member marks it dead");
  // Every member with a connection to it sees it break and probes it at once; the probe is
  // refused, others confirm the refusal, and the news is gossiped.
  assert.ok(took <= DEFAULT_TIMINGS.probeIntervalMs, `took ${took} ms`);
  for (const [address, seen] of cluster.seen) {
    if (address !== victim) assert.deepEqual(seen.failed.map((m) => m.id), ["m4"]);
  }
  cluster.stop();
});

Deno.test("a hung member (nothing answers) is suspected, then dead after the suspicion", () => {
  const cluster = new SimCluster(10, { seed: 4 });
  cluster.joinAll();
  cluster.clock.runUntilTrue(() => cluster.converged(), 10_000);
  const victim = cluster.addresses[6];
  cluster.network.partition([victim]); // packets to it vanish; nobody hears a refusal
  const cutAt = cluster.clock.now();
  assert.ok(cluster.clock.runUntilTrue(() => cluster.allSee("m6", "suspect", [victim]), 10_000));
  assert.ok(cluster.clock.runUntilTrue(() => cluster.allSee("m6", "dead", [victim]), 120_000));
  const took = cluster.clock.now() - cutAt;
  const { minMs, maxMs } = suspicionBounds(DEFAULT_TIMINGS, 10);
  assert.ok(took >= minMs && took <= maxMs + 3 * DEFAULT_TIMINGS.probeIntervalMs, `took ${took}`);
  cluster.stop();
});

Deno.test("a member paused for 2 s and resumed is never declared dead", () => {
  const cluster = new SimCluster(8, { seed: 5 });
  cluster.joinAll();
  cluster.clock.runUntilTrue(() => cluster.converged(), 10_000);
  for (const round of [0, 1, 2]) {
    const sleeper = cluster.addresses[2 + round];
    cluster.network.pause(sleeper);
    cluster.clock.runFor(2_000);
    cluster.network.resume(sleeper);
    cluster.clock.runFor(30_000);
  }
  assert.equal(cluster.failuresOf("m2") + cluster.failuresOf("m3") + cluster.failuresOf("m4"), 0);
  assert.ok(cluster.converged());
  cluster.stop();
});

Deno.test("with 10% loss and jittery delay, no false failures; a kill is still found", () => {
  const cluster = new SimCluster(20, {
    seed: 6,
    conditions: { minDelayMs: 1, maxDelayMs: 40, loss: 0.1 },
  });
  cluster.joinAll();
  // Joining all at once, some learn of others only at the next push-pull (30 s).
  assert.ok(
    cluster.clock.runUntilTrue(() => cluster.converged(), 2 * DEFAULT_TIMINGS.pushPullIntervalMs),
  );
  cluster.clock.runFor(120_000);
  for (let k = 0; k < 20; k++) assert.equal(cluster.failuresOf(`m${k}`), 0, `m${k}`);
  cluster.network.kill(cluster.addresses[7]);
  assert.ok(
    cluster.clock.runUntilTrue(() => cluster.allSee("m7", "dead", [cluster.addresses[7]]), 30_000),
  );
  cluster.stop();
});

Deno.test("a partition: each side declares the other dead; healed, everyone is back", () => {
  const cluster = new SimCluster(10, { seed: 7 });
  cluster.joinAll();
  cluster.clock.runUntilTrue(() => cluster.converged(), 10_000);
  const minority = cluster.addresses.slice(0, 3);
  cluster.network.partition(minority);
  assert.ok(cluster.clock.runUntilTrue(
    () =>
      cluster.allSee("m0", "dead", minority) &&
      cluster.allSee("m9", "dead", cluster.addresses.slice(3)),
    120_000,
  ));
  cluster.network.heal();
  // Each side still tries a dead member now and then (every push-pull interval): back within ~2.
  assert.ok(
    cluster.clock.runUntilTrue(() => cluster.converged(), 3 * DEFAULT_TIMINGS.pushPullIntervalMs),
  );
  cluster.stop();
});

Deno.test("a member that leaves is reported as left by all, never as failed", async () => {
  const cluster = new SimCluster(6, { seed: 8 });
  cluster.joinAll();
  cluster.clock.runUntilTrue(() => cluster.converged(), 10_000);
  const leaving = cluster.members[3].leave();
  cluster.clock.runFor(1_000);
  await leaving;
  cluster.network.kill(cluster.addresses[3]);
  cluster.clock.runFor(60_000);
  assert.ok(cluster.allSee("m3", "left", [cluster.addresses[3]]));
  assert.equal(cluster.failuresOf("m3"), 0);
  cluster.stop();
});
