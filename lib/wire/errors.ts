/**
 * typenet's errors: one base class, `TypenetError`, and a subclass per documented wire code.
 *
 * Errors are data on the wire (`[code, message]`); {@link errorFromWire} turns a received code
 * back into the matching class, so a caller can `catch (e) { if (e instanceof IndexError) … }`
 * no matter which server raised it. Unknown codes become a plain `TypenetError`, so a newer
 * server never crashes an older client.
 *
 * @example
 * ```ts
 * import { errorFromWire, IndexError } from "./errors.ts";
 * const e = errorFromWire("INDEX_OUT_OF_RANGE", "index 7 out of range");
 * console.log(e instanceof IndexError); // true
 * ```
 * @module
 */

/** Every code typenet puts on the wire, with the class it maps to. */
export const ErrorCode = {
  Protocol: "PROTOCOL",
  VersionMismatch: "VERSION_MISMATCH",
  FrameTooLarge: "FRAME_TOO_LARGE",
  UnknownOperation: "UNKNOWN_OPERATION",
  BadArgument: "BAD_ARGUMENT",
  IndexOutOfRange: "INDEX_OUT_OF_RANGE",
  Unsupported: "UNSUPPORTED",
  NotFound: "NOT_FOUND",
  LayoutMismatch: "LAYOUT_MISMATCH",
  Auth: "AUTH",
  Unavailable: "UNAVAILABLE",
  Timeout: "TIMEOUT",
  Limit: "LIMIT",
  DataLost: "DATA_LOST",
  NoHandler: "NO_HANDLER",
  ClockSkew: "CLOCK_SKEW",
  Remote: "REMOTE",
  PoolFull: "POOL_FULL",
  Internal: "INTERNAL",
} as const;

/**
 * The base of every error typenet raises on purpose.
 *
 * @example
 * ```ts
 * import { TypenetError } from "./errors.ts";
 * try { throw new TypenetError("INTERNAL", "boom"); }
 * catch (e) { if (e instanceof TypenetError) console.log(e.code); } // "INTERNAL"
 * ```
 */
export class TypenetError extends Error {
  /** The wire code, e.g. `"INDEX_OUT_OF_RANGE"`. */
  readonly code: string;

  /** Make an error with a wire `code` and a human-readable `message`. */
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * The peer sent bytes that are not a valid typenet frame or message.
 *
 * @example
 * ```ts
 * import { ProtocolError } from "./errors.ts";
 * throw new ProtocolError("expected a hello frame");
 * ```
 */
export class ProtocolError extends TypenetError {
  /** Make the error; its code is `ErrorCode.Protocol`. */
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.Protocol, message, options);
  }
}

/**
 * The two ends speak different protocol versions; the message names both.
 *
 * @example
 * ```ts
 * import { VersionMismatch } from "./errors.ts";
 * throw new VersionMismatch("client speaks protocol 2, server speaks protocol 1");
 * ```
 */
export class VersionMismatch extends TypenetError {
  /** Make the error; its code is `ErrorCode.VersionMismatch`. */
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.VersionMismatch, message, options);
  }
}

/**
 * A frame exceeded the receiver's size limit; the connection is closed.
 *
 * @example
 * ```ts
 * import { FrameTooLarge } from "./errors.ts";
 * throw new FrameTooLarge("frame of 20971520 bytes exceeds the limit of 16777216");
 * ```
 */
export class FrameTooLarge extends TypenetError {
  /** Make the error; its code is `ErrorCode.FrameTooLarge`. */
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.FrameTooLarge, message, options);
  }
}

/**
 * The server has no operation by that name.
 *
 * @example
 * ```ts
 * import { UnknownOperation } from "./errors.ts";
 * throw new UnknownOperation("unknown operation 'list.frobnicate'");
 * ```
 */
export class UnknownOperation extends TypenetError {
  /** Make the error; its code is `ErrorCode.UnknownOperation`. */
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.UnknownOperation, message, options);
  }
}

/**
 * An argument has the wrong type or value (not an integer, not bytes, …).
 *
 * @example
 * ```ts
 * import { BadArgument } from "./errors.ts";
 * throw new BadArgument("index must be an integer, got string");
 * ```
 */
export class BadArgument extends TypenetError {
  /** Make the error; its code is `ErrorCode.BadArgument`. */
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.BadArgument, message, options);
  }
}

/**
 * An index is outside the list.
 *
 * @example
 * ```ts
 * import { IndexError } from "./errors.ts";
 * throw new IndexError("index 10 out of range for list 'a' of length 3");
 * ```
 */
export class IndexError extends TypenetError {
  /** Make the error; its code is `ErrorCode.IndexOutOfRange`. */
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.IndexOutOfRange, message, options);
  }
}

/**
 * The operation exists but is not supported in this form (e.g. deleting a middle item).
 *
 * @example
 * ```ts
 * import { UnsupportedOperation } from "./errors.ts";
 * throw new UnsupportedOperation("List only supports deleting the last item");
 * ```
 */
export class UnsupportedOperation extends TypenetError {
  /** Make the error; its code is `ErrorCode.Unsupported`. */
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.Unsupported, message, options);
  }
}

/**
 * The named object (a list, say) does not exist on that server.
 *
 * @example
 * ```ts
 * import { NotFound } from "./errors.ts";
 * throw new NotFound("list 'a' is not open on this server");
 * ```
 */
export class NotFound extends TypenetError {
  /** Make the error; its code is `ErrorCode.NotFound`. */
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.NotFound, message, options);
  }
}

/**
 * A list was opened with a layout (nodes, partition size) other than the one it was made with.
 *
 * @example
 * ```ts
 * import { LayoutMismatch } from "./errors.ts";
 * throw new LayoutMismatch("list 'a' exists with partitionSize 100, not 10");
 * ```
 */
export class LayoutMismatch extends TypenetError {
  /** Make the error; its code is `ErrorCode.LayoutMismatch`. */
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.LayoutMismatch, message, options);
  }
}

/**
 * Authentication failed or is required.
 *
 * @example
 * ```ts
 * import { AuthError } from "./errors.ts";
 * throw new AuthError("wrong token");
 * ```
 */
export class AuthError extends TypenetError {
  /** Make the error; its code is `ErrorCode.Auth`. */
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.Auth, message, options);
  }
}

/**
 * A server could not be reached or the connection to it was lost; the message names it.
 *
 * @example
 * ```ts
 * import { Unavailable } from "./errors.ts";
 * throw new Unavailable("127.0.0.1:4444 is unavailable: connection refused");
 * ```
 */
export class Unavailable extends TypenetError {
  /** Make the error; its code is `ErrorCode.Unavailable`. */
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.Unavailable, message, options);
  }
}

/**
 * A server could not be reached, so the call was never sent: unlike other {@link Unavailable}
 * errors (a connection lost mid-call, a timeout), it certainly had no effect. Its wire code is
 * `UNAVAILABLE`.
 *
 * @example
 * ```ts
 * import { Unavailable, Unreachable } from "./errors.ts";
 * const e = new Unreachable("127.0.0.1:4445 is unavailable: connection refused");
 * console.log(e instanceof Unavailable); // true
 * ```
 */
export class Unreachable extends Unavailable {}

/**
 * A server did not answer in time. A subclass of {@link Unavailable}: a server that does not
 * answer is, to the caller, unavailable.
 *
 * @example
 * ```ts
 * import { TimeoutError, Unavailable } from "./errors.ts";
 * const e = new TimeoutError("127.0.0.1:4444 did not answer list.len within 5000 ms");
 * console.log(e instanceof Unavailable); // true
 * ```
 */
export class TimeoutError extends Unavailable {
  /** Make a timeout error; its code is `TIMEOUT`. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    (this as { code: string }).code = ErrorCode.Timeout;
  }
}

/**
 * A server-side limit was hit (too many connections, say).
 *
 * @example
 * ```ts
 * import { LimitExceeded } from "./errors.ts";
 * throw new LimitExceeded("too many connections (limit 1024)");
 * ```
 */
export class LimitExceeded extends TypenetError {
  /** Make the error; its code is `ErrorCode.Limit`. */
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.Limit, message, options);
  }
}

/**
 * A server is missing items it should hold — typically it restarted and lost them (servers
 * without a data directory keep nothing across a restart). Nothing is silently overwritten.
 *
 * @example
 * ```ts
 * import { DataLost } from "./errors.ts";
 * throw new DataLost("list 'a' on 127.0.0.1:4445 is missing items before index 200");
 * ```
 */
export class DataLost extends TypenetError {
  /** Make the error; its code is `ErrorCode.DataLost`. */
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.DataLost, message, options);
  }
}

/**
 * A cluster member has no handler for the event a request named (as NATS's "no responders"):
 * the request fails at once instead of waiting for a timeout.
 *
 * @example
 * ```ts
 * import { NoHandler } from "./errors.ts";
 * throw new NoHandler("node 3f9a0c1b7d2e has no handler for 'sum'");
 * ```
 */
export class NoHandler extends TypenetError {
  /** Make the error; its code is `ErrorCode.NoHandler`. */
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.NoHandler, message, options);
  }
}

/**
 * A timestamp from a clock too far ahead of the receiver's was refused (a replicated value's
 * last-writer-wins clock; see `ValueNode`).
 *
 * @example
 * ```ts
 * import { ClockSkew } from "./errors.ts";
 * throw new ClockSkew("a clock 3600000 ms ahead of this node's was refused");
 * ```
 */
export class ClockSkew extends TypenetError {
  /** Make the error; its code is `ErrorCode.ClockSkew`. */
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.ClockSkew, message, options);
  }
}

/**
 * A gateway subroutine threw: the message is its message (prefixed by its error's name). The
 * handler carries on.
 *
 * @example
 * ```ts
 * import { RemoteError } from "./errors.ts";
 * throw new RemoteError("mountUsage failed: RangeError: no such mount");
 * ```
 */
export class RemoteError extends TypenetError {
  /** Make the error; its code is `ErrorCode.Remote`. */
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.Remote, message, options);
  }
}

/**
 * Every handler of a gateway's pool is taken (by `getClient()` without `wait`, or after it).
 *
 * @example
 * ```ts
 * import { PoolFullError } from "./errors.ts";
 * throw new PoolFullError("all 5 handlers are in use");
 * ```
 */
export class PoolFullError extends TypenetError {
  /** Make the error; its code is `ErrorCode.PoolFull`. */
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.PoolFull, message, options);
  }
}

/**
 * The server failed in a way it did not expect; the message says what it saw.
 *
 * @example
 * ```ts
 * import { InternalError } from "./errors.ts";
 * throw new InternalError("unexpected failure");
 * ```
 */
export class InternalError extends TypenetError {
  /** Make the error; its code is `ErrorCode.Internal`. */
  constructor(message: string, options?: ErrorOptions) {
    super(ErrorCode.Internal, message, options);
  }
}

const classByCode: Record<string, new (message: string) => TypenetError> = {
  [ErrorCode.Protocol]: ProtocolError,
  [ErrorCode.VersionMismatch]: VersionMismatch,
  [ErrorCode.FrameTooLarge]: FrameTooLarge,
  [ErrorCode.UnknownOperation]: UnknownOperation,
  [ErrorCode.BadArgument]: BadArgument,
  [ErrorCode.IndexOutOfRange]: IndexError,
  [ErrorCode.Unsupported]: UnsupportedOperation,
  [ErrorCode.NotFound]: NotFound,
  [ErrorCode.LayoutMismatch]: LayoutMismatch,
  [ErrorCode.Auth]: AuthError,
  [ErrorCode.Unavailable]: Unavailable,
  [ErrorCode.Timeout]: TimeoutError,
  [ErrorCode.Limit]: LimitExceeded,
  [ErrorCode.DataLost]: DataLost,
  [ErrorCode.NoHandler]: NoHandler,
  [ErrorCode.ClockSkew]: ClockSkew,
  [ErrorCode.Remote]: RemoteError,
  [ErrorCode.PoolFull]: PoolFullError,
  [ErrorCode.Internal]: InternalError,
};

/**
 * Turn a wire `[code, message]` into the matching error class.
 *
 * @example
 * ```ts
 * import { errorFromWire } from "./errors.ts";
 * errorFromWire("NOT_FOUND", "list 'a' is not open").name; // "NotFound"
 * ```
 */
export function errorFromWire(code: string, message: string): TypenetError {
  const ErrorClass = Object.hasOwn(classByCode, code) ? classByCode[code] : undefined;
  return ErrorClass ? new ErrorClass(message) : new TypenetError(code, message);
}

/**
 * The `[code, message]` to send for any thrown value. Errors that are not a `TypenetError`
 * become `INTERNAL` with their message: the stack never crosses the wire.
 *
 * @example
 * ```ts
 * import { errorToWire, IndexError } from "./errors.ts";
 * errorToWire(new IndexError("too far")); // ["INDEX_OUT_OF_RANGE", "too far"]
 * ```
 */
export function errorToWire(error: unknown): [string, string] {
  if (error instanceof TypenetError) return [error.code, error.message];
  const message = error instanceof Error ? error.message : String(error);
  return [ErrorCode.Internal, message];
}

/** The most characters of a peer's text that an error message repeats. */
const EXCERPT_CHARS = 64;

/**
 * A peer's text as an error message may quote it: whole if short, else its start and its
 * length — an error never repeats attacker-sized input.
 *
 * @example
 * ```ts
 * import { excerpt } from "./errors.ts";
 * excerpt("a:1"); // "'a:1'"
 * excerpt("x".repeat(1000)); // "'xxxx…' (1000 characters)" (64 of them shown)
 * ```
 */
export function excerpt(text: string): string {
  if (text.length <= EXCERPT_CHARS) return `'${text}'`;
  return `'${text.slice(0, EXCERPT_CHARS)}…' (${text.length} characters)`;
}
