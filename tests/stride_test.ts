/** The arithmetic that lets a strided range skip to a node's next index without walking. */
import assert from "node:assert/strict";
import { firstInWindow } from "../lib/wire/stride.ts";

/** The answer by walking (at most 2m terms: the residues repeat with period ≤ m). */
function walked(a: number, d: number, m: number, lo: number, hi: number): number {
  for (let k = 0; k <= 2 * m; k++) {
    const r = (((a + d * k) % m) + m) % m;
    if (lo <= r && r <= hi) return k;
  }
  return -1;
}

Deno.test("firstInWindow agrees with walking the progression on every small case", () => {
  let cases = 0;
  for (let m = 1; m <= 24; m++) {
    for (let lo = 0; lo < m; lo++) {
      for (let hi = lo; hi < m; hi++) {
        for (let a = -2; a < m + 2; a += 3) {
          for (let d = -m - 1; d <= m + 1; d++) {
            const got = firstInWindow(BigInt(a), BigInt(d), BigInt(m), BigInt(lo), BigInt(hi));
            assert.equal(Number(got), walked(a, d, m, lo, hi), `a=${a} d=${d} m=${m} ${lo}…${hi}`);
            cases++;
          }
        }
      }
    }
  }
  assert.ok(cases > 100_000);
});

Deno.test("firstInWindow answers huge cases at once", () => {
  // Blocks of 2^30 over 256 nodes; node 255's slot; from 0 in steps of 2: k = 255·2^29.
  const size = 2n ** 30n;
  const round = size * 256n;
  assert.equal(firstInWindow(0n, 2n, round, 255n * size, 256n * size - 1n), 255n * 2n ** 29n);
  // Steps that are multiples of the round never leave the first slot: no answer.
  assert.equal(firstInWindow(5n, round * 3n, round, size, 2n * size - 1n), -1n);
});
