/**
 * Which errors from a socket only mean that the other side went away (closed, reset, gone
 * mid-write) — the ordinary end of a connection, not a fault to report.
 *
 * @example
 * ```ts
 * import { isDisconnect } from "./disconnect.ts";
 * isDisconnect(new Deno.errors.ConnectionReset("reset")); // true
 * ```
 * @module
 */

/**
 * See the module docs.
 *
 * @example
 * ```ts
 * import { isDisconnect } from "./disconnect.ts";
 * isDisconnect(new Error("boom")); // false
 * ```
 */
export function isDisconnect(error: unknown): boolean {
  return error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.ConnectionAborted ||
    error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.UnexpectedEof ||
    error instanceof Deno.errors.BadResource ||
    error instanceof Deno.errors.NotConnected;
}
