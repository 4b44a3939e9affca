/**
 * The protocol's messages: what each frame body means, and a strict parser for received ones.
 *
 * Every body is a msgpack array whose first element is the message kind:
 *
 * | kind | shape | direction |
 * | --- | --- | --- |
 * | 0 HELLO | `[0, {magic, version, role, agent, maxFrameBytes}]` | first frame from the connecting side |
 * | 1 WELCOME | `[1, {version, role, agent, maxFrameBytes, serverId}]` | answer to HELLO |
 * | 2 REQUEST | `[2, id, op, args]` | either side |
 * | 3 RESPONSE | `[3, id, result]` | answer to REQUEST |
 * | 4 ERROR | `[4, id, code, message]` | answer to REQUEST/STREAM, or id 0: connection error |
 * | 5 STREAM | `[5, id, op, args, credit]` | open a stream the other side produces |
 * | 6 ITEM | `[6, id, item]` | one stream item (costs one credit) |
 * | 7 END | `[7, id]` | the stream is complete |
 * | 8 CREDIT | `[8, id, n]` | the consumer grants n more items |
 * | 9 CANCEL | `[9, id]` | the consumer stops the stream |
 * | 10 PUSH | `[10, topic, payload]` | a message nobody asked for |
 *
 * docs/PROTOCOL.md is the full specification.
 *
 * @example
 * ```ts
 * import { Kind, parseMessage } from "./messages.ts";
 * const m = parseMessage([Kind.Request, 1, "ping", []]);
 * if (m.kind === Kind.Request) console.log(m.op); // "ping"
 * ```
 * @module
 */
import { ProtocolError } from "./errors.ts";

/** Message kinds, the first element of every frame body. */
export const Kind = {
  Hello: 0,
  Welcome: 1,
  Request: 2,
  Response: 3,
  Error: 4,
  Stream: 5,
  Item: 6,
  End: 7,
  Credit: 8,
  Cancel: 9,
  Push: 10,
  Challenge: 11,
  Proof: 12,
} as const;

/** The magic string a HELLO must carry. */
export const MAGIC = "typenet";

/** Largest request id; ids wrap around below it. */
export const MAX_REQUEST_ID = 0x7fff_ffff;

/** The connecting side's first message. */
export interface Hello {
  kind: typeof Kind.Hello;
  magic: string;
  version: number;
  /** What the connecting side is: `"client"` or `"peer"` (another server). */
  role: string;
  /** Free text naming the software, e.g. `"typenet/0.1.0"`. */
  agent: string;
  /** The largest frame body the connecting side accepts. */
  maxFrameBytes: number;
  /** The client's 32 random bytes, sent when it holds a token (absent otherwise). */
  nonce?: Uint8Array;
}

/** What a server says about itself in its WELCOME. */
export interface ServerInfo {
  /** The protocol version it speaks. */
  version: number;
  /** What the server is, e.g. `"list-server"`. */
  role: string;
  /** Free text naming the software, e.g. `"typenet/0.1.0"`. */
  agent: string;
  /** The largest frame body the server accepts. */
  maxFrameBytes: number;
  /** Random per server process: tells two addresses of one server apart from two servers. */
  serverId: string;
  /** After a token round: the server's proof that it holds the token too. */
  proof?: Uint8Array;
  /** After a token round: `"admin"` when the client proved the admin token, else `"user"`. */
  access?: string;
  /** Milliseconds the server keeps a connection that sends nothing and waits for nothing. */
  idleTimeoutMs?: number;
}

/** The accepting side's answer to a hello. */
export interface Welcome extends ServerInfo {
  kind: typeof Kind.Welcome;
}

/** The server's answer to a HELLO carrying a nonce, when it demands a token. */
export interface Challenge {
  kind: typeof Kind.Challenge;
  /** The server's 32 random bytes. */
  nonce: Uint8Array;
}

/** The client's answer to a CHALLENGE. */
export interface Proof {
  kind: typeof Kind.Proof;
  /** HMAC-SHA256 under the token of the client's label and both nonces. */
  proof: Uint8Array;
}

/** A call that expects one RESPONSE or ERROR. */
export interface Request {
  kind: typeof Kind.Request;
  id: number;
  op: string;
  args: unknown[];
}

/** The result of a REQUEST. */
export interface Response {
  kind: typeof Kind.Response;
  id: number;
  result: unknown;
}

/** A failed REQUEST or STREAM, or (id 0) a connection-level error before closing. */
export interface ErrorMessage {
  kind: typeof Kind.Error;
  id: number;
  code: string;
  message: string;
}

/** Open a stream that the receiver produces, granting `credit` items up front. */
export interface StreamOpen {
  kind: typeof Kind.Stream;
  id: number;
  op: string;
  args: unknown[];
  credit: number;
}

/** One item of a stream. */
export interface Item {
  kind: typeof Kind.Item;
  id: number;
  item: unknown;
}

/** A stream completed. */
export interface End {
  kind: typeof Kind.End;
  id: number;
}

/** The consumer grants `n` more items. */
export interface Credit {
  kind: typeof Kind.Credit;
  id: number;
  n: number;
}

/** The consumer stops a stream early. */
export interface Cancel {
  kind: typeof Kind.Cancel;
  id: number;
}

/** A message sent without being asked. */
export interface Push {
  kind: typeof Kind.Push;
  topic: string;
  payload: unknown;
}

/** Any message. */
export type Message =
  | Hello
  | Welcome
  | Challenge
  | Proof
  | Request
  | Response
  | ErrorMessage
  | StreamOpen
  | Item
  | End
  | Credit
  | Cancel
  | Push;

/**
 * The wire form of a message (the array that is msgpack-encoded).
 *
 * @example
 * ```ts
 * import { Kind, toWire } from "./messages.ts";
 * toWire({ kind: Kind.Credit, id: 3, n: 8 }); // [8, 3, 8]
 * ```
 */
export function toWire(m: Message): unknown[] {
  switch (m.kind) {
    case Kind.Hello:
      return [m.kind, {
        magic: m.magic,
        version: m.version,
        role: m.role,
        agent: m.agent,
        maxFrameBytes: m.maxFrameBytes,
        ...(m.nonce ? { nonce: m.nonce } : {}),
      }];
    case Kind.Welcome:
      return [m.kind, {
        version: m.version,
        role: m.role,
        agent: m.agent,
        maxFrameBytes: m.maxFrameBytes,
        serverId: m.serverId,
        ...(m.proof ? { proof: m.proof, access: m.access } : {}),
        ...(m.idleTimeoutMs ? { idleTimeoutMs: m.idleTimeoutMs } : {}),
      }];
    case Kind.Challenge:
      return [m.kind, { nonce: m.nonce }];
    case Kind.Proof:
      return [m.kind, { proof: m.proof }];
    case Kind.Request:
      return [m.kind, m.id, m.op, m.args];
    case Kind.Response:
      return [m.kind, m.id, m.result];
    case Kind.Error:
      return [m.kind, m.id, m.code, m.message];
    case Kind.Stream:
      return [m.kind, m.id, m.op, m.args, m.credit];
    case Kind.Item:
      return [m.kind, m.id, m.item];
    case Kind.End:
    case Kind.Cancel:
      return [m.kind, m.id];
    case Kind.Credit:
      return [m.kind, m.id, m.n];
    case Kind.Push:
      return [m.kind, m.topic, m.payload];
  }
}

function fail(what: string): never {
  throw new ProtocolError(`malformed message: ${what}`);
}

function id(value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > MAX_REQUEST_ID) {
    fail(`request id must be an integer from 0 to ${MAX_REQUEST_ID}`);
  }
  return value as number;
}

function text(value: unknown, what: string): string {
  if (typeof value !== "string") fail(`${what} must be a string`);
  return value;
}

function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) fail(`${what} must be an array`);
  return value;
}

function count(value: unknown, what: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    fail(`${what} must be a non-negative integer`);
  }
  return value as number;
}

function bytes(value: unknown, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) fail(`${what} must be binary (msgpack bin)`);
  return value;
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(`${what} must be a map`);
  }
  return value as Record<string, unknown>;
}

function arity(body: unknown[], n: number, name: string): void {
  if (body.length !== n) fail(`${name} has ${body.length} elements, expected ${n}`);
}

/** A received kind, in a few words whatever it is (never the whole of a big value). */
function describeKind(kind: unknown): string {
  if (typeof kind === "number" || typeof kind === "boolean" || kind === null) return String(kind);
  if (typeof kind === "string") return `(a string of ${kind.length} characters)`;
  if (Array.isArray(kind)) return `(an array of ${kind.length})`;
  if (kind instanceof Uint8Array) return `(${kind.length} bytes)`;
  return `(${typeof kind})`;
}

/**
 * Check a decoded frame body and return it as a typed {@link Message}.
 * Anything else raises `ProtocolError` saying what is wrong.
 *
 * @example
 * ```ts
 * import { parseMessage } from "./messages.ts";
 * parseMessage([7, 5]); // { kind: 7, id: 5 }
 * ```
 */
export function parseMessage(body: unknown): Message {
  if (!Array.isArray(body) || body.length === 0) fail("a frame body must be a non-empty array");
  const kind = body[0];
  switch (kind) {
    case Kind.Hello: {
      arity(body, 2, "HELLO");
      const h = record(body[1], "HELLO body");
      return {
        kind,
        magic: text(h.magic, "HELLO magic"),
        version: count(h.version, "HELLO version"),
        // Only magic and version are checked here, so that a hello from another protocol
        // version still gets a VERSION_MISMATCH that names both versions.
        role: typeof h.role === "string" ? h.role : "",
        agent: typeof h.agent === "string" ? h.agent : "",
        maxFrameBytes: Number.isSafeInteger(h.maxFrameBytes) ? h.maxFrameBytes as number : 0,
        ...(h.nonce === undefined ? {} : { nonce: bytes(h.nonce, "HELLO nonce") }),
      };
    }
    case Kind.Welcome: {
      arity(body, 2, "WELCOME");
      const w = record(body[1], "WELCOME body");
      return {
        kind,
        version: count(w.version, "WELCOME version"),
        role: text(w.role, "WELCOME role"),
        agent: typeof w.agent === "string" ? w.agent : "",
        maxFrameBytes: count(w.maxFrameBytes, "WELCOME maxFrameBytes"),
        serverId: text(w.serverId, "WELCOME serverId"),
        ...(w.proof === undefined ? {} : { proof: bytes(w.proof, "WELCOME proof") }),
        ...(typeof w.access === "string" ? { access: w.access } : {}),
        ...(Number.isSafeInteger(w.idleTimeoutMs) && (w.idleTimeoutMs as number) > 0
          ? { idleTimeoutMs: w.idleTimeoutMs as number }
          : {}),
      };
    }
    case Kind.Challenge: {
      arity(body, 2, "CHALLENGE");
      return { kind, nonce: bytes(record(body[1], "CHALLENGE body").nonce, "CHALLENGE nonce") };
    }
    case Kind.Proof: {
      arity(body, 2, "PROOF");
      return { kind, proof: bytes(record(body[1], "PROOF body").proof, "PROOF proof") };
    }
    case Kind.Request:
      arity(body, 4, "REQUEST");
      return { kind, id: id(body[1]), op: text(body[2], "op"), args: list(body[3], "args") };
    case Kind.Response:
      arity(body, 3, "RESPONSE");
      return { kind, id: id(body[1]), result: body[2] };
    case Kind.Error:
      arity(body, 4, "ERROR");
      return {
        kind,
        id: id(body[1]),
        code: text(body[2], "error code"),
        message: text(body[3], "error message"),
      };
    case Kind.Stream:
      arity(body, 5, "STREAM");
      return {
        kind,
        id: id(body[1]),
        op: text(body[2], "op"),
        args: list(body[3], "args"),
        credit: count(body[4], "credit"),
      };
    case Kind.Item:
      arity(body, 3, "ITEM");
      return { kind, id: id(body[1]), item: body[2] };
    case Kind.End:
    case Kind.Cancel:
      arity(body, 2, kind === Kind.End ? "END" : "CANCEL");
      return { kind, id: id(body[1]) };
    case Kind.Credit:
      arity(body, 3, "CREDIT");
      return { kind, id: id(body[1]), n: count(body[2], "credit") };
    case Kind.Push:
      arity(body, 3, "PUSH");
      return { kind, topic: text(body[1], "push topic"), payload: body[2] };
    default:
      return fail(`unknown message kind ${describeKind(kind)}`);
  }
}
