/**
 * What a session answers: request handlers (one answer each) and stream handlers (a run of
 * items). Roles (the list server, a cluster node, the gateway) describe their operations with
 * {@link defineHandlers}; the session does the rest: ids, errors, credit, cancellation.
 *
 * Lookups go through `Map`s built once, so an operation named `toString` or `__proto__` is
 * simply unknown rather than a property of `Object.prototype`.
 *
 * @example
 * ```ts
 * import { defineHandlers } from "./handlers.ts";
 * const handlers = defineHandlers({
 *   requests: { "echo": (args) => args[0] },
 *   streams: { "count": function* (args) { for (let i = 0; i < Number(args[0]); i++) yield i; } },
 * });
 * ```
 * @module
 */
import { AuthError } from "../wire/errors.ts";
import type { Session } from "./session.ts";

/** What a handler knows about the call it serves. */
export interface CallContext {
  /** The session the call arrived on (to push messages back, say). */
  readonly session: Session;
  /** Aborted when the caller cancels (streams) or the connection closes. */
  readonly signal: AbortSignal;
}

/** Answers one request; may return a value or a promise of one, or throw a `TypenetError`. */
export type RequestHandler = (args: unknown[], call: CallContext) => unknown;

/** Produces a stream's items; the session pulls only as fast as the consumer grants credit. */
export type StreamHandler = (
  args: unknown[],
  call: CallContext,
) => Iterable<unknown> | AsyncIterable<unknown>;

/** Operations as a user writes them. */
export interface HandlerSpec {
  /** Operations answered once, by name. */
  requests?: Record<string, RequestHandler>;
  /** Operations answered with a stream, by name. */
  streams?: Record<string, StreamHandler>;
}

/** Operations ready for dispatch. */
export interface Handlers {
  /** Request handlers by operation name. */
  readonly requests: ReadonlyMap<string, RequestHandler>;
  /** Stream handlers by operation name. */
  readonly streams: ReadonlyMap<string, StreamHandler>;
}

/**
 * Build a dispatch table from plain objects of handlers.
 *
 * @example
 * ```ts
 * import { defineHandlers } from "./handlers.ts";
 * defineHandlers({ requests: { ping: () => "pong" } }).requests.get("ping"); // the handler
 * ```
 */
export function defineHandlers(spec: HandlerSpec): Handlers {
  return {
    requests: new Map(Object.entries(spec.requests ?? {})),
    streams: new Map(Object.entries(spec.streams ?? {})),
  };
}

/**
 * Merge several tables into one; a later table's operation replaces an earlier one's.
 *
 * @example
 * ```ts
 * import { defineHandlers, mergeHandlers } from "./handlers.ts";
 * const both = mergeHandlers(
 *   defineHandlers({ requests: { a: () => 1 } }),
 *   defineHandlers({ requests: { b: () => 2 } }),
 * );
 * ```
 */
export function mergeHandlers(...tables: Handlers[]): Handlers {
  return {
    requests: new Map(tables.flatMap((t) => [...t.requests])),
    streams: new Map(tables.flatMap((t) => [...t.streams])),
  };
}

/** No operations: a pure client. */
export const NO_HANDLERS: Handlers = defineHandlers({});

/**
 * Refuse `op` unless the caller proved the admin token (or the server demands no token at
 * all): throws `AuthError` naming the operation.
 *
 * @example
 * ```ts
 * import { adminOnly, defineHandlers } from "./handlers.ts";
 * defineHandlers({ requests: { "x.drop": (_args, call) => { adminOnly("x.drop", call); return 0; } } });
 * ```
 */
export function adminOnly(op: string, call: CallContext): void {
  if (call.session.access === "user") {
    throw new AuthError(`${op} needs the admin token (this connection proved the user token)`);
  }
}
