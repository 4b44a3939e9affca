/**
 * The membership protocol with hundreds to a thousand members in one process, on the simulated
 * network and virtual clock the tests use: packets per member per second in a steady cluster
 * (SWIM keeps it flat in N), and how long until every member knows a member is dead — one
 * whose port refuses (killed: its connections break, and probes of it are refused) and one
 * that goes silent (its host gone: it must be suspected and time out).
 *
 * @example
 * ```ts
 * import { simulateMembership } from "./membership_sim.ts";
 * console.log(await simulateMembership([100, 1000]));
 * ```
 * @module
 */
import { SimCluster } from "../tests/support/sim_cluster.ts";

/** One cluster size's figures (virtual time). */
export interface SimulatedRow {
  members: number;
  packetsPerMemberPerSecond: number;
  /** From the kill until every member holds it dead. */
  refusedMs: number;
  /** From the silence until every member holds it dead. */
  silentMs: number;
}

const STEP_MS = 100;

/** Run `condition` checks every 100 virtual ms until it holds; the virtual time it took. */
function timeUntil(cluster: SimCluster, condition: () => boolean, limitMs: number): number {
  const start = cluster.clock.now();
  while (!condition()) {
    if (cluster.clock.now() - start > limitMs) throw new Error("the simulation did not settle");
    cluster.clock.runFor(STEP_MS);
  }
  return cluster.clock.now() - start;
}

/** Simulate clusters of each size in `sizes`. */
export async function simulateMembership(sizes: number[]): Promise<SimulatedRow[]> {
  const rows: SimulatedRow[] = [];
  for (const members of sizes) {
    const cluster = new SimCluster(members, {
      seed: members,
      conditions: { minDelayMs: 0.2, maxDelayMs: 2, loss: 0 },
    });
    cluster.joinAll();
    timeUntil(cluster, () => cluster.members.every((m) => m.liveCount === members), 300_000);
    // Let the news of all those joins die down: the steady state is what is measured.
    cluster.clock.runFor(60_000);
    const total = () => [...cluster.network.sent.values()].reduce((a, b) => a + b, 0);
    const before = total();
    cluster.clock.runFor(30_000);
    const packetsPerMemberPerSecond = (total() - before) / members / 30;

    const killed = cluster.addresses[members - 1];
    cluster.network.kill(killed);
    const refusedMs = timeUntil(
      cluster,
      () => cluster.allSee(`m${members - 1}`, "dead", [killed]),
      120_000,
    );

    const silent = cluster.addresses[members - 2];
    cluster.network.partition([silent]);
    const silentMs = timeUntil(
      cluster,
      () => cluster.allSee(`m${members - 2}`, "dead", [killed, silent]),
      300_000,
    );
    cluster.stop();
    rows.push({ members, packetsPerMemberPerSecond, refusedMs, silentMs });
    // Let the event loop breathe between sizes (progress output, timers).
    await new Promise((resume) => setTimeout(resume, 0));
  }
  return rows;
}
