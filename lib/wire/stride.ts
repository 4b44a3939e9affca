/**
 * Where an arithmetic progression first lands in a window that repeats with a period — the
 * arithmetic behind a strided range over a list's blocks: which index `start + k·step` is the
 * first that a node holds. It is found in O(log period) steps (a Euclid-like recursion), never
 * by walking the progression, so no `step` a client names can make a server count for long.
 *
 * @example
 * ```ts
 * import { firstInWindow } from "./stride.ts";
 * // 0, 7, 14, 21, 28, 35, …: mod 10 that is 0, 7, 4, 1, 8, 5, … — the first in 5…6 is k = 5.
 * firstInWindow(0n, 7n, 10n, 5n, 6n); // 5n
 * ```
 * @module
 */

/**
 * The smallest k ≥ 0 with `lo ≤ (a + d·k) mod m ≤ hi`, or -1n if there is none; requires
 * m > 0, 0 ≤ lo ≤ hi < m. Takes O(log m) steps.
 *
 * @example
 * ```ts
 * import { firstInWindow } from "./stride.ts";
 * firstInWindow(3n, 2n, 10n, 0n, 0n); // -1n: 3 plus even numbers is never ≡ 0 mod 10
 * firstInWindow(3n, 2n, 10n, 7n, 7n); // 2n
 * ```
 */
export function firstInWindow(a: bigint, d: bigint, m: bigint, lo: bigint, hi: bigint): bigint {
  a = mod(a, m);
  d = mod(d, m);
  if (lo <= a && a <= hi) return 0n;
  // Shift the window by -a: then we want lo' ≤ d·k mod m ≤ hi', with 1 ≤ lo' ≤ hi' < m
  // (a lies outside the window, so the shifted window does not wrap past 0).
  return firstMultipleInWindow(d, m, mod(lo - a, m), mod(hi - a, m));
}

/** Smallest k ≥ 0 with l ≤ (d·k mod m) ≤ r, for 0 ≤ l ≤ r < m and 0 ≤ d < m; -1n if none. */
function firstMultipleInWindow(d: bigint, m: bigint, l: bigint, r: bigint): bigint {
  if (l === 0n) return 0n;
  if (d === 0n) return -1n;
  // Without wrapping round m: the first multiple of d at or above l.
  const direct = ceilDiv(l, d);
  if (d * direct <= r) return direct;
  // Otherwise the answer wraps j ≥ 1 times: l + m·j ≤ d·k ≤ r + m·j. Such a k exists exactly
  // when (m·j) mod d falls in a window of residues — the same problem with (m mod d, d) in
  // place of (d, m), so the numbers shrink as in Euclid's algorithm.
  const j = firstMultipleInWindow(m % d, d, mod(-r, d), mod(-l, d));
  if (j < 0n) return -1n;
  return ceilDiv(l + m * j, d);
}

function mod(x: bigint, m: bigint): bigint {
  const r = x % m;
  return r < 0n ? r + m : r;
}

function ceilDiv(x: bigint, y: bigint): bigint {
  return (x + y - 1n) / y;
}
