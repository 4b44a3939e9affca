/**
 * The membership protocol's timings, with memberlist's LAN defaults, and what each trades.
 *
 * With these defaults a member that is gone is noticed by the next member to probe it (within
 * about a probe interval; at once by every member that had a connection to it open). If its
 * port refuses connections (the process died, the host answers) two or three members confirm
 * that within a few milliseconds and it is declared dead at once. If nothing answers at all (a
 * hung host, a lost network) it is suspected, and declared dead when the suspicion times out:
 * between `suspicionMultiplier × max(1, log10 N) × probeInterval` (4 s for 5 or 10 members,
 * 8 s for 100) with enough independent confirmations, and 6× that without.
 *
 * @example
 * ```ts
 * import { DEFAULT_TIMINGS, suspicionBounds } from "./timings.ts";
 * suspicionBounds(DEFAULT_TIMINGS, 100); // { minMs: 8000, maxMs: 48000 }
 * ```
 * @module
 */

/** See the module docs. */
export interface Timings {
  /** How often a member probes another (SWIM's protocol period). Shorter: faster detection,
   * more traffic. Default 1000 ms. */
  probeIntervalMs: number;
  /** How long a direct probe waits for its ack before asking others to try. Should exceed a
   * round trip by a wide margin. Default 500 ms. */
  probeTimeoutMs: number;
  /** Members asked to probe a member that did not answer. Default 3. */
  indirectChecks: number;
  /** Scales the suspicion timeout (see the module docs). Default 4. */
  suspicionMultiplier: number;
  /** The longest suspicion, as a multiple of the shortest. Default 6. */
  suspicionMaxMultiplier: number;
  /** News goes out `retransmitMultiplier × ceil(log10(N + 1))` times. Default 4. */
  retransmitMultiplier: number;
  /** How often news is gossiped between probes. Default 200 ms. */
  gossipIntervalMs: number;
  /** Members each gossip round goes to. Default 3. */
  gossipNodes: number;
  /** How often a member exchanges its whole view with another. Default 30 s. */
  pushPullIntervalMs: number;
  /** Lifeguard's local health: a struggling member stretches its timeouts up to this factor.
   * Default 8. */
  awarenessMaxMultiplier: number;
  /** Most records piggybacked on one packet. Default 32. */
  maxPiggyback: number;
  /** How long a dead or departed member stays listed before it is forgotten. Default 60 s. */
  forgetAfterMs: number;
  /** The most members one member keeps track of; news of more is ignored. Default 10,000. */
  maxMembers: number;
}

/** memberlist's LAN profile (config.go), where the two have the same knob. */
export const DEFAULT_TIMINGS: Readonly<Timings> = Object.freeze({
  probeIntervalMs: 1000,
  probeTimeoutMs: 500,
  indirectChecks: 3,
  suspicionMultiplier: 4,
  suspicionMaxMultiplier: 6,
  retransmitMultiplier: 4,
  gossipIntervalMs: 200,
  gossipNodes: 3,
  pushPullIntervalMs: 30_000,
  awarenessMaxMultiplier: 8,
  maxPiggyback: 32,
  forgetAfterMs: 60_000,
  maxMembers: 10_000,
});

/**
 * The shortest and longest suspicion for a cluster of `members`.
 *
 * @example
 * ```ts
 * import { DEFAULT_TIMINGS, suspicionBounds } from "./timings.ts";
 * suspicionBounds(DEFAULT_TIMINGS, 5); // { minMs: 4000, maxMs: 24000 }
 * ```
 */
export function suspicionBounds(
  timings: Timings,
  members: number,
): { minMs: number; maxMs: number } {
  const minMs = timings.suspicionMultiplier * Math.max(1, Math.log10(Math.max(1, members))) *
    timings.probeIntervalMs;
  return { minMs, maxMs: minMs * timings.suspicionMaxMultiplier };
}

/**
 * How many times news is told in a cluster of `members`.
 *
 * @example
 * ```ts
 * import { DEFAULT_TIMINGS, retransmitLimit } from "./timings.ts";
 * retransmitLimit(DEFAULT_TIMINGS, 5); // 4
 * ```
 */
export function retransmitLimit(timings: Timings, members: number): number {
  return timings.retransmitMultiplier * Math.ceil(Math.log10(members + 1));
}
