/**
 * Report refused connections (a wrong token, junk instead of a hello, an address outside the
 * allow-list) at most once per address per minute, so that a flood of them cannot flood the
 * log. The count of those not reported is added to the next report for that address.
 *
 * @example
 * ```ts
 * import { RefusalLog } from "./refusal_log.ts";
 * const log = new RefusalLog((address, what) => console.error(`${address}: ${what}`));
 * log.note("10.0.0.9", "wrong token"); // reported
 * log.note("10.0.0.9", "wrong token"); // counted, not reported
 * ```
 * @module
 */

/** Addresses remembered at once; the oldest is forgotten first. */
const MAX_ADDRESSES = 4096;

/** See the module docs. */
export class RefusalLog {
  readonly #report: (address: string, what: string) => void;
  readonly #periodMs: number;
  /** Address → when it was last reported and how many were not reported since. */
  readonly #seen = new Map<string, { at: number; unreported: number }>();

  /** Report through `report`, once per address per `periodMs`. */
  constructor(report: (address: string, what: string) => void, periodMs = 60_000) {
    this.#report = report;
    this.#periodMs = periodMs;
  }

  /** One refusal of `address` for the reason `what`. */
  note(address: string, what: string): void {
    const now = Date.now();
    const seen = this.#seen.get(address);
    if (seen && now - seen.at < this.#periodMs) {
      seen.unreported++;
      return;
    }
    const unreported = seen?.unreported ?? 0;
    this.#seen.delete(address);
    if (this.#seen.size >= MAX_ADDRESSES) this.#seen.delete(this.#seen.keys().next().value!);
    this.#seen.set(address, { at: now, unreported: 0 });
    this.#report(
      address,
      unreported > 0 ? `${what} (and ${unreported} more refused since the last report)` : what,
    );
  }
}
