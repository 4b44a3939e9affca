/**
 * Notice a session that has been idle — no message either way, no request or stream under
 * way — for a while. The server closes such connections (`--idle-timeout-ms`) so that vanished
 * or lingering clients cannot hold its connection slots; the reference client closes its own a
 * little earlier (it reconnects on the next call), so a server never cuts a call in the middle.
 *
 * @example
 * ```ts
 * import { watchIdle } from "./idle_watch.ts";
 * // watchIdle(session, 300_000, () => session.close());
 * ```
 * @module
 */
import type { Session } from "./session.ts";

/** Checks per idle period: the idle time is noticed within a quarter of it. */
const CHECKS_PER_PERIOD = 4;

/**
 * Call `onIdle` once `session` has been idle for `afterMs`; stops when the session closes.
 *
 * @example
 * ```ts
 * import { watchIdle } from "./idle_watch.ts";
 * // watchIdle(session, 60_000, () => session.close());
 * ```
 */
export function watchIdle(session: Session, afterMs: number, onIdle: () => void): void {
  let seen = session.activity;
  let quietSince = Date.now();
  const check = () => {
    if (!session.isOpen) return;
    const now = Date.now();
    if (session.activity !== seen || session.busy) {
      seen = session.activity;
      quietSince = now;
    } else if (now - quietSince >= afterMs) {
      onIdle();
      return;
    }
    timer = setTimeout(
      check,
      Math.max(10, Math.min(afterMs / CHECKS_PER_PERIOD, quietSince + afterMs - now)),
    );
    Deno.unrefTimer(timer);
  };
  let timer = setTimeout(check, Math.max(10, afterMs / CHECKS_PER_PERIOD));
  Deno.unrefTimer(timer);
  session.closed.then(() => clearTimeout(timer));
}
