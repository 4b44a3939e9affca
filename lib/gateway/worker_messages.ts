/**
 * What the gateway's main thread and its handler Workers say to each other. User values never
 * get decoded on the main thread: arguments, results and stream payloads cross as the bytes
 * clients sent and will receive (`encodeValue` form), in ArrayBuffers that are transferred,
 * not copied.
 *
 * @example
 * ```ts
 * import type { ToWorker } from "./worker_messages.ts";
 * const message: ToWorker = { t: "more", id: 3, n: 16 };
 * ```
 * @module
 */

/** What a subroutine module exports, by name: a function, or a generator (a stream). */
export type SubroutineKind = "function" | "generator";

/** From the main thread to a handler Worker. */
export type ToWorker =
  /** Import the subroutine module. */
  | { t: "load"; url: string }
  /** Call `name` with `args` (an encoded array), and `buffer` as `{ buffer }` if given. */
  | { t: "call"; id: number; name: string; args: ArrayBuffer; buffer?: ArrayBuffer }
  /** Start the generator `name` with `args`; it runs only as far as `more` allows. */
  | { t: "open"; id: number; name: string; args: ArrayBuffer }
  /** Stream `id` may produce `n` more items. */
  | { t: "more"; id: number; n: number }
  /** Stop stream `id` (its `finally` runs). */
  | { t: "close"; id: number };

/** From a handler Worker to the main thread. */
export type FromWorker =
  /** The module loaded; these are its subroutines. */
  | { t: "loaded"; subroutines: Record<string, SubroutineKind> }
  /** The module could not be loaded. */
  | { t: "load-failed"; message: string }
  /** Call `id` returned `value` (encoded). */
  | { t: "result"; id: number; value: ArrayBuffer }
  /** Call or stream `id` failed: `code` is a typenet error code for typenet errors. */
  | { t: "error"; id: number; code: string; name: string; message: string }
  /** Stream `id` yielded these `[ident, payload]` (payloads encoded), in order. */
  | { t: "items"; id: number; items: [number, ArrayBuffer][] }
  /** Stream `id` is over. */
  | { t: "end"; id: number }
  /** Stream `id` was closed as asked (its `finally` has run). */
  | { t: "closed"; id: number };
