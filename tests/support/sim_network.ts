/**
 * A network in one process for the membership logic: members are addresses, packets arrive
 * after a random delay or are lost, and a member can be killed (its "port" refuses: senders
 * hear so), paused (packets wait for it, as in a socket buffer) or cut off by a partition
 * (packets vanish, senders hear nothing). It counts what every member sends.
 *
 * @example
 * ```ts
 * import { SimNetwork } from "./sim_network.ts";
 * import { VirtualClock } from "./virtual_clock.ts";
 * const clock = new VirtualClock();
 * const network = new SimNetwork(clock, Math.random, { minDelayMs: 1, maxDelayMs: 5, loss: 0.01 });
 * // network.attach("10.0.0.1:7946", membership); new Membership({ net: network.netFor(address) … })
 * ```
 * @module
 */
import type { ClusterNet, Membership } from "../../lib/cluster/membership.ts";
import type { Packet } from "../../lib/wire/cluster_protocol.ts";
import type { PausableClock, VirtualClock } from "./virtual_clock.ts";

/** How the network behaves. */
export interface SimConditions {
  minDelayMs: number;
  maxDelayMs: number;
  /** The chance that a packet is lost, 0 to 1. */
  loss: number;
}

interface Host {
  membership?: Membership;
  /** Its clock, if it can be paused with it. */
  clock?: PausableClock;
  killed: boolean;
  paused: boolean;
  /** Packets that arrived while paused, delivered on resume. */
  waiting: Packet[];
  /** Its partition group; packets cross only within a group. */
  group: number;
}

/** See the module docs. */
export class SimNetwork {
  /** Packets sent by each address. */
  readonly sent = new Map<string, number>();
  readonly #clock: VirtualClock;
  readonly #random: () => number;
  #conditions: SimConditions;
  readonly #hosts = new Map<string, Host>();
  /** Who has sent to whom: the connections a kill breaks. */
  readonly #talked = new Map<string, Set<string>>();

  /** A network on `clock`, random with `random`. */
  constructor(clock: VirtualClock, random: () => number, conditions: SimConditions) {
    this.#clock = clock;
    this.#random = random;
    this.#conditions = conditions;
  }

  /** Change delay and loss from now on. */
  set conditions(conditions: SimConditions) {
    this.#conditions = conditions;
  }

  /** The sending side for the member at `address`. */
  netFor(address: string): ClusterNet {
    return { send: (to, packet) => this.#send(address, to, packet) };
  }

  /** Deliver packets for `address` to `membership` (whose timers run on `clock`). */
  attach(address: string, membership: Membership, clock?: PausableClock): void {
    this.#hosts.set(address, {
      membership,
      clock,
      killed: false,
      paused: false,
      waiting: [],
      group: 0,
    });
  }

  /**
   * The process at `address` dies: its port refuses from now on, and every member that had
   * talked to it sees its connection break (after a delay), as over TCP.
   */
  kill(address: string): void {
    const host = this.#hosts.get(address)!;
    host.killed = true;
    host.membership?.stop();
    for (const [other, peer] of this.#hosts) {
      if (other === address || peer.killed || !this.#talked.get(other)?.has(address)) continue;
      const { minDelayMs, maxDelayMs } = this.#conditions;
      const delay = minDelayMs + this.#random() * (maxDelayMs - minDelayMs);
      this.#clock.setTimer(delay, () => peer.membership?.linkLost(address));
    }
  }

  /** The process at `address` stops running: its timers wait, and packets wait for it. */
  pause(address: string): void {
    const host = this.#hosts.get(address)!;
    host.paused = true;
    host.clock?.pause();
  }

  /** It runs again: it reads what waited, and its overdue timers run. */
  resume(address: string): void {
    const host = this.#hosts.get(address)!;
    host.paused = false;
    const waiting = host.waiting;
    host.waiting = [];
    for (const packet of waiting) host.membership?.receive(packet);
    host.clock?.resume();
  }

  /** Split the network: `addresses` on one side, everyone else on the other. */
  partition(addresses: string[]): void {
    for (const address of addresses) this.#hosts.get(address)!.group = 1;
  }

  /** Mend every partition. */
  heal(): void {
    for (const host of this.#hosts.values()) host.group = 0;
  }

  #send(from: string, to: string, packet: Packet): void {
    const sender = this.#hosts.get(from);
    if (!sender || sender.killed || sender.paused) return;
    this.sent.set(from, (this.sent.get(from) ?? 0) + 1);
    let talked = this.#talked.get(from);
    if (!talked) this.#talked.set(from, talked = new Set());
    talked.add(to);
    const host = this.#hosts.get(to);
    const { minDelayMs, maxDelayMs, loss } = this.#conditions;
    const delay = minDelayMs + this.#random() * (maxDelayMs - minDelayMs);
    if (!host || host.killed) {
      // The host answers, the port refuses: the sender hears it after a round trip.
      if (host?.group === sender.group || !host) {
        this.#clock.setTimer(2 * delay, () => sender.membership?.unreachable(to, true));
      }
      return;
    }
    if (host.group !== sender.group || this.#random() < loss) return;
    this.#clock.setTimer(delay, () => {
      if (host.killed) return;
      if (host.paused) host.waiting.push(packet);
      else host.membership?.receive(packet);
    });
  }
}
