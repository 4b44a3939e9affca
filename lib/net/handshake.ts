/**
 * The hello exchange that opens every connection, before any request.
 *
 * The connecting side sends HELLO (magic, protocol version, role, agent, the largest frame it
 * accepts); the accepting side
 * answers WELCOME (its version, role, frame limit, a per-process id) or an ERROR with id 0 and
 * closes: not a typenet hello, another protocol version (the message names both), or no hello
 * in time. Authentication (a token proven by HMAC challenge-response) will add one round here,
 * between HELLO and WELCOME, without changing anything above this module.
 *
 * @example
 * ```ts
 * import { FramedConn } from "./framed_conn.ts";
 * import { sayHello } from "./handshake.ts";
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: 4444 });
 * const framed = new FramedConn(conn, 16 * 1024 * 1024);
 * const welcome = await sayHello(framed, { role: "client", timeoutMs: 5000, label: "127.0.0.1:4444" });
 * console.log(welcome.role); // "list-server"
 * ```
 * @module
 */
import {
  errorFromWire,
  FrameTooLarge,
  ProtocolError,
  TimeoutError,
  TypenetError,
  VersionMismatch,
} from "../wire/errors.ts";
import { type Hello, Kind, MAGIC, type Welcome } from "../wire/messages.ts";
import { PROTOCOL_VERSION, VERSION } from "../version.ts";
import { withDeadline } from "./deadline.ts";
import type { FramedConn } from "./framed_conn.ts";

/** The smallest frame limit a side may announce: every hello and welcome fits in it. */
export const MIN_FRAME_LIMIT = 1024;

/** The software name sent in hellos. */
export const AGENT = `typenet/${VERSION}`;

/** The connecting side's part. */
export interface HelloOptions {
  /** `"client"` for users, `"peer"` for server-to-server links. */
  role: string;
  /** Time for the answer. */
  timeoutMs: number;
  /** The server as the user named it, for messages. */
  label: string;
}

/**
 * Send HELLO and wait for WELCOME. Learns the server's frame limit. Throws the server's
 * typed error (`VersionMismatch`, …), `ProtocolError`, or `TimeoutError`.
 *
 * @example
 * ```ts
 * import { sayHello } from "./handshake.ts";
 * // const welcome = await sayHello(framed, { role: "client", timeoutMs: 5000, label });
 * ```
 */
export async function sayHello(framed: FramedConn, options: HelloOptions): Promise<Welcome> {
  framed.send({
    kind: Kind.Hello,
    magic: MAGIC,
    version: PROTOCOL_VERSION,
    role: options.role,
    agent: AGENT,
    maxFrameBytes: framed.maxFrameBytes,
  });
  const answer = await withDeadline(
    framed.read(),
    options.timeoutMs,
    () =>
      new TimeoutError(`${options.label} did not answer the hello within ${options.timeoutMs} ms`),
  ).catch((error) => {
    // Something answered, but not in typenet frames (an HTTP server, say).
    if (error instanceof FrameTooLarge || error instanceof ProtocolError) {
      throw new ProtocolError(`${options.label} is not a typenet server (${error.message})`);
    }
    throw error;
  });
  if (answer === null) {
    throw new ProtocolError(`${options.label} closed the connection during the hello`);
  }
  if (answer.kind === Kind.Error) throw errorFromWire(answer.code, answer.message);
  if (answer.kind !== Kind.Welcome) {
    throw new ProtocolError(`${options.label} answered the hello with message kind ${answer.kind}`);
  }
  if (answer.version !== PROTOCOL_VERSION) {
    throw new VersionMismatch(
      `${options.label} speaks protocol ${answer.version}, this client speaks protocol ` +
        `${PROTOCOL_VERSION}`,
    );
  }
  if (answer.maxFrameBytes < MIN_FRAME_LIMIT) {
    throw new ProtocolError(`${options.label} announced a frame limit below ${MIN_FRAME_LIMIT}`);
  }
  framed.peerMaxFrameBytes = answer.maxFrameBytes;
  return answer;
}

/** The accepting side's part. */
export interface WelcomeOptions {
  /** What this server is, e.g. `"list-server"`. */
  role: string;
  /** The frame limit to announce (and enforce after the hello). */
  maxFrameBytes: number;
  /** This process's random id. */
  serverId: string;
  /** Time the client has to send its hello. */
  timeoutMs: number;
}

/**
 * Wait for a HELLO, check it, answer WELCOME. On a bad or missing hello, send an ERROR
 * (id 0) and throw it; the caller closes the connection.
 *
 * @example
 * ```ts
 * import { awaitHello } from "./handshake.ts";
 * // const hello = await awaitHello(framed, { role: "list-server", maxFrameBytes, serverId, timeoutMs });
 * ```
 */
export async function awaitHello(framed: FramedConn, options: WelcomeOptions): Promise<Hello> {
  try {
    const hello = await withDeadline(
      framed.read(),
      options.timeoutMs,
      () => new TimeoutError(`no hello within ${options.timeoutMs} ms`),
    );
    if (hello === null) throw new ProtocolError("connection closed before the hello");
    if (hello.kind !== Kind.Hello || hello.magic !== MAGIC) {
      throw new ProtocolError("expected a typenet hello as the first frame");
    }
    if (hello.version !== PROTOCOL_VERSION) {
      throw new VersionMismatch(
        `${
          hello.role || "the client"
        } speaks protocol ${hello.version}, this server speaks protocol ` +
          `${PROTOCOL_VERSION}`,
      );
    }
    if (hello.role === "") throw new ProtocolError("the hello must name a role");
    if (hello.maxFrameBytes < MIN_FRAME_LIMIT) {
      throw new ProtocolError(
        `the hello must announce a maxFrameBytes of ${MIN_FRAME_LIMIT} or more`,
      );
    }
    framed.maxFrameBytes = options.maxFrameBytes;
    framed.peerMaxFrameBytes = hello.maxFrameBytes;
    framed.send({
      kind: Kind.Welcome,
      version: PROTOCOL_VERSION,
      role: options.role,
      agent: AGENT,
      maxFrameBytes: options.maxFrameBytes,
      serverId: options.serverId,
    });
    return hello;
  } catch (error) {
    if (error instanceof TypenetError) {
      framed.send({ kind: Kind.Error, id: 0, code: error.code, message: error.message });
    }
    throw error;
  }
}
