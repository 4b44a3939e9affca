/**
 * A cluster node: it joins a cluster through any member's cluster port (or starts one), keeps
 * the membership with SWIM, and sends and receives events — to every member (`emit`), to one
 * (`send`), or to one with a reply (`request`). Node types are subclasses that register their
 * own events; nodes of different types cooperate through shared event names.
 *
 * Everything goes over the typenet transport: the node is a `Server` on its cluster port, and
 * reaches the others through a bounded `ConnectionPool` — membership packets as PUSH frames,
 * events as requests whose answer says they were handled. Event payloads are user values,
 * encoded by the sender and decoded (with the value bounds) by the receiver.
 *
 * @example
 * ```ts
 * import { Node } from "./node.ts";
 * const node = await Node.start({ join: "127.0.0.1:7946", port: 0 });
 * node.on("greeting", (data, from) => `hello ${from.name}, you said ${JSON.stringify(data)}`);
 * const { delivered, failed } = await node.emit("greeting", { hello: "world" });
 * await node.leave();
 * ```
 * @module
 */
import {
  decodePacket,
  EVENT_TOPIC,
  isMemberId,
  type MemberRecord,
  newMemberId,
  NODE_ROLE,
  NodeOp,
  SWIM_TOPIC,
} from "../wire/cluster_protocol.ts";
import { argBytes, argCount, argInt, argString } from "../wire/args.ts";
import { decodeValue, encodeValue } from "../wire/codec.ts";
import {
  BadArgument,
  errorToWire,
  InternalError,
  LimitExceeded,
  NoHandler,
  NotFound,
  ProtocolError,
  TypenetError,
  Unavailable,
} from "../wire/errors.ts";
import { ConnectionPool } from "../net/connection_pool.ts";
import { adminOnly, defineHandlers } from "../net/handlers.ts";
import type { Limits } from "../net/limits.ts";
import { linkSecurity, listenerSecurity, type SecurityOptions } from "../net/security.ts";
import { type ExposureState, Server } from "../net/server.ts";
import { cannotConnect, EventRouter } from "./event_router.ts";
import { Membership } from "./membership.ts";
import { PacketLinks } from "./packet_links.ts";
import { RecentMessages } from "./recent_messages.ts";
import type { Timings } from "./timings.ts";

/** The default cluster port (memberlist's). */
export const DEFAULT_CLUSTER_PORT = 7946;

/** Event names that are local happenings, not cluster events: they cannot be emitted. */
export const MEMBER_EVENTS = ["member-join", "member-leave", "member-failed"] as const;

/** A local happening about a member: it joined, left on purpose, or was declared dead. */
export type MemberEvent = "member-join" | "member-leave" | "member-failed";

/** What `members()` says of each member. */
export interface MemberInfo {
  /** Random per process; names the member everywhere. */
  id: string;
  /** A name for people (the id unless the member was given one). */
  name: string;
  /** Its cluster port. */
  address: string;
  /** Alive, suspected (it may be dead), dead, or left on purpose. */
  state: "alive" | "suspect" | "dead" | "left";
  /** Its node type (`"Node"`, `"ValueNode"`, …). */
  type: string;
  /** Raised by the member itself to refute a suspicion; the higher, the newer the news. */
  incarnation: number;
  /** How this node reaches it: itself, directly, through a relay, or not at all (gone). */
  route: "self" | "direct" | "relay" | "none";
  /** For a relayed member: the member that relays. */
  via?: string;
}

/** How an event is sent. */
export interface SendOptions {
  /**
   * Wait for each member to confirm it ran its handlers (default true). `false` sends without
   * waiting: faster, at most once, and a member that is gone loses the event silently.
   */
  ack?: boolean;
}

/** Handles a cluster event; what it returns (or resolves to) is the reply to a `request`. */
export type EventHandler = (data: unknown, from: MemberInfo) => unknown;

/** Handles a member's arrival, departure or failure. */
export type MemberHandler = (member: MemberInfo) => void;

/** What `emit` reports: who has the event, and who does not, with why. */
export interface EmitResult {
  /** Ids of the members that received and handled the event. */
  delivered: string[];
  /** The members that did not, each with the error that says why. */
  failed: { id: string; error: TypenetError }[];
}

/** How to start a node. */
export interface NodeOptions extends SecurityOptions {
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Cluster port (default 7946; 0 picks a free one). */
  port?: number;
  /** Cluster ports of members to join through, tried in order; none starts a new cluster. */
  join?: string | string[];
  /** A name for people (default: the id). */
  name?: string;
  /** The address others reach this node at, if not the one it listens on (0.0.0.0, say). */
  advertise?: string;
  /** Membership timings (memberlist's LAN defaults). */
  timings?: Partial<Timings>;
  /** Listener limits. */
  limits?: Partial<Limits>;
  /** Time an event or request waits for a member's answer (default 10 s). */
  requestTimeoutMs?: number;
  /** Time to wait for a member to answer a join before starting a new cluster (default 2 s). */
  connectTimeoutMs?: number;
  /** Told of notable things: a new cluster started, a bad packet from a peer. */
  onNotice?: (message: string) => void;
}

/** Events a `node.listen` stream may fall behind by before it is ended. */
const LISTEN_QUEUE = 1024;

/** Hears every cluster event this node receives (payloads still encoded). */
type EventListener = (event: string, payload: Uint8Array, from: string) => void;

/** Hears every cluster event a node receives: its name, its data, and the sender's id. */
export type AnyEventHandler = (event: string, data: unknown, from: string) => void;

/** See the module docs. */
export class Node implements AsyncDisposable {
  /** The type other members see; subclasses set their own (default: the class name). */
  static typeName?: string;

  /** This node's id (random per start). */
  readonly id: string = newMemberId();
  readonly #options: NodeOptions;
  readonly #eventHandlers = new Map<string, EventHandler[]>();
  readonly #memberHandlers = new Map<MemberEvent, MemberHandler[]>();
  readonly #listeners = new Set<EventListener>();
  readonly #recent = new RecentMessages();
  readonly #senderCache = new Map<string, MemberInfo>();
  #senderCacheVersion = -1;
  /** Changes whenever the membership does (so cached member views go stale). */
  #membershipVersion = 0;
  #server: Server | undefined;
  #pool: ConnectionPool | undefined;
  #router: EventRouter | undefined;
  #membership: Membership | undefined;
  #nextMessage = 1;
  #stopped = false;
  #startedNewCluster = false;

  /** Use `Node.start` (or a subclass's `start`). */
  constructor(options: NodeOptions = {}) {
    this.#options = options;
  }

  /**
   * Start a node of this class: listen on the cluster port, join through the first member of
   * `join` that answers (or start a new cluster), and begin the membership protocol.
   */
  static async start<T extends Node, O extends NodeOptions>(
    this: new (options: O) => T,
    options?: O,
  ): Promise<T> {
    const node = new this(options ?? {} as O);
    await node.#boot();
    return node;
  }

  /** This node's cluster port, `host:port`, as others reach it. */
  get clusterPort(): string {
    return this.#membership!.self.address;
  }

  /**
   * Remove a failed member for good (Consul's force-leave): every member then reports it as
   * left, not failed. Throws `NotFound` for an unknown id and `BadArgument` for a member that
   * is alive or suspected (it would refute it): stop it first, or let it leave.
   *
   * @example
   * ```ts
   * node.remove("3f2a9c1b7d04");
   * ```
   */
  remove(id: string): void {
    const why = this.#membership!.forceLeave(id);
    if (why === undefined) return;
    throw why.startsWith("no member") ? new NotFound(why) : new BadArgument(why);
  }

  /** Who may connect (protected mode, token, TLS). */
  get security(): ExposureState {
    return this.#server!.security;
  }

  /** This node's name. */
  get name(): string {
    return this.#membership!.self.name;
  }

  /** The type other members see. */
  get type(): string {
    const type = this.constructor as typeof Node;
    return Object.hasOwn(type, "typeName") && type.typeName ? type.typeName : type.name;
  }

  /** Whether the join found no member to join, so this node started a new cluster. */
  get startedNewCluster(): boolean {
    return this.#startedNewCluster;
  }

  /** Every member known (this node first), with its state, type and route. */
  members(): MemberInfo[] {
    return this.#membership!.members().map((m) => this.#info(m));
  }

  /** A member by id, if known. */
  member(id: string): MemberInfo | undefined {
    const record = this.#membership!.member(id);
    return record && this.#info(record);
  }

  /** Handle a member's arrival, departure or failure. */
  on(event: MemberEvent, handler: MemberHandler): this;
  /** Handle a cluster event; a handler's return value is the reply to a `request`. */
  on(event: string, handler: EventHandler): this;
  on(event: string, handler: EventHandler | MemberHandler): this {
    if ((MEMBER_EVENTS as readonly string[]).includes(event)) {
      const list = this.#memberHandlers.get(event as MemberEvent) ?? [];
      this.#memberHandlers.set(event as MemberEvent, [...list, handler as MemberHandler]);
    } else {
      checkEventName(event);
      this.#eventHandlers.set(event, [
        ...this.#eventHandlers.get(event) ?? [],
        handler as EventHandler,
      ]);
    }
    return this;
  }

  /**
   * Hear every cluster event this node receives, whatever its name and whether or not it has a
   * handler (as `typenet listen` does); returns the function that stops it.
   */
  listen(handler: AnyEventHandler): () => void {
    const listener: EventListener = (event, payload, from) => {
      let data: unknown;
      try {
        data = decodeValue(payload);
      } catch (error) {
        data = { undecodable: (error as Error).message };
      }
      handler(event, data, from);
    };
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stop handling `event` with `handler`. */
  off(event: string, handler: EventHandler | MemberHandler): this {
    const lists = [this.#eventHandlers, this.#memberHandlers] as Map<string, unknown[]>[];
    for (const handlers of lists) {
      const list = handlers.get(event);
      if (list) handlers.set(event, list.filter((h) => h !== handler));
    }
    return this;
  }

  /**
   * Send `event` with `data` to every live member (and to this node with `{ self: true }`);
   * resolves when each has handled it, saying which have and which have not (and why).
   * With `{ ack: false }` it resolves once the event is on its way to each (at most once,
   * unconfirmed: `delivered` then means sent), for streams of readings where the next one
   * matters more than a lost one.
   */
  async emit(
    event: string,
    data?: unknown,
    options: SendOptions & { self?: boolean } = {},
  ): Promise<EmitResult> {
    checkEventName(event);
    return await this.#emitEncoded(
      event,
      encodeValue(data ?? null),
      options.self ?? false,
      options.ack ?? true,
    );
  }

  /**
   * Send `event` with `data` to member `id`; resolves once it has handled it — or, with
   * `{ ack: false }`, once the event is on its way (at most once, unconfirmed, in order with
   * this node's other events to that member).
   */
  async send(id: string, event: string, data?: unknown, options: SendOptions = {}): Promise<void> {
    checkEventName(event);
    await this.#deliver(
      id,
      event,
      encodeValue(data ?? null),
      options.ack === false ? "post" : "send",
    );
  }

  /**
   * Send `event` with `data` to member `id` and resolve to its handler's reply. Fails with
   * `NoHandler` at once if it has no handler for the event, with the handler's error if it
   * failed, and with `Unavailable`/`TimeoutError` if the member cannot be reached in time.
   */
  async request(
    id: string,
    event: string,
    data?: unknown,
    options: { timeoutMs?: number } = {},
  ): Promise<unknown> {
    checkEventName(event);
    const reply = await this.#deliver(
      id,
      event,
      encodeValue(data ?? null),
      "request",
      options.timeoutMs,
    );
    return reply instanceof Uint8Array ? decodeValue(reply) : null;
  }

  /** Leave gracefully: tell the others (they see `member-leave`, never `member-failed`), then stop. */
  async leave(): Promise<void> {
    if (this.#stopped) return;
    await this.#membership?.leave();
    await this.#shutDown();
  }

  /** Stop at once, telling nobody (the others will find it failed). */
  async stop(): Promise<void> {
    this.#membership?.stop();
    await this.#shutDown();
  }

  /** `await using node = await Node.start(…)` leaves gracefully at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.leave();
  }

  /** Server-side counters for `server.stats`: members by state. */
  protected stats(): Record<string, number> {
    const counts: Record<string, number> = { alive: 0, suspect: 0, dead: 0, left: 0 };
    for (const member of this.#membership?.members() ?? []) counts[member.state]++;
    return {
      members: counts.alive + counts.suspect,
      ...counts,
      health: this.#membership?.health ?? 0,
    };
  }

  // ---------------------------------------------------------------- start and stop

  async #boot(): Promise<void> {
    const options = this.#options;
    const host = options.host ?? "127.0.0.1";
    if (!options.advertise && (host === "0.0.0.0" || host === "::" || host === "[::]")) {
      // Members tell each other where they listen; "0.0.0.0" reaches nobody.
      throw new BadArgument(
        `a node listening on ${host} needs an address to advertise (advertise, or ` +
          `--advertise HOST:PORT): the address other members reach it at`,
      );
    }
    const security = listenerSecurity(options, host);
    this.#pool = new ConnectionPool({
      ...linkSecurity(options, security.token),
      role: "node",
      connectTimeoutMs: options.connectTimeoutMs ?? 2_000,
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      onConnect: (_session, welcome) => {
        if (welcome.role !== NODE_ROLE) {
          return Promise.reject(
            new ProtocolError(`that port is a ${welcome.role}, not a typenet cluster node`),
          );
        }
        return Promise.resolve();
      },
      onDisconnect: (address) => this.#membership?.linkLost(address),
    });
    this.#router = new EventRouter(this.#pool, () => this.#membership!, {
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
    });
    this.#server = await Server.listen({
      hostname: host,
      port: options.port ?? DEFAULT_CLUSTER_PORT,
      role: NODE_ROLE,
      handlers: this.#handlers(),
      limits: options.limits,
      ...security,
      stats: () => this.stats(),
      onPush: (topic, payload) => {
        if (topic === EVENT_TOPIC) return this.#receivePosted(payload);
        if (topic !== SWIM_TOPIC) return;
        // A malformed packet throws: the session answers PROTOCOL and closes the link. So does
        // a sender that introduces itself under a live member's id.
        const packet = decodePacket(payload);
        if (packet.type === "sync") {
          const sender = packet.members.find((m) => m.id === packet.from);
          const conflict = sender && this.#membership?.conflict(sender);
          if (conflict) throw new ProtocolError(conflict);
        }
        this.#membership?.receive(packet);
      },
    });
    const synced = Promise.withResolvers<void>();
    this.#membership = new Membership({
      self: {
        id: this.id,
        name: options.name ?? this.id,
        address: options.advertise ?? this.#server.address,
        type: this.type,
      },
      net: new PacketLinks(this.#pool, () => this.#membership!),
      timings: options.timings,
      listener: {
        join: (m) => this.#memberEvent("member-join", m),
        leave: (m) => this.#memberEvent("member-leave", m),
        failed: (m) => this.#memberEvent("member-failed", m),
        synced: () => synced.resolve(),
        change: () => this.#membershipVersion++,
      },
    });
    this.#membership.start();
    const seeds = typeof options.join === "string" ? [options.join] : options.join ?? [];
    const seed = await this.#firstAnswering(seeds.filter((s) => s !== this.clusterPort));
    if (seed === undefined) {
      this.#startedNewCluster = true;
      if (seeds.length > 0) {
        options.onNotice?.(
          `no cluster node answered at ${seeds.join(", ")}; starting a new cluster`,
        );
      }
    } else {
      this.#membership.join(seed);
      // The member answered the connection; its view follows in a moment.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        synced.promise,
        new Promise((resume) => timer = setTimeout(resume, options.connectTimeoutMs ?? 2_000)),
      ]);
      clearTimeout(timer);
    }
    await this.started();
  }

  /** Tell the operator something (a handler failed, say): the `onNotice` option, if given. */
  protected notice(message: string): void {
    this.#options.onNotice?.(message);
  }

  /** Runs once the node has joined; node types set up their state here. */
  protected started(): Promise<void> {
    return Promise.resolve();
  }

  /** The first seed whose cluster port answers as a cluster node. */
  async #firstAnswering(seeds: string[]): Promise<string | undefined> {
    for (const seed of seeds) {
      try {
        await this.#pool!.using(seed, (link) => link.session());
        return seed;
      } catch (error) {
        this.#options.onNotice?.(`${seed}: ${(error as Error).message}`);
      }
    }
    return undefined;
  }

  async #shutDown(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#membership?.stop();
    for (const listener of [...this.#listeners]) this.#listeners.delete(listener);
    await this.#server?.close();
    await this.#pool?.close();
  }

  // ---------------------------------------------------------------- events out

  async #emitEncoded(
    event: string,
    payload: Uint8Array,
    self: boolean,
    ack = true,
  ): Promise<EmitResult> {
    const result: EmitResult = { delivered: [], failed: [] };
    const targets = this.#membership!.members().filter((m) =>
      (m.state === "alive" || m.state === "suspect") && (self || m.id !== this.id)
    );
    await Promise.all(targets.map(async (member) => {
      try {
        await this.#deliverTo(member, event, payload, ack ? "emit" : "post");
        result.delivered.push(member.id);
      } catch (error) {
        result.failed.push({ id: member.id, error: asTypenetError(error) });
      }
    }));
    return result;
  }

  #deliver(
    id: string,
    event: string,
    payload: Uint8Array,
    kind: "send" | "request" | "post",
    timeoutMs?: number,
  ): Promise<unknown> {
    const member = this.#membership!.member(id);
    if (!member) return Promise.reject(new NotFound(`no member ${id} in this cluster`));
    if (member.state === "dead" || member.state === "left") {
      return Promise.reject(new Unavailable(`member ${id} (${member.address}) is ${member.state}`));
    }
    return this.#deliverTo(member, event, payload, kind, timeoutMs);
  }

  #deliverTo(
    member: MemberRecord,
    event: string,
    payload: Uint8Array,
    kind: string,
    timeoutMs?: number,
  ): Promise<unknown> {
    const args = [event, payload, this.id, kind, this.#nextMessage++];
    if (member.id === this.id) return this.#receive(args);
    if (kind === "post") return this.#post(member, args);
    return this.#router!.deliver(member, args, timeoutMs);
  }

  /** Send without waiting for the member: a PUSH on our link (relayed, acknowledged, if need be). */
  async #post(member: MemberRecord, args: unknown[]): Promise<void> {
    const [event, payload, from, , messageId] = args;
    const pushed = [event, payload, from, messageId];
    const open = this.#pool!.openSession(member.address);
    if (open) {
      open.push(EVENT_TOPIC, pushed);
      await open.writable();
      return;
    }
    try {
      const session = await this.#pool!.using(member.address, (link) => link.session());
      session.push(EVENT_TOPIC, pushed);
      await session.writable();
    } catch (error) {
      if (!cannotConnect(error)) throw error;
      await this.#router!.deliver(member, args);
    }
  }

  // ---------------------------------------------------------------- events in

  #handlers() {
    return defineHandlers({
      requests: {
        [NodeOp.Event]: (args) => this.#receive(args),
        [NodeOp.Relay]: (args) => this.#relay(args),
        [NodeOp.Members]: () => encodeValue(this.members()),
        [NodeOp.Emit]: async (args) => {
          argCount(args, 2, NodeOp.Emit);
          const event = argString(args, 0, "event", 256);
          checkEventName(event);
          const result = await this.#emitEncoded(event, argBytes(args, 1, "payload"), true);
          return {
            delivered: result.delivered,
            failed: result.failed.map(({ id, error }) => ({ id, error: errorToWire(error) })),
          };
        },
        [NodeOp.Remove]: (args, call) => {
          argCount(args, 1, NodeOp.Remove);
          adminOnly(NodeOp.Remove, call);
          this.remove(argString(args, 0, "id", 64));
          return null;
        },
      },
      streams: {
        [NodeOp.Listen]: (args, call) => this.#listen(args, call.signal),
      },
    });
  }

  /** An event pushed without acknowledgement: handled like the others, its failures only told. */
  #receivePosted(payload: unknown): void {
    if (!Array.isArray(payload) || payload.length !== 4) {
      throw new ProtocolError("an event push must be [event, payload, from, messageId]");
    }
    const [event, data, from, messageId] = payload;
    if (
      typeof event !== "string" || event.length === 0 || event.length > 256 ||
      !(data instanceof Uint8Array) || !isMemberId(from) || !Number.isSafeInteger(messageId)
    ) {
      // The sender broke the protocol: its link is closed.
      throw new ProtocolError("an event push must be [event, payload, from, messageId]");
    }
    // No acknowledgement and no retry, so no duplicates to drop: handle it at once.
    try {
      const handled = this.#handle(event, data, from, "post");
      if (handled instanceof Promise) handled.catch((error) => this.#handlerFailed(event, error));
    } catch (error) {
      this.#handlerFailed(event, error);
    }
  }

  #handlerFailed(event: string, error: unknown): void {
    this.#options.onNotice?.(`a handler of '${event}' failed: ${describeError(error)}`);
  }

  /** `node.event [event, payload, from, kind, messageId]`. */
  #receive(args: unknown[]): Promise<unknown> {
    argCount(args, 5, NodeOp.Event);
    const event = argString(args, 0, "event", 256);
    const payload = argBytes(args, 1, "payload");
    const from = argString(args, 2, "from", 64);
    if (!isMemberId(from)) throw new BadArgument("from must be a member id");
    const kind = argString(args, 3, "kind", 16);
    const messageId = argInt(args, 4, "message id", 0);
    return this.#recent.once(
      from,
      messageId,
      kind,
      async () => await this.#handle(event, payload, from, kind),
    );
  }

  /**
   * Run `event`'s handlers: synchronously while they are (the common case), the rest once a
   * handler returns a promise. Resolves to the reply a request gets.
   */
  #handle(event: string, payload: Uint8Array, from: string, kind: string): unknown {
    if (this.#listeners.size > 0) {
      // Listeners may keep it: their own copy, not a view of the frame it came in.
      const copy = payload.slice();
      for (const listener of this.#listeners) listener(event, copy, from);
    }
    const handlers = this.#eventHandlers.get(event);
    if (!handlers || handlers.length === 0) {
      if (kind === "request") {
        throw new NoHandler(`node ${this.id} (${this.name}) has no handler for '${event}'`);
      }
      return null;
    }
    const data = decodeValue(payload);
    const sender = this.#senderInfo(from);
    const reply = (value: unknown) => kind === "request" ? encodeValue(value ?? null) : null;
    let first: unknown = null;
    for (let k = 0; k < handlers.length; k++) {
      const value = handlers[k](data, sender);
      if (value instanceof Promise) {
        return (async () => {
          const awaited = await value;
          if (k === 0) first = awaited;
          for (let j = k + 1; j < handlers.length; j++) await handlers[j](data, sender);
          return reply(first);
        })();
      }
      if (k === 0) first = value;
    }
    return reply(first);
  }

  /** The sender as handlers see it; cached until the membership or a route changes. */
  #senderInfo(id: string): MemberInfo {
    const version = this.#router!.version + this.#membershipVersion * 1_000_003;
    if (this.#senderCacheVersion !== version) {
      this.#senderCache.clear();
      this.#senderCacheVersion = version;
    }
    let info = this.#senderCache.get(id);
    if (!info) {
      info = this.member(id) ?? unknownMember(id);
      if (this.#senderCache.size < 4096) this.#senderCache.set(id, info);
    }
    return info;
  }

  /** `node.relay [to, event, payload, from, kind, messageId]`: pass it on, directly only. */
  async #relay(args: unknown[]): Promise<unknown> {
    argCount(args, 6, NodeOp.Relay);
    const to = argString(args, 0, "to", 64);
    const member = this.#membership!.member(to);
    if (!member || member.state === "dead" || member.state === "left") {
      throw new Unavailable(`${this.id} knows no live member ${to}`);
    }
    if (member.id === this.id) return await this.#receive(args.slice(1));
    try {
      return await this.#router!.direct(member.address, NodeOp.Event, args.slice(1));
    } catch (error) {
      if (error instanceof TypenetError && !(error instanceof Unavailable)) throw error;
      throw new Unavailable(`${this.id} cannot reach ${to} either`);
    }
  }

  /** The cluster events this node receives, as `[event, payload, from]`, while the stream is open. */
  async *#listen(args: unknown[], signal: AbortSignal): AsyncGenerator<unknown> {
    const names = args.map((_, k) => argString(args, k, "event", 256));
    const queue: unknown[] = [];
    let wake: (() => void) | undefined;
    let overflowed = false;
    const listener: EventListener = (event, payload, from) => {
      if (names.length > 0 && !names.includes(event)) return;
      if (queue.length >= LISTEN_QUEUE) overflowed = true;
      else queue.push([event, payload, from]);
      wake?.();
    };
    this.#listeners.add(listener);
    const stop = () => wake?.();
    signal.addEventListener("abort", stop);
    try {
      while (!signal.aborted && !this.#stopped) {
        if (overflowed) {
          throw new LimitExceeded(`the listener fell ${LISTEN_QUEUE} events behind`);
        }
        if (queue.length > 0) {
          yield queue.shift();
          continue;
        }
        await new Promise<void>((resume) => wake = resume);
        wake = undefined;
      }
    } finally {
      signal.removeEventListener("abort", stop);
      this.#listeners.delete(listener);
    }
  }

  #memberEvent(event: MemberEvent, record: MemberRecord): void {
    const info = this.#info(record);
    for (const handler of this.#memberHandlers.get(event) ?? []) {
      try {
        handler(info);
      } catch (error) {
        this.#options.onNotice?.(`a ${event} handler failed: ${(error as Error).message}`);
      }
    }
  }

  #info(record: MemberRecord): MemberInfo {
    const route = this.#router!.route(record);
    const via = route === "relay" ? this.#router!.via(record.id) : undefined;
    return {
      id: record.id,
      name: record.name,
      address: record.address,
      state: record.state,
      type: record.type,
      incarnation: record.incarnation,
      route,
      ...(via ? { via } : {}),
    };
  }
}

function checkEventName(event: string): void {
  if (typeof event !== "string" || event.length === 0 || event.length > 256) {
    throw new BadArgument("an event name must be a string of 1 to 256 characters");
  }
  if ((MEMBER_EVENTS as readonly string[]).includes(event)) {
    throw new BadArgument(`'${event}' is a local member event; it cannot be sent`);
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function unknownMember(id: string): MemberInfo {
  return { id, name: id, address: "", state: "alive", type: "", incarnation: 0, route: "direct" };
}

function asTypenetError(error: unknown): TypenetError {
  if (error instanceof TypenetError) return error;
  return new InternalError(error instanceof Error ? error.message : String(error));
}
