/**
 * Where each block of a sorted list begins, found without gathering the list anywhere: the
 * home asks every server, in rounds, how many of its (locally sorted) items come before a
 * pivot, and narrows a range per server until, for every block boundary `k · partitionSize`,
 * the servers' counts add up to it exactly. Then each server knows which of its items go to
 * which block, and every item moves once, to the server that owns its place.
 *
 * Items compare by sort key, then by their index before the sort, so no two are equal: the
 * counts are exact and the sort is stable. Each round, every server offers a few evenly spaced
 * items of its remaining range. The next pivot is the offered item at the place where the
 * boundary should fall, guessed from the counts (interpolation: a few rounds when the keys are
 * spread evenly) — every other round, their weighted median instead, which removes at least a
 * quarter of the candidates whatever the keys: O(log n) rounds in the worst case.
 *
 * @example
 * ```ts
 * import { sortCuts } from "./sort_cuts.ts";
 * // const cuts = await sortCuts({ counts, length, partitionSize, descending, probe });
 * ```
 * @module
 */
import { BadArgument, InternalError } from "../wire/errors.ts";
import {
  type Pivot,
  PROBE_QUERIES,
  type ProbeAnswer,
  type ProbeQuery,
  samplesIn,
} from "./probe_wire.ts";
import { compareKeys, readSortKey } from "./sort_key.ts";

/** A sort may cut a list into at most this many blocks (it keeps a few numbers per block). */
export const MAX_SORT_BLOCKS = 65_536;
/** A search that has not converged after this many rounds is a bug, not a slow list. */
const MAX_ROUNDS = 400;

/** What {@link sortCuts} needs. */
export interface SortCutInput {
  /** Items each server holds (what its sortPrepare answered). */
  counts: number[];
  length: number;
  partitionSize: number;
  descending: boolean;
  /** Ask server `node` the queries; it answers each with counts and samples. */
  probe(node: number, queries: ProbeQuery[]): Promise<ProbeAnswer[]>;
}

interface Target {
  /** Items that come before the block's first item. */
  rank: number;
  lo: number[];
  hi: number[];
  /** The pivots of the next round, in sort order, and the server each one is on. */
  pivots: Pivot[];
  pivotNodes: number[];
  /** Candidates left after the last interpolated round (Infinity after a median round). */
  span: number;
  cut?: number[];
}

/**
 * For each server, `cuts[k]`: how many of its sorted items go to blocks before block `k`
 * (`cuts[0] = 0`, the last is its count).
 *
 * @example
 * ```ts
 * import { sortCuts } from "./sort_cuts.ts";
 * const cuts = await sortCuts({
 *   counts: [2], length: 2, partitionSize: 1, descending: false,
 *   probe: () => Promise.resolve([]),
 * });
 * cuts; // [[0, 1, 2]]
 * ```
 */
export async function sortCuts(input: SortCutInput): Promise<number[][]> {
  const { counts, length, partitionSize } = input;
  const blocks = Math.ceil(length / partitionSize);
  if (blocks > MAX_SORT_BLOCKS) {
    throw new BadArgument(
      `cannot sort a list of ${length} items in blocks of ${partitionSize}: a sort handles at ` +
        `most ${MAX_SORT_BLOCKS} blocks (open the list with a larger partitionSize)`,
    );
  }
  const targets: Target[] = [];
  for (let k = 1; k < blocks; k++) {
    targets.push({
      rank: k * partitionSize,
      lo: counts.map(() => 0),
      hi: [...counts],
      pivots: [],
      pivotNodes: [],
      span: Infinity,
    });
  }
  // Only one server holds items: its sorted order is the answer.
  const holders = counts.filter((count) => count > 0).length;
  for (const target of targets) {
    if (holders <= 1) target.cut = counts.map((count) => (count > 0 ? target.rank : 0));
  }
  for (let round = 0; targets.some((t) => !t.cut); round++) {
    if (round === MAX_ROUNDS) throw new InternalError("the sort's block search did not converge");
    const active = targets.filter((t) => !t.cut);
    const answers = await Promise.all(counts.map((_, node) => probeAll(input, node, active)));
    active.forEach((target, a) => narrow(input, target, answers.map((answer) => answer[a])));
  }
  return counts.map((count, node) => [0, ...targets.map((t) => t.cut![node]), count]);
}

/** One server's answer to one query: a count per pivot, and the samples of each part. */
type Answer = [number[], Candidate["sample"][][]];

/** One server's answers to every active target, in requests of {@link PROBE_QUERIES}. */
async function probeAll(input: SortCutInput, node: number, active: Target[]): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (let i = 0; i < active.length; i += PROBE_QUERIES) {
    const queries = active.slice(i, i + PROBE_QUERIES).map((t): ProbeQuery => ({
      lo: t.lo[node],
      hi: t.hi[node],
      pivots: t.pivots,
    }));
    const got = await input.probe(node, queries);
    got.forEach(({ counts, samples }, q) => {
      // Share the samples out by part; each stands for its part's size over its count.
      const cuts = [queries[q].lo, ...counts, queries[q].hi];
      const sides: Candidate["sample"][][] = [];
      let next = 0;
      for (let j = 0; j + 1 < cuts.length; j++) {
        const size = cuts[j + 1] - cuts[j];
        const k = samplesIn(size);
        sides.push(
          samples.slice(next, next += k).map(([bytes, index]) => [bytes, index, size / k]),
        );
      }
      answers.push([counts, sides]);
    });
  }
  return answers;
}

/**
 * Narrow one target's ranges with the servers' answers, and pick its next pivots: with each
 * pivot's counts, the boundary falls in one part of the range (before the first pivot, between
 * two, or after the last), which becomes the new range.
 */
function narrow(input: SortCutInput, target: Target, answers: Answer[]): void {
  const pivots = target.pivots.length;
  const counts = target.pivots.map((_, j) =>
    answers.map(([c], node) => {
      const count = c[j];
      const floor = j === 0 ? target.lo[node] : c[j - 1];
      if (!Number.isSafeInteger(count) || count < floor || count > target.hi[node]) {
        throw new InternalError(`server ${node} answered a sort probe with count ${count}`);
      }
      return count;
    })
  );
  const exact = counts.find((c) => sum(c) === target.rank);
  if (exact) {
    target.cut = exact;
    return;
  }
  // The part the boundary is in: every pivot before it comes first (with itself, on the server
  // that holds it); the pivot after it, and everything from it on, comes later.
  const part = counts.filter((c) => sum(c) < target.rank).length;
  if (part > 0) {
    const node = target.pivotNodes[part - 1];
    target.lo = counts[part - 1].map((c, k) => c + (k === node ? 1 : 0));
  }
  if (part < pivots) target.hi = counts[part];
  if (sum(target.lo) === target.rank) target.cut = target.lo;
  else if (sum(target.hi) === target.rank) target.cut = target.hi;
  if (target.cut) return;
  const below = part > 0 ? target.pivots[part - 1] : undefined;
  const candidates: Candidate[] = [];
  answers.forEach(([, sides], node) => {
    if (target.hi[node] - target.lo[node] === 0) return;
    for (const sample of sides[part]) {
      // The pivot below the part is out of the range now; any other sample is in it.
      if (node === target.pivotNodes[part - 1] && sample[1] === below?.[1]) continue;
      candidates.push({ sample, node });
    }
  });
  if (candidates.length === 0) throw new InternalError("the sort's block search ran dry");
  const sign = input.descending ? -1 : 1;
  const keyed = candidates.map((c) => ({ ...c, key: readSortKey(c.sample[0]) }));
  if (keyed.some((c) => !c.key)) {
    throw new InternalError("a sort probe offered an unorderable item");
  }
  keyed.sort((a, b) => sign * compareKeys(a.key!, b.key!) || a.sample[1] - b.sample[1]);
  const low = sum(target.lo);
  const span = sum(target.hi) - low;
  // Interpolate while that removes at least a quarter of the candidates each round: two pivots,
  // the offered items either side of where the boundary should fall, so that both bounds close
  // in. When a round did not, take the weighted median alone (which does, whatever the keys).
  const interpolate = span <= target.span * 0.75;
  target.span = interpolate ? span : Infinity;
  const chosen = interpolate
    ? bracket(keyed, answers.length, target.rank - low)
    : [weightedMedian(keyed)];
  target.pivots = chosen.map((c) => [c.sample[0], c.sample[1]]);
  target.pivotNodes = chosen.map((c) => c.node);
}

/** An offered item (encoded, its index, the items it stands for), and its server. */
interface Candidate {
  sample: [Uint8Array, number, number];
  node: number;
}

/**
 * The two offered items (in sort order) either side of where the `goal`-th candidate should
 * be. A sample stands for `weight` items of its server spread around it, so the place of an
 * item among all candidates is guessed as: on its own server, half a weight below its
 * samples so far; on each other server, that server's samples so far, whole.
 */
function bracket(sorted: Candidate[], servers: number, goal: number): Candidate[] {
  const seen = new Array(servers).fill(0);
  let below = 0;
  for (let i = 0; i < sorted.length; i++) {
    const { node, sample } = sorted[i];
    seen[node] += sample[2];
    const place = sum(seen) - sample[2] / 2;
    if (place > goal) return i === 0 ? [sorted[0]] : [sorted[below], sorted[i]];
    below = i;
  }
  return [sorted[sorted.length - 1]];
}

/** The offered item at the middle of the candidates, each counted by its weight. */
function weightedMedian(sorted: Candidate[]): Candidate {
  const half = sum(sorted.map((c) => c.sample[2])) / 2;
  let seen = 0;
  return sorted.find((c) => (seen += c.sample[2]) >= half) ?? sorted[sorted.length - 1];
}

function sum(values: number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
