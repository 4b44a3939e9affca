/**
 * `ValueNode`: a node type holding one value replicated on every `ValueNode` of the cluster.
 * `set(v)` on any of them, `get()` on each; `on("change", (v) => …)` hears every change.
 *
 * Concurrent writers converge: each `set` is stamped by a hybrid logical clock and the latest
 * stamp wins everywhere (ties broken by node id), whatever order the updates arrive in. A stamp
 * from a clock more than `maxClockSkewMs` (default 60 s) ahead of a receiver's is refused there
 * (`ClockSkew`), so a node with a clock in the future cannot win forever: its `set` fails and it
 * does not apply the value itself — though members whose clocks were close enough to accept it
 * keep it (and it may come back to the setter from them). Once its clock is set right, a node
 * stamps from the right time again.
 *
 * A node that joins late, or missed updates while cut off, catches up without a new write: on
 * start it asks other value nodes for theirs, on every member's arrival the two exchange, and
 * every `syncIntervalMs` (default 5 s) it exchanges with one member at random.
 *
 * @example
 * ```ts
 * import { ValueNode } from "./value_node.ts";
 * const node = await ValueNode.start({ join: "127.0.0.1:7946", port: 0 });
 * node.on("change", (value) => console.log("now", value));
 * await node.set({ temperature: 21.5 });
 * console.log(node.get());
 * await node.leave();
 * ```
 * @module
 */
import { BadArgument, ClockSkew, NoHandler, TypenetError } from "../wire/errors.ts";
import { isMemberId } from "../wire/cluster_protocol.ts";
import { compareTimestamps, HybridClock, type Timestamp } from "./hlc.ts";
import {
  type EmitResult,
  type EventHandler,
  type MemberEvent,
  type MemberHandler,
  type MemberInfo,
  Node,
  type NodeOptions,
} from "./node.ts";

/** Cluster events a value node handles (other node types may handle them too). */
export const ValueEvent = {
  /** `{ value, stamp }`: a new value, to every member. */
  Set: "value.set",
  /** `{ value, stamp }` or null: here is mine; answer with yours. */
  Exchange: "value.exchange",
} as const;

/** Options of a value node, besides a node's. */
export interface ValueNodeOptions extends NodeOptions {
  /** A stamp this far ahead of the local clock is refused (default 60,000 ms). */
  maxClockSkewMs?: number;
  /** How often to exchange the value with a random member (default 5,000 ms). */
  syncIntervalMs?: number;
  /** The wall clock stamps are made from (default `Date.now`; a test may skew it). */
  now?: () => number;
}

/** Told of each new value. */
export type ChangeHandler = (value: unknown, from: MemberInfo | undefined) => void;

/** A value with its stamp, as it travels. */
interface Stamped {
  value: unknown;
  stamp: [number, number, string];
}

/** See the module docs. */
export class ValueNode extends Node {
  /** The type other members see. */
  static override typeName = "ValueNode";
  readonly #clock: HybridClock;
  readonly #syncIntervalMs: number;
  readonly #changeHandlers: ChangeHandler[] = [];
  #value: unknown = null;
  #stamp: Timestamp | undefined;
  #syncTimer: ReturnType<typeof setInterval> | undefined;

  /** Use `ValueNode.start`. */
  constructor(options: ValueNodeOptions = {}) {
    super(options);
    this.#clock = new HybridClock(this.id, {
      maxSkewMs: options.maxClockSkewMs ?? 60_000,
      now: options.now,
    });
    this.#syncIntervalMs = options.syncIntervalMs ?? 5_000;
    super.on(ValueEvent.Set, (data, from) => this.#receive(data, from));
    super.on(ValueEvent.Exchange, (data, from) => {
      this.#receive(data, from);
      return this.#stamped();
    });
    super.on("member-join", (member) => {
      if (member.id !== this.id) this.#exchangeWith(member.id);
    });
  }

  /** Hear every change of the value, with the member it came from (undefined: this node). */
  override on(event: "change", handler: ChangeHandler): this;
  /** Handle a member's arrival, departure or failure. */
  override on(event: MemberEvent, handler: MemberHandler): this;
  /** Handle a cluster event; a handler's return value is the reply to a `request`. */
  override on(event: string, handler: EventHandler): this;
  override on(event: string, handler: ChangeHandler | EventHandler | MemberHandler): this {
    if (event === "change") {
      this.#changeHandlers.push(handler as ChangeHandler);
      return this;
    }
    return super.on(event, handler as EventHandler);
  }

  /** The value as this node has it (null until one is set). */
  get(): unknown {
    return this.#value;
  }

  /** The stamp of the value held (undefined until one is set). */
  get stamp(): Timestamp | undefined {
    return this.#stamp && { ...this.#stamp };
  }

  /**
   * Set the value on every value node; resolves when each live member has it, saying which
   * did not. Throws `ClockSkew` (keeping the old value) if a member refused this node's clock
   * as too far ahead.
   */
  async set(value: unknown): Promise<EmitResult> {
    const stamp = this.#clock.tick();
    const message: Stamped = { value, stamp: [stamp.wall, stamp.counter, stamp.node] };
    const result = await this.emit(ValueEvent.Set, message);
    const refusal = result.failed.find((f) => f.error instanceof ClockSkew);
    if (refusal) throw refusal.error;
    this.#apply(value, stamp, undefined);
    return result;
  }

  /** Catch up with the other value nodes, then keep exchanging with one now and then. */
  protected override async started(): Promise<void> {
    // Catch up from up to three others (whoever answers with the newest wins), value nodes
    // first: members of other types just answer that they have no such handler.
    const valueTypes = new Set([this.type, "ValueNode", "ValueWriter"]);
    const others = this.members().filter((m) => m.id !== this.id && m.state === "alive");
    others.sort((a, b) => Number(valueTypes.has(b.type)) - Number(valueTypes.has(a.type)));
    await Promise.all(others.slice(0, 3).map((m) => this.#exchangeWith(m.id)));
    this.#syncTimer = setInterval(() => {
      const live = this.members().filter((m) => m.id !== this.id && m.state === "alive");
      const member = live[Math.floor(Math.random() * live.length)];
      if (member) this.#exchangeWith(member.id);
    }, this.#syncIntervalMs);
    Deno.unrefTimer(this.#syncTimer);
  }

  /** Leave gracefully (see `Node.leave`). */
  override async leave(): Promise<void> {
    clearInterval(this.#syncTimer);
    await super.leave();
  }

  /** Stop at once (see `Node.stop`). */
  override async stop(): Promise<void> {
    clearInterval(this.#syncTimer);
    await super.stop();
  }

  /**
   * Offer ours to `id` and take theirs if it is newer; members of other types just say no.
   * Never rejects: a failure (the member left, its clock is off, a change handler threw) is
   * only told, and the next exchange tries again.
   */
  async #exchangeWith(id: string): Promise<void> {
    try {
      const answer = await this.request(id, ValueEvent.Exchange, this.#stamped());
      this.#receive(answer, this.member(id));
    } catch (error) {
      if (error instanceof NoHandler) return;
      const message = error instanceof Error ? error.message : String(error);
      if (!(error instanceof TypenetError)) this.notice(`a value exchange failed: ${message}`);
    }
  }

  #stamped(): Stamped | null {
    const stamp = this.#stamp;
    return stamp ? { value: this.#value, stamp: [stamp.wall, stamp.counter, stamp.node] } : null;
  }

  /** A value from elsewhere: refused if its clock is too far ahead, kept if it is newer. */
  #receive(data: unknown, from: MemberInfo | undefined): void {
    if (data === null || data === undefined) return;
    const { value, stamp } = parseStamped(data);
    this.#clock.observe(stamp);
    this.#apply(value, stamp, from);
  }

  #apply(value: unknown, stamp: Timestamp, from: MemberInfo | undefined): void {
    if (this.#stamp && compareTimestamps(stamp, this.#stamp) <= 0) return;
    this.#value = value;
    this.#stamp = stamp;
    for (const handler of this.#changeHandlers) handler(value, from);
  }
}

function parseStamped(data: unknown): { value: unknown; stamp: Timestamp } {
  const message = data as Partial<Stamped>;
  const stamp = message?.stamp;
  if (
    typeof data !== "object" || data === null || !Array.isArray(stamp) || stamp.length !== 3 ||
    !Number.isSafeInteger(stamp[0]) || !Number.isSafeInteger(stamp[1]) || stamp[1] < 0 ||
    !isMemberId(stamp[2])
  ) {
    throw new BadArgument("a value update must be { value, stamp: [wall, counter, node] }");
  }
  return { value: message.value, stamp: { wall: stamp[0], counter: stamp[1], node: stamp[2] } };
}
