/**
 * What the fuzzer does to a server, one *case* at a time: raw and truncated bytes, length
 * headers over the limit or trickled a byte at a time, broken hellos, every message kind with
 * wrong ids, arities and types, the role's own operations with random arguments, stream
 * credit and cancels for ids nobody opened, deep and wide structures up to the frame limit,
 * clients that never read, connections dropped in the middle of an answer.
 *
 * A case is made from a seeded random source alone, so case N of seed S is the same case on
 * every run (that is how a failure is replayed). Whatever the server answers must be valid
 * frames with a documented error code; anything else fails the case.
 *
 * @example
 * ```ts
 * import { makeCase } from "./fuzz_cases.ts";
 * import { seededRandom } from "./random.ts";
 * const fuzzCase = makeCase(seededRandom(1), target);
 * console.log(fuzzCase.describe);
 * await fuzzCase.run();
 * ```
 * @module
 */
import { encodeMessageShared } from "../../lib/wire/codec.ts";
import { ErrorCode } from "../../lib/wire/errors.ts";
import { Kind, MAGIC, parseMessage } from "../../lib/wire/messages.ts";
import { PROTOCOL_VERSION } from "../../lib/version.ts";
import {
  deepArrays,
  deepMaps,
  framed,
  lyingArray,
  manyKeys,
  pingWith,
  wideArray,
} from "./hostile_frames.ts";
import { RawClient } from "./raw_client.ts";
import { isDisconnect } from "../../lib/net/disconnect.ts";

/** The server a fuzzer attacks, and what its role understands. */
export interface FuzzTarget {
  /** `host:port`. */
  address: string;
  /** The server's frame limit after the hello. */
  maxFrameBytes: number;
  /** The role's request operations (the transport's own are added). */
  requestOps: string[];
  /** The role's stream operations. */
  streamOps: string[];
  /** Names the role's objects go by (list names, say): random arguments use them. */
  names: string[];
  /** Other arguments the role's operations take (layouts, say). */
  samples: unknown[];
  /** PUSH topics the role takes, with payloads to send under them (valid and not). */
  pushes?: { topic: string; payloads: unknown[] }[];
}

/** One thing done to the server. */
export interface FuzzCase {
  /** The kind of case. */
  kind: string;
  /** What exactly it sends, in a line. */
  describe: string;
  /** Do it; rejects if the server answered something invalid. */
  run(): Promise<void>;
}

type Random = () => number;

/** Longest any one case waits for an answer before moving on. */
const ANSWER_MS = 500;
/** Longest a valid hello may wait for its WELCOME (stalls are the probe's to judge). */
const WELCOME_MS = 5_000;
const ERROR_CODES = new Set<string>(Object.values(ErrorCode));
/** A server never sends an error text longer than this (PROTOCOL.md §7). */
const MAX_ERROR_CHARS = 4097;

const builders: [string, number, (random: Random, target: FuzzTarget) => Omit<FuzzCase, "kind">][] =
  [
    ["garbage", 1, garbage],
    ["truncated", 1, truncated],
    ["oversized", 1, oversized],
    ["trickled", 1, trickled],
    ["broken-hello", 2, brokenHello],
    ["bad-message", 3, badMessage],
    ["random-op", 6, randomOp],
    ["random-stream", 3, randomStream],
    ["hostile-structure", 1, hostileStructure],
    ["never-reads", 1, neverReads],
    ["push", 3, push],
    ["dropped-mid-answer", 1, droppedMidAnswer],
  ];
const totalWeight = builders.reduce((sum, [, weight]) => sum + weight, 0);

/**
 * The next case from `random`, for `target`.
 *
 * @example
 * ```ts
 * import { makeCase } from "./fuzz_cases.ts";
 * // const fuzzCase = makeCase(random, target); await fuzzCase.run();
 * ```
 */
export function makeCase(random: Random, target: FuzzTarget): FuzzCase {
  let roll = random() * totalWeight;
  for (const [kind, weight, build] of builders) {
    roll -= weight;
    if (roll < 0) return { kind, ...build(random, target) };
  }
  throw new Error("unreachable");
}

// ---------------------------------------------------------------- the cases

function garbage(random: Random, target: FuzzTarget) {
  const bytes = randomBytes(random, 1 + int(random, 4096));
  return {
    describe: `${bytes.length} random bytes, no hello (first ${hex(bytes.subarray(0, 8))})`,
    run: () =>
      session(target, async (raw) => {
        await raw.write(bytes);
        await drain(raw);
      }),
  };
}

function truncated(random: Random, target: FuzzTarget) {
  const announced = 1 + int(random, 100_000);
  const sent = int(random, Math.min(announced, 5_000));
  const hello = random() < 0.5;
  return {
    describe: `${
      hello ? "hello, then " : ""
    }a header of ${announced} bytes, ${sent} sent, then EOF`,
    run: () =>
      session(target, async (raw) => {
        if (hello) await greet(raw);
        await raw.write(framed(randomBytes(random, announced)).subarray(0, 4 + sent));
        await raw.closeWrite();
        await drain(raw);
      }),
  };
}

function oversized(random: Random, target: FuzzTarget) {
  const hello = random() < 0.5;
  const limit = hello ? target.maxFrameBytes : 64 * 1024;
  const length = limit + 1 + int(random, 0xffff_ffff - limit - 1);
  return {
    describe: `${hello ? "hello, then " : ""}a header announcing ${length} bytes`,
    run: () =>
      session(target, async (raw) => {
        if (hello) await greet(raw);
        const header = new Uint8Array(4);
        new DataView(header.buffer).setUint32(0, length);
        await raw.write(header);
        await drain(raw);
      }),
  };
}

function trickled(random: Random, target: FuzzTarget) {
  const gapMs = 1 + int(random, 20);
  const extra = randomBytes(random, int(random, 16));
  return {
    describe: `a hello a byte at a time, ${gapMs} ms apart, then ${extra.length} random bytes`,
    run: () =>
      session(target, async (raw) => {
        const hello = framed(encodeMessageShared(helloBody({})).slice());
        for (const byte of [...hello, ...extra].slice(0, 300 / gapMs + 4)) {
          await raw.write(new Uint8Array([byte]));
          await new Promise((resume) => setTimeout(resume, gapMs));
        }
        await drain(raw);
      }),
  };
}

function brokenHello(random: Random, target: FuzzTarget) {
  const field = pick(random, ["magic", "version", "role", "agent", "maxFrameBytes", "kind"]);
  const value = randomValue(random, target, 2);
  const body = field === "kind"
    ? [pick(random, [Kind.Request, Kind.Welcome, 99, "0", null]), helloBody({})[1]]
    : helloBody({ [field]: value });
  return {
    describe: `a hello with ${field} = ${short(value)}`,
    run: () =>
      session(target, async (raw) => {
        await raw.send(body);
        await drain(raw);
      }),
  };
}

function badMessage(random: Random, target: FuzzTarget) {
  const kind = pick(random, [...Object.values(Kind), -1, 11, 255, "2", null, 2.5]);
  const arity = int(random, 7);
  const body = [kind, ...Array.from({ length: arity }, () => randomField(random, target))];
  return {
    describe: `after a hello: ${short(body)}`,
    run: () =>
      session(target, async (raw) => {
        await greet(raw);
        await raw.send(body);
        await drain(raw);
      }),
  };
}

function randomOp(random: Random, target: FuzzTarget) {
  const ops = [...target.requestOps, "ping", "server.stats"];
  const role = pick(random, ["client", "peer"]);
  const limit = pick(random, [undefined, 1024, 4096]);
  const count = 1 + int(random, 8);
  const requests = Array.from({ length: count }, (_, k) => {
    const op = random() < 0.9
      ? pick(random, ops)
      : pick(random, ["", "__proto__", "toString", "x.y"]);
    const args = Array.from({ length: int(random, 5) }, () => randomValue(random, target, 3));
    return [Kind.Request, 2 * k + 1, op, args];
  });
  return {
    describe: `as ${role}${limit ? ` (limit ${limit})` : ""}: ${short(requests)}`,
    run: () =>
      session(target, async (raw) => {
        await greet(raw, { role, ...(limit ? { maxFrameBytes: limit } : {}) });
        for (const request of requests) await raw.send(request);
        await drain(raw, requests.length);
      }),
  };
}

function randomStream(random: Random, target: FuzzTarget) {
  const op = pick(random, [...target.streamOps, "ping", "nothing"]);
  const args = Array.from({ length: int(random, 6) }, () => randomValue(random, target, 2));
  const credit = pick(random, [0, 1, 2, 1000, 2 ** 31, Number.MAX_SAFE_INTEGER]);
  const control = Array.from({ length: int(random, 6) }, () =>
    [
      pick(random, [Kind.Credit, Kind.Cancel]),
      pick(random, [1, 3, 5, 2, 0, 99]),
      pick(random, [1, 0, 2 ** 40]),
    ].slice(0, random() < 0.5 ? 2 : 3));
  return {
    describe: `STREAM ${op} ${short(args)} credit ${credit}, then ${short(control)}`,
    run: () =>
      session(target, async (raw) => {
        await greet(raw);
        await raw.send([Kind.Stream, 1, op, args, credit]);
        for (const message of control) await raw.send(message);
        await drain(raw, 4);
      }),
  };
}

function hostileStructure(random: Random, target: FuzzTarget) {
  const size = 16 + int(random, Math.min(target.maxFrameBytes, 16 << 20) - 32);
  const shape = pick(random, ["deep arrays", "deep maps", "many keys", "tiny ints", "empty maps"]);
  const build = (): Uint8Array => {
    switch (shape) {
      case "deep arrays":
        return random() < 0.5 ? deepArrays(size) : pingWith(deepArrays(size - 16));
      case "deep maps":
        return deepMaps(size);
      case "many keys":
        return manyKeys(Math.floor(size / 8));
      case "tiny ints":
        return wideArray(Math.max(6, size), 0x01);
      default:
        return random() < 0.5 ? wideArray(Math.max(6, size), 0x80) : lyingArray(size * 2);
    }
  };
  return {
    describe: `${shape}, about ${size} bytes`,
    run: () =>
      session(target, async (raw) => {
        await greet(raw);
        await raw.write(framed(build()));
        await drain(raw);
      }),
  };
}

function push(random: Random, target: FuzzTarget) {
  const topics = target.pushes ?? [];
  const chosen = topics.length > 0 && random() < 0.8 ? pick(random, topics) : undefined;
  const topic = chosen?.topic ?? pick(random, ["", "x", "swim", "__proto__"]);
  const count = 1 + int(random, 6);
  const payloads = Array.from(
    { length: count },
    () => chosen && random() < 0.7 ? pick(random, chosen.payloads) : randomValue(random, target, 3),
  );
  return {
    describe: `PUSH ${topic}: ${short(payloads)}`,
    run: () =>
      session(target, async (raw) => {
        await greet(raw, { role: pick(random, ["client", "node", "peer"]) });
        for (const payload of payloads) await raw.send([Kind.Push, topic, payload]);
        await raw.send([Kind.Request, 1, "ping", []]);
        await drain(raw, 2);
      }),
  };
}

function neverReads(random: Random, target: FuzzTarget) {
  const count = 50 + int(random, 500);
  const name = pick(random, target.names);
  return {
    describe: `${count} pings and range streams of '${name}', never reading`,
    run: () =>
      session(target, async (raw) => {
        await greet(raw);
        for (let k = 0; k < count; k++) {
          await raw.send(
            k % 2 === 0
              ? [Kind.Request, 2 * k + 1, "ping", []]
              : [Kind.Stream, 2 * k + 1, target.streamOps[0] ?? "nothing", [name, 0, 1e9, 1], 1e6],
          );
        }
        await new Promise((resume) => setTimeout(resume, int(random, 300)));
      }),
  };
}

function droppedMidAnswer(random: Random, target: FuzzTarget) {
  const name = pick(random, target.names);
  const after = int(random, 3);
  return {
    describe: `a range of '${name}' and 100 pings, closed after ${after} answers`,
    run: () =>
      session(target, async (raw) => {
        await greet(raw);
        await raw.send([Kind.Stream, 1, target.streamOps[0] ?? "nothing", [name, 0, 1e9, 1], 64]);
        for (let k = 1; k <= 100; k++) await raw.send([Kind.Request, 2 * k + 1, "ping", []]);
        for (let k = 0; k < after; k++) await raw.readWithin(ANSWER_MS);
      }),
  };
}

// ---------------------------------------------------------------- shared by the cases

/** Run `work` on a fresh raw connection, which is closed afterwards whatever happens. */
async function session(target: FuzzTarget, work: (raw: RawClient) => Promise<void>) {
  const raw = await RawClient.connect(target.address);
  try {
    await work(raw);
  } catch (error) {
    // The server closing on a bad client is a fine answer; an invalid frame is not.
    if (!isDisconnect(error)) throw error;
  } finally {
    raw.close();
  }
}

function helloBody(fields: Record<string, unknown>): unknown[] {
  return [Kind.Hello, {
    magic: MAGIC,
    version: PROTOCOL_VERSION,
    role: "client",
    agent: "fuzzer",
    maxFrameBytes: 64 * 1024 * 1024,
    ...fields,
  }];
}

async function greet(raw: RawClient, fields: Record<string, unknown> = {}): Promise<void> {
  await raw.send(helloBody(fields));
  const answer = await raw.readWithin(WELCOME_MS);
  if (answer === "timeout") throw new Error("no answer to a valid hello");
  if (answer === null) throw new Error("the server closed the connection on a valid hello");
  checkFrame(answer);
  if (answer[0] !== Kind.Welcome) throw new Error(`a valid hello got ${short(answer)}`);
}

/** Read what the server sends (at most `count` frames) until it closes or goes quiet. */
async function drain(raw: RawClient, count = 2): Promise<void> {
  for (let k = 0; k < count; k++) {
    const answer = await raw.readWithin(ANSWER_MS);
    if (answer === "timeout" || answer === null) return;
    checkFrame(answer);
  }
}

/** Every frame a server sends is a valid message; its errors carry documented codes. */
function checkFrame(body: unknown[]): void {
  const message = parseMessage(body);
  if (message.kind === Kind.Error) {
    if (!ERROR_CODES.has(message.code)) throw new Error(`undocumented error code ${message.code}`);
    if (message.message.length > MAX_ERROR_CHARS) {
      throw new Error(`an error text of ${message.message.length} characters`);
    }
  }
}

/** A random msgpack value of the kinds operations take, nested at most `depth` deep. */
function randomValue(random: Random, target: FuzzTarget, depth: number): unknown {
  const roll = int(random, depth > 0 ? 14 : 11);
  switch (roll) {
    case 0:
      return pick(random, target.names);
    case 1:
      return pick(random, target.samples);
    case 2:
      return pick(random, [0, 1, -1, 7, 2 ** 31, 2 ** 32, 2 ** 53 - 1, -(2 ** 53) + 1, 1.5, NaN]);
    case 3:
      return pick(random, ["", "x", "é", "x".repeat(2000), "\u0000"]);
    case 4:
      return randomBytes(random, int(random, 40));
    case 5: { // a value batch, right or wrong
      const count = 1 + int(random, 20);
      const lengths = Array.from({ length: count }, () => 1 + int(random, 4));
      const bytes = new Uint8Array(lengths.reduce((a, b) => a + b, 0) + pick(random, [0, 0, 1]));
      bytes.fill(0xc0);
      return [bytes, random() < 0.8 ? lengths : [...lengths, pick(random, [0, -1, 1.5])]];
    }
    case 6:
      return null;
    case 7:
      return random() < 0.5;
    case 8:
      return pick(random, [Infinity, -Infinity, -0, 2 ** 64, 1e300]);
    case 9:
      return int(random, 100);
    case 10:
      return pick(random, [[], {}, [[]], { nodes: [] }]);
    case 11:
      return Array.from({ length: int(random, 4) }, () => randomValue(random, target, depth - 1));
    case 12:
      return Object.fromEntries(
        Array.from(
          { length: int(random, 4) },
          (
            _,
            k,
          ) => [
            pick(random, ["nodes", "partitionSize", `f${k}`]),
            randomValue(random, target, depth - 1),
          ],
        ),
      );
    default:
      return [randomValue(random, target, depth - 1), randomValue(random, target, depth - 1)];
  }
}

/** A field of a malformed message: ids, kinds and values of every wrong type. */
function randomField(random: Random, target: FuzzTarget): unknown {
  return random() < 0.4
    ? pick(random, [0, 1, 2, 3, -1, 2 ** 31, 2 ** 31 - 1, 1.5, "1", null, [], {}])
    : randomValue(random, target, 2);
}

function int(random: Random, below: number): number {
  return Math.floor(random() * below);
}

function pick<T>(random: Random, options: T[]): T {
  return options[int(random, options.length)];
}

function randomBytes(random: Random, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let k = 0; k < length; k++) bytes[k] = int(random, 256);
  return bytes;
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A value in at most ~200 characters, for case descriptions. */
function short(value: unknown): string {
  const text = JSON.stringify(
    value,
    (_, v) =>
      v instanceof Uint8Array
        ? `<${v.length} bytes>`
        : typeof v === "string" && v.length > 20
        ? `<${v.length} chars>`
        : typeof v === "number" && !Number.isFinite(v)
        ? String(v)
        : v,
  ) ?? String(value);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
