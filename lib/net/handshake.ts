/**
 * The hello exchange that opens every connection, before any request.
 *
 * The connecting side sends HELLO (magic, protocol version, role, agent, the largest frame it
 * accepts); the accepting side
 * answers WELCOME (its version, role, frame limit, a per-process id) or an ERROR with id 0 and
 * closes: not a typenet hello, another protocol version (the message names both), or no hello
 * in time. A server that demands a token adds one round between HELLO and WELCOME: it answers
 * a HELLO carrying the client's nonce with a CHALLENGE (its own nonce), the client sends its
 * PROOF, and the WELCOME carries the server's proof (see auth.ts). Nothing but these frames is
 * accepted before the WELCOME.
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
  AuthError,
  errorFromWire,
  FrameTooLarge,
  ProtocolError,
  TimeoutError,
  TypenetError,
  Unreachable,
  VersionMismatch,
} from "../wire/errors.ts";
import { type Hello, Kind, MAGIC, type Message, type Welcome } from "../wire/messages.ts";
import { checkProof, nonce, NONCE_BYTES, proofOf, type TokenKey } from "./auth.ts";
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
  /** Prove this token (and demand the server prove it too). */
  token?: TokenKey;
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
  const clientNonce = options.token ? nonce() : undefined;
  framed.send({
    kind: Kind.Hello,
    magic: MAGIC,
    version: PROTOCOL_VERSION,
    role: options.role,
    agent: AGENT,
    maxFrameBytes: framed.maxFrameBytes,
    nonce: clientNonce,
  });
  const deadline = Date.now() + options.timeoutMs;
  let answer = await answerTo(framed, options, deadline);
  if (answer.kind === Kind.Challenge) {
    if (!options.token || !clientNonce) {
      throw new ProtocolError(`${options.label} sent a CHALLENGE to a hello without a nonce`);
    }
    if (answer.nonce.length !== NONCE_BYTES) {
      throw new ProtocolError(`${options.label} sent a nonce of ${answer.nonce.length} bytes`);
    }
    const serverNonce = answer.nonce;
    framed.send({
      kind: Kind.Proof,
      proof: await proofOf(options.token, "client", clientNonce, serverNonce),
    });
    answer = await answerTo(framed, options, deadline);
    if (answer.kind !== Kind.Welcome) {
      throw new ProtocolError(
        `${options.label} answered the proof with message kind ${answer.kind}`,
      );
    }
    const proven = answer.proof !== undefined &&
      await checkProof(options.token, "server", clientNonce, serverNonce, answer.proof);
    if (!proven) {
      throw new AuthError(`${options.label} could not prove it holds the token: not our server`);
    }
  } else if (answer.kind !== Kind.Welcome) {
    throw new ProtocolError(`${options.label} answered the hello with message kind ${answer.kind}`);
  } else if (options.token) {
    throw new AuthError(
      `${options.label} does not ask for a token, so it cannot prove it is the server that ` +
        `holds ours; start it with the same token (--token-file), or connect without one`,
    );
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

/** The server's next handshake frame: an ERROR is thrown as its typed error. */
async function answerTo(
  framed: FramedConn,
  options: HelloOptions,
  deadline: number,
): Promise<Message> {
  const answer = await withDeadline(
    framed.read(),
    Math.max(1, deadline - Date.now()),
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
    // The server went away (it stopped, or it refused this address): nothing was asked of it.
    throw new Unreachable(`${options.label} closed the connection during the hello`);
  }
  if (answer.kind === Kind.Error) throw errorFromWire(answer.code, answer.message);
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
  /** Time the client has to send its hello (and its proof). */
  timeoutMs: number;
  /** Demand one of these tokens; none: no token round. */
  auth?: ServerAuth;
  /** Announced in the WELCOME (the server closes connections idle this long). */
  idleTimeoutMs?: number;
}

/** The tokens a server accepts. */
export interface ServerAuth {
  /** Grants `"user"` access. */
  token?: TokenKey;
  /** Grants `"admin"` access: the user operations and the admin ones. */
  adminToken?: TokenKey;
}

/** A hello that passed, and what the client proved. */
export interface Greeted {
  hello: Hello;
  /** `"admin"`, `"user"`, or `"open"` when the server demands no token. */
  access: "admin" | "user" | "open";
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
export async function awaitHello(framed: FramedConn, options: WelcomeOptions): Promise<Greeted> {
  try {
    const deadline = Date.now() + options.timeoutMs;
    const next = () =>
      withDeadline(
        framed.read(),
        Math.max(1, deadline - Date.now()),
        () => new TimeoutError(`no hello within ${options.timeoutMs} ms`),
      );
    const hello = await next();
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
    let access: Greeted["access"] = "open";
    let proof: Uint8Array | undefined;
    const auth = options.auth;
    if (auth && (auth.token || auth.adminToken)) {
      if (hello.nonce === undefined) {
        throw new AuthError(
          "this server requires a token: set TYPENET_TOKEN or pass --token-file (library: token)",
        );
      }
      if (hello.nonce.length !== NONCE_BYTES) {
        throw new ProtocolError(`the hello's nonce must be ${NONCE_BYTES} bytes`);
      }
      const clientNonce = hello.nonce.slice();
      const serverNonce = nonce();
      framed.send({ kind: Kind.Challenge, nonce: serverNonce });
      const answer = await next();
      if (answer === null) throw new ProtocolError("connection closed before the proof");
      if (answer.kind !== Kind.Proof) {
        throw new ProtocolError("expected a PROOF after the CHALLENGE");
      }
      for (const [grant, key] of [["user", auth.token], ["admin", auth.adminToken]] as const) {
        if (key && await checkProof(key, "client", clientNonce, serverNonce, answer.proof)) {
          access = grant;
          proof = await proofOf(key, "server", clientNonce, serverNonce);
          break;
        }
      }
      if (!proof) throw new AuthError("wrong token");
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
      proof,
      access: proof ? access : undefined,
      idleTimeoutMs: options.idleTimeoutMs,
    });
    return { hello, access };
  } catch (error) {
    if (error instanceof TypenetError) {
      framed.send({ kind: Kind.Error, id: 0, code: error.code, message: error.message });
    }
    throw error;
  }
}
