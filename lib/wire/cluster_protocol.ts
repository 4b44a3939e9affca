/**
 * What cluster nodes say to each other: member records, the membership *packets* (SWIM's
 * ping, ack, indirect ping, gossip and full-state sync, sent as PUSH frames with topic
 * `"swim"`, fire and forget, like UDP datagrams), and the operations for events. Checked here
 * field by field, since every packet comes from the network.
 *
 * docs/PROTOCOL.md §16 is the specification.
 *
 * @example
 * ```ts
 * import { parsePacket } from "./cluster_protocol.ts";
 * const packet = parsePacket({
 *   type: "ping", seq: 7, from: "a1b2c3", replyTo: "127.0.0.1:7946", target: "d4e5f6", updates: [],
 * });
 * packet.type; // "ping"
 * ```
 * @module
 */
import { parseAddress } from "./address.ts";
import { decodeBounded, encodeMessageShared } from "./codec.ts";
import type { DecodeBounds } from "./decode_bounds.ts";
import { ProtocolError } from "./errors.ts";

/** The PUSH topic membership packets travel under. */
export const SWIM_TOPIC = "swim";

/**
 * The PUSH topic of events sent without acknowledgement: `[event, payload, from, messageId]`,
 * as the arguments of `node.event` without the kind.
 */
export const EVENT_TOPIC = "event";

/** The role a node announces in its WELCOME. */
export const NODE_ROLE = "cluster-node";

/** Operations a node answers (besides `ping` and `server.stats`). */
export const NodeOp = {
  /** `[event, payload, from, kind, messageId]` → the handler's reply (see PROTOCOL.md). */
  Event: "node.event",
  /** `[to, event, payload, from, kind, messageId]`: pass an event on to a member. */
  Relay: "node.relay",
  /** `[]` → every member this node knows, with state and route. */
  Members: "node.members",
  /** `[event, payload]`: emit an event to every member, as this node. */
  Emit: "node.emit",
  /** Stream `[events]`: the cluster events this node receives, as they come. */
  Listen: "node.listen",
  /** `[id]`: remove a failed member for good (an admin operation). */
  Remove: "node.remove",
} as const;

/** A member's state, as SWIM knows it. */
export type MemberState = "alive" | "suspect" | "dead" | "left";

const STATES: ReadonlySet<string> = new Set(["alive", "suspect", "dead", "left"]);

/** What the cluster knows of one member: the unit of gossip. */
export interface MemberRecord {
  /** Random, chosen by the member when it starts; names it everywhere. */
  id: string;
  /** A name for people (default: the id). */
  name: string;
  /** Its cluster port, `host:port`. */
  address: string;
  /** Its node type (`"Node"`, `"ValueNode"`, a subclass's name). */
  type: string;
  /** Raised only by the member itself, to refute a suspicion of it or to leave. */
  incarnation: number;
  state: MemberState;
  /** For a suspicion: the member that suspects it (confirmations are counted by accuser). */
  by?: string;
}

/**
 * `ping`: are you there, `target`? Answered (to `replyTo`) by an `ack` with the same `seq` — or,
 * if a member other than `target` now listens at that address, by a `nack` with `refused`.
 */
export interface PingPacket {
  type: "ping";
  seq: number;
  from: string;
  /** The sender's cluster port, where the answer goes. */
  replyTo: string;
  /** The member the sender means to ping. */
  target: string;
  updates: MemberRecord[];
}

/** `ack`: yes (for a `ping`, or relayed for a `ping-req`). */
export interface AckPacket {
  type: "ack";
  seq: number;
  from: string;
  updates: MemberRecord[];
}

/** `ping-req`: please ping `target` for me and tell me (`ack`, or `nack` if it does not answer). */
export interface PingReqPacket {
  type: "ping-req";
  seq: number;
  from: string;
  /** The sender's cluster port, where the answer goes. */
  replyTo: string;
  target: string;
  targetAddress: string;
  updates: MemberRecord[];
}

/** `nack`: I pinged the target for you and it did not answer; `refused` if its port refused. */
export interface NackPacket {
  type: "nack";
  seq: number;
  from: string;
  refused: boolean;
  updates: MemberRecord[];
}

/** `gossip`: news, between probes. */
export interface GossipPacket {
  type: "gossip";
  from: string;
  updates: MemberRecord[];
}

/** `sync`: here is everything I know; answer with everything you know (`reply`: false). */
export interface SyncPacket {
  type: "sync";
  from: string;
  /** True for the answer to a sync (which is not answered again). */
  reply: boolean;
  members: MemberRecord[];
}

/** Any membership packet. */
export type Packet =
  | PingPacket
  | AckPacket
  | PingReqPacket
  | NackPacket
  | GossipPacket
  | SyncPacket;

/** Ids are 1 to 64 characters of letters, digits, `-` and `_`. */
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Names and type names are at most this long. */
const MAX_NAME_CHARS = 128;
/** The most member records one packet may carry. */
export const MAX_RECORDS_PER_PACKET = 4000;

/**
 * Bounds on decoding one packet. A packet travels as a `bin` (a PUSH's payload) because a full
 * view of a big cluster is dense with short strings, which the message bounds rightly refuse;
 * these allow 4,000 member records (8 objects each) and 16× expansion, and nothing deeper than
 * a packet's own shape.
 */
export const PACKET_BOUNDS: Readonly<DecodeBounds> = Object.freeze({
  maxDepth: 4,
  maxValues: 1 << 17,
  maxObjects: 40_000,
  maxExpansion: 16,
  expansionAllowance: 64 * 1024,
  copiesBinary: false,
  what: "cluster packet",
});

/**
 * A packet as the bytes of a PUSH payload.
 *
 * @example
 * ```ts
 * import { decodePacket, encodePacket } from "./cluster_protocol.ts";
 * decodePacket(encodePacket({ type: "gossip", from: "n1", updates: [] })).type; // "gossip"
 * ```
 */
export function encodePacket(packet: Packet): Uint8Array {
  return encodeMessageShared(packet).slice();
}

/**
 * A PUSH payload back into a checked packet: `ProtocolError` if it is not one, `LimitExceeded`
 * past {@link PACKET_BOUNDS}.
 *
 * @example
 * ```ts
 * import { decodePacket, encodePacket } from "./cluster_protocol.ts";
 * decodePacket(encodePacket({ type: "gossip", from: "n1", updates: [] })).from; // "n1"
 * ```
 */
export function decodePacket(payload: unknown): Packet {
  if (!(payload instanceof Uint8Array)) fail("a packet must travel as bin");
  return parsePacket(decodeBounded(payload, PACKET_BOUNDS));
}

function fail(what: string): never {
  throw new ProtocolError(`malformed cluster packet: ${what}`);
}

function field(record: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function text(value: unknown, what: string, max = MAX_NAME_CHARS): string {
  if (typeof value !== "string" || value.length === 0 || value.length > max) {
    fail(`${what} must be a string of 1 to ${max} characters`);
  }
  return value;
}

function nodeId(value: unknown, what: string): string {
  if (typeof value !== "string" || !ID_PATTERN.test(value)) {
    fail(`${what} must be a member id (1 to 64 letters, digits, '-' or '_')`);
  }
  return value;
}

function bool(value: unknown, what: string): boolean {
  if (typeof value !== "boolean") fail(`${what} must be true or false`);
  return value;
}

function count(value: unknown, what: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    fail(`${what} must be a non-negative integer`);
  }
  return value as number;
}

function address(value: unknown, what: string): string {
  const checked = text(value, what, 300);
  try {
    parseAddress(checked);
  } catch {
    fail(`${what} must be a host:port address`);
  }
  return checked;
}

function map(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(`${what} must be a map`);
  }
  return value as Record<string, unknown>;
}

/**
 * Check a member record received from the network.
 *
 * @example
 * ```ts
 * import { parseMemberRecord } from "./cluster_protocol.ts";
 * parseMemberRecord({
 *   id: "a1", name: "a1", address: "127.0.0.1:7946", type: "Node", incarnation: 0, state: "alive",
 * });
 * ```
 */
export function parseMemberRecord(value: unknown): MemberRecord {
  const record = map(value, "a member record");
  const state = field(record, "state");
  if (typeof state !== "string" || !STATES.has(state)) {
    fail("state must be alive, suspect, dead or left");
  }
  const by = field(record, "by");
  return {
    id: nodeId(field(record, "id"), "id"),
    name: text(field(record, "name"), "name"),
    address: address(field(record, "address"), "address"),
    type: text(field(record, "type"), "type"),
    incarnation: count(field(record, "incarnation"), "incarnation"),
    state: state as MemberState,
    ...(by === undefined ? {} : { by: nodeId(by, "by") }),
  };
}

function records(value: unknown, what: string): MemberRecord[] {
  if (!Array.isArray(value)) fail(`${what} must be an array`);
  if (value.length > MAX_RECORDS_PER_PACKET) {
    fail(`${what} holds more than ${MAX_RECORDS_PER_PACKET} records`);
  }
  return value.map(parseMemberRecord);
}

/**
 * Check a membership packet received from the network; throws `ProtocolError` saying what is
 * wrong (never quoting it).
 *
 * @example
 * ```ts
 * import { parsePacket } from "./cluster_protocol.ts";
 * parsePacket({ type: "gossip", from: "n1", updates: [] }).type; // "gossip"
 * ```
 */
export function parsePacket(value: unknown): Packet {
  const packet = map(value, "a packet");
  const type = field(packet, "type");
  const from = nodeId(field(packet, "from"), "from");
  switch (type) {
    case "ping":
      return {
        type,
        seq: count(field(packet, "seq"), "seq"),
        from,
        replyTo: address(field(packet, "replyTo"), "replyTo"),
        target: nodeId(field(packet, "target"), "target"),
        updates: records(field(packet, "updates"), "updates"),
      };
    case "ack":
      return {
        type,
        seq: count(field(packet, "seq"), "seq"),
        from,
        updates: records(field(packet, "updates"), "updates"),
      };
    case "ping-req":
      return {
        type,
        seq: count(field(packet, "seq"), "seq"),
        from,
        replyTo: address(field(packet, "replyTo"), "replyTo"),
        target: nodeId(field(packet, "target"), "target"),
        targetAddress: address(field(packet, "targetAddress"), "targetAddress"),
        updates: records(field(packet, "updates"), "updates"),
      };
    case "nack":
      return {
        type,
        seq: count(field(packet, "seq"), "seq"),
        from,
        refused: bool(field(packet, "refused"), "refused"),
        updates: records(field(packet, "updates"), "updates"),
      };
    case "gossip":
      return { type, from, updates: records(field(packet, "updates"), "updates") };
    case "sync":
      return {
        type,
        from,
        reply: bool(field(packet, "reply"), "reply"),
        members: records(field(packet, "members"), "members"),
      };
    default:
      return fail("unknown packet type");
  }
}

/**
 * A new member id: 12 random hex digits (48 bits: two nodes of one cluster share one with
 * odds of about n² / 2^49).
 *
 * @example
 * ```ts
 * import { newMemberId } from "./cluster_protocol.ts";
 * newMemberId(); // e.g. "3f9a0c1b7d2e"
 * ```
 */
export function newMemberId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Whether a member id is well formed (for ids users type, say).
 *
 * @example
 * ```ts
 * import { isMemberId } from "./cluster_protocol.ts";
 * isMemberId("3f9a0c1b7d2e"); // true
 * ```
 */
export function isMemberId(value: unknown): value is string {
  return typeof value === "string" && ID_PATTERN.test(value);
}
