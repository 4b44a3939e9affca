/**
 * Many members of one cluster in one process, over a {@link SimNetwork} on a
 * {@link VirtualClock}: what the membership tests and the 1,000-member benchmark run.
 *
 * @example
 * ```ts
 * import { SimCluster } from "./sim_cluster.ts";
 * const cluster = new SimCluster(20, { seed: 1 });
 * cluster.joinAll();
 * cluster.clock.runFor(10_000);
 * cluster.network.kill(cluster.addresses[3]);
 * ```
 * @module
 */
import { Membership } from "../../lib/cluster/membership.ts";
import type { Timings } from "../../lib/cluster/timings.ts";
import type { MemberRecord } from "../../lib/wire/cluster_protocol.ts";
import { seededRandom } from "./random.ts";
import { type SimConditions, SimNetwork } from "./sim_network.ts";
import { PausableClock, VirtualClock } from "./virtual_clock.ts";

/** How to build the cluster. */
export interface SimClusterOptions {
  seed?: number;
  conditions?: SimConditions;
  timings?: Partial<Timings>;
}

/** What one member saw happen to others. */
export interface Seen {
  failed: MemberRecord[];
  left: MemberRecord[];
  joined: MemberRecord[];
}

/** See the module docs. */
export class SimCluster {
  readonly clock = new VirtualClock();
  readonly network: SimNetwork;
  readonly addresses: string[];
  readonly members: Membership[];
  /** By address: the events its member saw. */
  readonly seen = new Map<string, Seen>();

  /** `size` members, not yet joined to each other. */
  constructor(size: number, options: SimClusterOptions = {}) {
    const random = seededRandom(options.seed ?? 1);
    this.network = new SimNetwork(
      this.clock,
      random,
      options.conditions ?? { minDelayMs: 0.1, maxDelayMs: 1, loss: 0 },
    );
    this.addresses = Array.from(
      { length: size },
      (_, k) => `10.${(k >> 8) & 255}.${k & 255}.1:7946`,
    );
    this.members = this.addresses.map((address, k) => {
      const seen: Seen = { failed: [], left: [], joined: [] };
      this.seen.set(address, seen);
      const clock = new PausableClock(this.clock);
      const membership = new Membership({
        self: { id: `m${k}`, name: `m${k}`, address, type: "Node" },
        net: this.network.netFor(address),
        clock,
        timings: options.timings,
        random,
        listener: {
          failed: (m) => seen.failed.push(m),
          leave: (m) => seen.left.push(m),
          join: (m) => seen.joined.push(m),
        },
      });
      this.network.attach(address, membership, clock);
      return membership;
    });
  }

  /** Start every member; each joins through one that started before it. */
  joinAll(): void {
    this.members.forEach((member, k) => {
      member.start();
      if (k > 0) member.join(this.addresses[Math.floor(k / 2)]);
    });
  }

  /** Whether every running member (but `except`) sees member `id` in `state`. */
  allSee(id: string, state: MemberRecord["state"], except: string[] = []): boolean {
    return this.members.every((member, k) =>
      except.includes(this.addresses[k]) || member.member(id)?.state === state
    );
  }

  /** Whether every member (but `except`) knows every other (but `except`) as alive. */
  converged(except: string[] = []): boolean {
    const expected = this.members.length - except.length;
    return this.members.every((member, k) =>
      except.includes(this.addresses[k]) ||
      member.members().filter((m) => m.state === "alive" && !except.includes(m.address))
          .length === expected
    );
  }

  /** Failed events seen, in all, about `id` (false ones, if it is alive). */
  failuresOf(id: string): number {
    let count = 0;
    for (const seen of this.seen.values()) count += seen.failed.filter((m) => m.id === id).length;
    return count;
  }

  /** Stop every member. */
  stop(): void {
    for (const member of this.members) member.stop();
  }
}
