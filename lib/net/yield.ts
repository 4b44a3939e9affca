/**
 * Letting the event loop poll sockets and timers in the middle of long work, so that one
 * busy connection or one long request never holds up the others.
 *
 * Measured here (Deno 2.9.6): `setTimeout(0)` does let sockets in but waits ~2 ms each time;
 * `setImmediate` and `MessageChannel` messages come back without polling sockets at all (a
 * loop that yields with them starves every connection). An async operation does poll them:
 * hashing zero bytes with `crypto.subtle.digest` comes back in ~40 µs, after the sockets that
 * were ready have been served.
 *
 * @example
 * ```ts
 * import { yieldToEventLoop } from "./yield.ts";
 * for (let slice = 0; slice < 100; slice++) {
 *   // … a slice of long work …
 *   await yieldToEventLoop();
 * }
 * ```
 * @module
 */

const NOTHING = new Uint8Array(0);

/**
 * Resolve once the event loop has polled sockets and timers (~40 µs when idle).
 *
 * @example
 * ```ts
 * import { yieldToEventLoop } from "./yield.ts";
 * await yieldToEventLoop();
 * ```
 */
export async function yieldToEventLoop(): Promise<void> {
  await crypto.subtle.digest("SHA-1", NOTHING);
}

/**
 * Work a connection may do in one go, in milliseconds, before it lets others in.
 */
export const TURN_MS = 2;
