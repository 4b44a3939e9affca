/**
 * Who is in the cluster, and who is gone: SWIM with Lifeguard's refinements, as HashiCorp
 * memberlist does it, written from the papers.
 *
 * Every probe interval a member pings the next member in a shuffled round. No ack within the
 * probe timeout: it asks `indirectChecks` others to ping it (`ping-req`), and they answer with
 * the target's ack or a `nack`. Still nothing by the end of the interval: the member is
 * *suspected*, and the suspicion goes round; the suspect refutes it by raising its incarnation,
 * and if it does not, it is declared dead when the suspicion times out — sooner the more
 * members confirm it (Lifeguard). A member that misses acks it should have had stretches its
 * own timeouts (local health). News rides on probes and on gossip every 200 ms, and every 30 s
 * two members swap their whole view.
 *
 * Beyond memberlist: a member whose cluster port *refuses* connections — its process is gone,
 * its host still answers — is not waited out. When the prober's own connection is refused it
 * asks the others at once, and one refusal from them confirms it: dead in milliseconds rather
 * than seconds. A paused process still has its port open (connections are accepted, nothing
 * answers), so it takes the ordinary, patient path and can refute when it wakes.
 *
 * The logic is message-driven and knows no sockets: packets go out through a {@link ClusterNet}
 * and come in through {@link Membership.receive}; time comes from a {@link Clock}. A node runs
 * it over typenet connections; tests and the benchmark run thousands of members over a
 * simulated network with loss and delay, on a virtual clock.
 *
 * @example
 * ```ts
 * import { Membership } from "./membership.ts";
 * const membership = new Membership({
 *   self: { id: "a1", name: "a1", address: "127.0.0.1:7946", type: "Node" },
 *   net: { send: (address, packet) => console.log("to", address, packet.type) },
 * });
 * membership.start();
 * membership.join("127.0.0.1:7947");
 * ```
 * @module
 */
import {
  MAX_RECORDS_PER_PACKET,
  type MemberRecord,
  type Packet,
} from "../wire/cluster_protocol.ts";
import { Awareness } from "./awareness.ts";
import { Broadcasts } from "./broadcasts.ts";
import { type Clock, REAL_CLOCK, type Timer } from "./clock.ts";
import { Suspicion } from "./suspicion.ts";
import { DEFAULT_TIMINGS, retransmitLimit, suspicionBounds, type Timings } from "./timings.ts";

/** Where packets go: fire and forget, like UDP. */
export interface ClusterNet {
  /** Send `packet` to the member listening at `address`. */
  send(address: string, packet: Packet): void;
}

/** Told when members come and go (each once per change). */
export interface MembershipListener {
  /** A member is new, or back from the dead. */
  join?(member: MemberRecord): void;
  /** A member left on purpose. */
  leave?(member: MemberRecord): void;
  /** A member was declared dead. */
  failed?(member: MemberRecord): void;
  /** Any change of any member's state (suspicion and refutation included). */
  change?(member: MemberRecord): void;
  /** A member answered our sync with its view (we have joined). */
  synced?(): void;
}

/** What a membership needs. */
export interface MembershipConfig {
  /** This member (its incarnation starts at 0, its state alive). */
  self: Pick<MemberRecord, "id" | "name" | "address" | "type">;
  net: ClusterNet;
  clock?: Clock;
  timings?: Partial<Timings>;
  /** Random numbers in [0, 1) (seeded in simulations). */
  random?: () => number;
  listener?: MembershipListener;
}

/** A member as this member knows it. */
interface Known extends MemberRecord {
  suspicion?: Suspicion;
  /** When its state last changed (for forgetting the dead). */
  changedAt: number;
  /** Its place in the array random picks draw from. */
  slot: number;
}

/** One probe in progress. */
interface Probe {
  seq: number;
  target: Known;
  acked: boolean;
  /** The prober's own connection to the target was refused. */
  refused: boolean;
  indirectSent: boolean;
  expectedNacks: number;
  nacks: number;
  timers: Timer[];
}

/** A probe this member makes for another (`ping-req`). */
interface Relay {
  requester: string;
  seq: number;
  targetAddress: string;
  timer: Timer;
}

/** Order of states within one incarnation: a later state overrides an earlier one. */
const RANK = { alive: 0, suspect: 1, dead: 2, left: 3 } as const;

/** See the module docs. */
export class Membership {
  readonly #self: MemberRecord;
  readonly #net: ClusterNet;
  readonly #clock: Clock;
  readonly #timings: Timings;
  readonly #random: () => number;
  readonly #listener: MembershipListener;
  readonly #members = new Map<string, Known>();
  /** The same members in an array, for drawing random ones without a copy. */
  readonly #all: Known[] = [];
  /** Members other than this one that are alive or suspected. */
  #live = 0;
  readonly #broadcasts = new Broadcasts();
  readonly #awareness: Awareness;
  readonly #probes = new Map<number, Probe>();
  readonly #relays = new Map<number, Relay>();
  #probeOrder: string[] = [];
  #probeIndex = 0;
  #seq = 0;
  /** Timers of the periodic work, each removed when it fires. */
  readonly #ticks = new Set<Timer>();
  #running = false;
  #leaving = false;
  /** Addresses joined through, asked again until one of them answers. */
  readonly #seeds = new Set<string>();
  /** Whether a sync was ever answered (then the seeds are no longer needed). */
  #joined = false;

  /** A membership of one (itself) until it joins or is joined. */
  constructor(config: MembershipConfig) {
    this.#self = { ...config.self, incarnation: 0, state: "alive" };
    this.#net = config.net;
    this.#clock = config.clock ?? REAL_CLOCK;
    this.#timings = { ...DEFAULT_TIMINGS, ...config.timings };
    this.#random = config.random ?? Math.random;
    this.#listener = config.listener ?? {};
    this.#awareness = new Awareness(this.#timings.awarenessMaxMultiplier);
  }

  /** This member's record as it stands. */
  get self(): MemberRecord {
    return { ...this.#self };
  }

  /** Lifeguard's local health score (0 is healthy). */
  get health(): number {
    return this.#awareness.score;
  }

  /** Every member known, this one first; dead and departed ones until they are forgotten. */
  members(): MemberRecord[] {
    return [this.self, ...[...this.#members.values()].map(publicRecord)];
  }

  /** Members alive or suspected, this one included. */
  get liveCount(): number {
    return 1 + this.#live;
  }

  /** The member with this id (this one included), if known. */
  member(id: string): MemberRecord | undefined {
    if (id === this.#self.id) return this.self;
    const known = this.#members.get(id);
    return known && publicRecord(known);
  }

  /** The member listening at `address`, if any is known alive or suspected there. */
  memberAt(address: string): MemberRecord | undefined {
    for (const member of this.#members.values()) {
      if (member.address === address && isLive(member)) return publicRecord(member);
    }
    return undefined;
  }

  /**
   * Why `record` cannot be taken in from the member that sent it, if it cannot: it names a
   * live member's id (or this member's) at another address — another process claiming it.
   */
  conflict(record: MemberRecord): string | undefined {
    const known = record.id === this.#self.id ? this.#self : this.#members.get(record.id);
    if (!known || known.address === record.address || !isLive(known)) return undefined;
    return `member id ${record.id} is in use by ${known.address}`;
  }

  /** Start probing, gossiping and syncing. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#scheduleProbe();
    this.#every(this.#timings.gossipIntervalMs, () => this.#gossip());
    this.#every(this.#timings.pushPullIntervalMs, () => this.#pushPull());
    this.#every(Math.max(1000, this.#timings.forgetAfterMs / 2), () => this.#forget());
  }

  /** Stop every timer; packets received afterwards are ignored. */
  stop(): void {
    this.#running = false;
    for (const timer of this.#ticks) this.#clock.clearTimer(timer);
    this.#ticks.clear();
    for (const probe of this.#probes.values()) this.#finish(probe);
    for (const relay of this.#relays.values()) this.#clock.clearTimer(relay.timer);
    this.#relays.clear();
    for (const member of this.#members.values()) member.suspicion?.stop();
  }

  /**
   * Ask the member at `address` for its view (and give it ours): how a member joins. Asked
   * again every probe interval until a view comes back.
   */
  join(address: string): void {
    this.#seeds.add(address);
    this.#sync(address);
  }

  /**
   * A connection to `address` broke (the process there may be gone): probe its member now
   * rather than at its turn.
   */
  linkLost(address: string): void {
    const member = this.memberAt(address);
    if (member) this.probeNow(member.id);
  }

  #sync(address: string): void {
    this.#net.send(address, {
      type: "sync",
      from: this.#self.id,
      reply: false,
      members: this.#view(),
    });
  }

  /** Every member known — or, past what one packet carries, this one and a random sample. */
  #view(): MemberRecord[] {
    const members = this.members();
    if (members.length <= MAX_RECORDS_PER_PACKET) return members;
    const [self, ...others] = members;
    return [self, ...this.#shuffle(others).slice(0, MAX_RECORDS_PER_PACKET - 1)];
  }

  /**
   * Leave on purpose: tell every live member at once, then keep gossiping for `graceMs` so
   * the news gets round, then stop. Others report this member as left, never as failed.
   */
  async leave(graceMs = 3 * this.#timings.gossipIntervalMs): Promise<void> {
    if (this.#leaving) return;
    this.#leaving = true;
    this.#self.incarnation++;
    this.#self.state = "left";
    this.#broadcasts.enqueue(this.#self);
    for (const member of this.#members.values()) {
      if (isLive(member)) {
        this.#net.send(member.address, {
          type: "gossip",
          from: this.#self.id,
          updates: [this.self],
        });
      }
    }
    await new Promise<void>((resolve) => this.#clock.setTimer(graceMs, resolve));
    this.stop();
  }

  /**
   * Remove a failed member for good, as if it had left: it is then reported as left, never
   * as failed, and forgotten like any member that left. A live or suspected member cannot be
   * removed (it would refute it at once): stop it, or let it leave. Returns why not, if not.
   */
  forceLeave(id: string): string | undefined {
    const member = this.#members.get(id);
    if (!member) return `no member ${id} in this cluster`;
    if (member.state === "left") return undefined;
    if (member.state !== "dead") {
      return `member ${id} is ${member.state}: only a failed member can be removed ` +
        `(stop it, or let it leave)`;
    }
    this.#apply({ ...publicRecord(member), state: "left" }, this.#self.id);
    return undefined;
  }

  /** A packet arrived. */
  receive(packet: Packet): void {
    if (!this.#running) return;
    switch (packet.type) {
      case "ping":
        this.#merge(packet.updates, packet.from);
        if (packet.target !== this.#self.id) {
          // Someone else now listens where the target did: it is gone.
          this.#send(packet.replyTo, { type: "nack", seq: packet.seq, refused: true });
          return;
        }
        return this.#send(packet.replyTo, { type: "ack", seq: packet.seq });
      case "ack":
        this.#merge(packet.updates, packet.from);
        return this.#acked(packet.seq);
      case "ping-req":
        this.#merge(packet.updates, packet.from);
        return this.#relay(packet.seq, packet.replyTo, packet.target, packet.targetAddress);
      case "nack":
        this.#merge(packet.updates, packet.from);
        return this.#nacked(packet.seq, packet.refused);
      case "gossip":
        return this.#merge(packet.updates, packet.from);
      case "sync": {
        this.#merge(packet.members, packet.from);
        if (packet.reply) {
          this.#joined = true;
          this.#listener.synced?.();
          return;
        }
        const sender = packet.members.find((m) => m.id === packet.from);
        if (sender) {
          this.#net.send(sender.address, {
            type: "sync",
            from: this.#self.id,
            reply: true,
            members: this.#view(),
          });
        }
        return;
      }
    }
  }

  /**
   * The network could not deliver to `address`: `refused` if its port refused the connection
   * (the process is gone), otherwise no connection could be made or it broke. Probes of that
   * address take it into account at once.
   */
  unreachable(address: string, refused: boolean): void {
    if (!this.#running) return;
    for (const probe of this.#probes.values()) {
      if (probe.target.address !== address || probe.acked) continue;
      probe.refused ||= refused;
      // No point waiting out the probe timeout: ask the others now.
      this.#indirect(probe);
    }
    for (const [seq, relay] of this.#relays) {
      if (relay.targetAddress !== address) continue;
      this.#relays.delete(seq);
      this.#clock.clearTimer(relay.timer);
      this.#send(relay.requester, { type: "nack", seq: relay.seq, refused });
    }
  }

  /** Probe the member `id` now, out of turn (its connection dropped, say). */
  probeNow(id: string): void {
    const member = this.#members.get(id);
    if (!this.#running || !member || !isLive(member)) return;
    for (const probe of this.#probes.values()) if (probe.target === member) return;
    this.#startProbe(member);
  }

  // ---------------------------------------------------------------- probing

  #scheduleProbe(): void {
    this.#after(this.#awareness.scale(this.#timings.probeIntervalMs), () => {
      const target = this.#nextTarget();
      if (target) this.#startProbe(target);
      if (!this.#joined) { for (const seed of this.#seeds) this.#sync(seed); }
      this.#scheduleProbe();
    });
  }

  /** Round robin over a shuffled list of live members, reshuffled each round (SWIM). */
  #nextTarget(): Known | undefined {
    for (let tries = 0; tries < 2; tries++) {
      while (this.#probeIndex < this.#probeOrder.length) {
        const member = this.#members.get(this.#probeOrder[this.#probeIndex++]);
        if (member && isLive(member)) return member;
      }
      this.#probeOrder = this.#shuffle([...this.#members.keys()]);
      this.#probeIndex = 0;
    }
    return undefined;
  }

  #startProbe(target: Known): void {
    const probe: Probe = {
      seq: ++this.#seq,
      target,
      acked: false,
      refused: false,
      indirectSent: false,
      expectedNacks: 0,
      nacks: 0,
      timers: [],
    };
    this.#probes.set(probe.seq, probe);
    this.#send(target.address, {
      type: "ping",
      seq: probe.seq,
      replyTo: this.#self.address,
      target: target.id,
    });
    probe.timers.push(
      this.#clock.setTimer(
        this.#awareness.scale(this.#timings.probeTimeoutMs),
        () => this.#indirect(probe),
      ),
      this.#clock.setTimer(
        this.#awareness.scale(this.#timings.probeIntervalMs),
        () => this.#expired(probe),
      ),
    );
  }

  /** Ask others to ping the target for us. */
  #indirect(probe: Probe): void {
    if (probe.acked || probe.indirectSent || !this.#probes.has(probe.seq)) return;
    probe.indirectSent = true;
    const helpers = this.#pick(
      this.#timings.indirectChecks,
      (m) => m.state === "alive" && m !== probe.target,
    );
    probe.expectedNacks = helpers.length;
    for (const helper of helpers) {
      this.#send(helper.address, {
        type: "ping-req",
        seq: probe.seq,
        replyTo: this.#self.address,
        target: probe.target.id,
        targetAddress: probe.target.address,
      });
    }
    // Refused and nobody to ask: a refused port is a process that is gone.
    if (probe.refused && helpers.length === 0) this.#confirmedDead(probe);
  }

  #acked(seq: number): void {
    const probe = this.#probes.get(seq);
    if (probe) {
      probe.acked = true;
      this.#finish(probe);
      this.#awareness.apply(-1);
      return;
    }
    // An ack for a probe we made for someone else: pass it on.
    const relay = this.#relays.get(seq);
    if (relay) {
      this.#relays.delete(seq);
      this.#clock.clearTimer(relay.timer);
      this.#send(relay.requester, { type: "ack", seq: relay.seq });
    }
  }

  #nacked(seq: number, refused: boolean): void {
    const probe = this.#probes.get(seq);
    if (!probe || probe.acked) return;
    probe.nacks++;
    // Our connection was refused and another member's was too: it is gone. (Before any
    // ping-req went out, a nack can only come from the target's address: another member
    // listens there now.)
    if (refused && (probe.refused || !probe.indirectSent)) this.#confirmedDead(probe);
  }

  #expired(probe: Probe): void {
    if (!this.#probes.has(probe.seq)) return;
    this.#finish(probe);
    if (probe.acked) return;
    // Helpers that did not even nack suggest the trouble is on our side (Lifeguard).
    if (probe.indirectSent) this.#awareness.apply(probe.expectedNacks - probe.nacks);
    const target = probe.target;
    if (!isLive(target)) return;
    // Suspect it — or, if it is suspected already, confirm the suspicion.
    this.#apply({ ...publicRecord(target), state: "suspect", by: this.#self.id }, this.#self.id);
  }

  #confirmedDead(probe: Probe): void {
    this.#finish(probe);
    const target = probe.target;
    if (!isLive(target)) return;
    this.#apply({ ...publicRecord(target), state: "dead" }, this.#self.id);
  }

  #finish(probe: Probe): void {
    this.#probes.delete(probe.seq);
    for (const timer of probe.timers) this.#clock.clearTimer(timer);
    probe.timers = [];
  }

  /** Ping `target` for `requester`; answer with its ack, or a nack when it does not come. */
  #relay(seq: number, requester: string, target: string, targetAddress: string): void {
    const mine = ++this.#seq;
    // Nack a little before our own probe timeout, so that the nack reaches the requester
    // within its probe interval (Lifeguard counts missing nacks against the requester).
    const timer = this.#clock.setTimer(0.8 * this.#timings.probeTimeoutMs, () => {
      if (!this.#relays.delete(mine)) return;
      this.#send(requester, { type: "nack", seq, refused: false });
    });
    this.#relays.set(mine, { requester, seq, targetAddress, timer });
    this.#send(targetAddress, {
      type: "ping",
      seq: mine,
      replyTo: this.#self.address,
      target,
    });
  }

  // ---------------------------------------------------------------- news

  #gossip(): void {
    if (this.#broadcasts.size === 0) return;
    const limit = retransmitLimit(this.#timings, this.liveCount);
    for (const member of this.#pick(this.#timings.gossipNodes, isLive)) {
      const updates = this.#broadcasts.take(this.#timings.maxPiggyback, limit);
      if (updates.length === 0) return;
      this.#net.send(member.address, { type: "gossip", from: this.#self.id, updates });
    }
  }

  /**
   * Swap views with a random live member — and, as Serf does, with a random dead one: if it
   * was only cut off (a partition that healed), it hears of its death, refutes, and is back.
   */
  #pushPull(): void {
    const [member] = this.#pick(1, (m) => m.state === "alive");
    if (member) this.#sync(member.address);
    const [dead] = this.#pick(1, (m) => m.state === "dead");
    if (dead) this.#sync(dead.address);
  }

  /** Forget members dead or departed for a while. */
  #forget(): void {
    const before = this.#clock.now() - this.#timings.forgetAfterMs;
    for (const [id, member] of this.#members) {
      if (isLive(member) || member.changedAt > before) continue;
      this.#members.delete(id);
      // Swap-remove from the draw array.
      const last = this.#all.pop()!;
      if (last !== member) {
        this.#all[member.slot] = last;
        last.slot = member.slot;
      }
    }
  }

  #merge(records: MemberRecord[], from: string): void {
    for (const record of records) this.#apply(record, from);
  }

  /**
   * Take in what `from` says of a member (SWIM's rules): a higher incarnation always wins;
   * within one incarnation a later state (alive, suspect, dead, left) overrides an earlier one.
   * News that changes anything is passed on.
   */
  #apply(record: MemberRecord, from: string): void {
    if (record.id === this.#self.id) return this.#aboutMe(record);
    const known = this.#members.get(record.id);
    if (!known) {
      // The dead we never knew stay unknown; the living join — up to a bound, so that forged
      // news cannot grow the table without end.
      if (!isLive(record) || this.#all.length >= this.#timings.maxMembers) return;
      const member: Known = { ...record, changedAt: this.#clock.now(), slot: this.#all.length };
      this.#members.set(record.id, member);
      this.#all.push(member);
      this.#live++;
      this.#probeOrder.splice(
        Math.floor(this.#random() * (this.#probeOrder.length + 1)),
        0,
        record.id,
      );
      if (record.state === "suspect") this.#suspect(member, record.by ?? from);
      this.#broadcasts.enqueue(record);
      this.#listener.join?.(publicRecord(member));
      this.#listener.change?.(publicRecord(member));
      return;
    }
    // An id lives at one address: a record that moves a live member is another process
    // claiming its id. (One that was dead may come back elsewhere.)
    if (record.address !== known.address) {
      if (isLive(known) || !isLive(record)) return;
      known.address = record.address;
    }
    const newer = record.incarnation > known.incarnation;
    const same = record.incarnation === known.incarnation;
    if (!newer && !(same && RANK[record.state] > RANK[known.state])) {
      // Nothing new — but another member suspecting it too shortens the suspicion, and that
      // confirmation is news worth passing on.
      if (same && record.state === "suspect" && known.state === "suspect") {
        if (known.suspicion?.confirm(record.by ?? from)) this.#broadcasts.enqueue(record);
      }
      return;
    }
    const was = known.state;
    this.#live += (isLive(record) ? 1 : 0) - (isLive({ state: was }) ? 1 : 0);
    known.incarnation = record.incarnation;
    known.state = record.state;
    known.name = record.name;
    known.type = record.type;
    known.changedAt = this.#clock.now();
    if (record.state !== "suspect") {
      known.suspicion?.stop();
      known.suspicion = undefined;
    } else if (was !== "suspect" || newer) {
      known.suspicion?.stop();
      this.#suspect(known, record.by ?? from);
    }
    this.#broadcasts.enqueue(
      record.state === "suspect"
        ? { ...publicRecord(known), by: record.by ?? from }
        : publicRecord(known),
    );
    const member = publicRecord(known);
    if (isLive(record) && !isLive({ state: was })) this.#listener.join?.(member);
    if (record.state === "dead" && was !== "dead") this.#listener.failed?.(member);
    if (record.state === "left" && was !== "left") this.#listener.leave?.(member);
    this.#listener.change?.(member);
  }

  /** News about this member: refute anything but "alive", and any claim to a newer self. */
  #aboutMe(record: MemberRecord): void {
    if (this.#leaving) return;
    const challenged = record.state !== "alive" || record.incarnation > this.#self.incarnation ||
      record.address !== this.#self.address;
    if (!challenged || record.incarnation < this.#self.incarnation) return;
    if (record.state === "suspect") this.#awareness.apply(1);
    this.#self.incarnation = record.incarnation + 1;
    this.#broadcasts.enqueue(this.self);
  }

  #suspect(member: Known, from: string): void {
    const { minMs, maxMs } = suspicionBounds(this.#timings, this.liveCount);
    const k = Math.max(0, this.#timings.suspicionMultiplier - 2);
    // With fewer members than confirmations expected, do not wait for the impossible.
    const expected = Math.min(k, Math.max(0, this.liveCount - 2));
    member.suspicion = new Suspicion(from, expected, minMs, maxMs, this.#clock, () => {
      if (member.state !== "suspect") return;
      this.#apply({ ...publicRecord(member), state: "dead" }, this.#self.id);
    });
  }

  // ---------------------------------------------------------------- plumbing

  /** Send a probe packet with news piggybacked. */
  #send(
    address: string,
    packet:
      | { type: "ping"; seq: number; replyTo: string; target: string }
      | { type: "ack"; seq: number }
      | { type: "nack"; seq: number; refused: boolean }
      | { type: "ping-req"; seq: number; replyTo: string; target: string; targetAddress: string },
  ): void {
    const limit = retransmitLimit(this.#timings, this.liveCount);
    const updates = this.#broadcasts.take(this.#timings.maxPiggyback, limit);
    this.#net.send(address, { ...packet, from: this.#self.id, updates } as Packet);
  }

  /**
   * Up to `count` random members that pass `filter`: drawn at random from a large membership
   * (a few tries per member wanted, so the cost does not grow with the cluster), or from a
   * shuffled copy of a small one.
   */
  #pick(count: number, filter: (member: Known) => boolean): Known[] {
    const all = this.#all;
    if (all.length <= 64) return this.#shuffle(all.filter(filter)).slice(0, count);
    const picked = new Set<Known>();
    for (let tries = 0; tries < count * 8 + 16 && picked.size < count; tries++) {
      const member = all[Math.floor(this.#random() * all.length)];
      if (filter(member)) picked.add(member);
    }
    return [...picked];
  }

  #shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.#random() * (i + 1));
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }

  #every(ms: number, fn: () => void): void {
    this.#after(ms, () => {
      fn();
      this.#every(ms, fn);
    });
  }

  /** Run `fn` once after `ms`, unless stopped first. */
  #after(ms: number, fn: () => void): void {
    const timer = this.#clock.setTimer(ms, () => {
      this.#ticks.delete(timer);
      if (this.#running) fn();
    });
    this.#ticks.add(timer);
  }
}

function isLive(member: Pick<MemberRecord, "state">): boolean {
  return member.state === "alive" || member.state === "suspect";
}

function publicRecord(member: MemberRecord): MemberRecord {
  // Only the wire fields (a Known also carries its suspicion timer and draw slot).
  const { id, name, address, type, incarnation, state } = member;
  return { id, name, address, type, incarnation, state };
}
