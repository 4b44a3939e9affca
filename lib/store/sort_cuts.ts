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
import type { Pivot, ProbeSample, ProbeSide } from "./list_rewrite.ts";
import { checkBatch, splitBatch } from "../wire/value_batch.ts";
import { compareKeys, readSortKey } from "./sort_key.ts";

/** A sort may cut a list into at most this many blocks (it keeps a few numbers per block). */
export const MAX_SORT_BLOCKS = 65_536;
/** Probe queries per request. */
export const PROBE_QUERIES = 512;
/** A search that has not converged after this many rounds is a bug, not a slow list. */
const MAX_ROUNDS = 400;

/** What {@link sortCuts} needs. */
export interface SortCutInput {
  /** Items each server holds (what its sortPrepare answered). */
  counts: number[];
  length: number;
  partitionSize: number;
  descending: boolean;
  /** Ask server `node` the queries `[lo, hi, pivot]`; it answers `[c, lower, upper]` each. */
  probe(node: number, queries: [number, number, Pivot | null][]): Promise<unknown[]>;
}

interface Target {
  /** Items that come before the block's first item. */
  rank: number;
  lo: number[];
  hi: number[];
  pivot: Pivot | null;
  pivotNode: number;
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
      pivot: null,
      pivotNode: -1,
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

/** One server's answers to every active target, in requests of {@link PROBE_QUERIES}. */
async function probeAll(input: SortCutInput, node: number, active: Target[]) {
  const answers: [number, ProbeSample[], ProbeSample[]][] = [];
  for (let i = 0; i < active.length; i += PROBE_QUERIES) {
    const queries = active.slice(i, i + PROBE_QUERIES).map((t): [number, number, Pivot | null] => [
      t.lo[node],
      t.hi[node],
      t.pivot,
    ]);
    const got = await input.probe(node, queries);
    if (!Array.isArray(got) || got.length !== queries.length) {
      throw new InternalError(`server ${node} answered a sort probe with the wrong shape`);
    }
    for (const answer of got) {
      if (!Array.isArray(answer) || answer.length !== 3) {
        throw new InternalError(`server ${node} answered a sort probe with the wrong shape`);
      }
      answers.push([answer[0], samplesOf(answer[1]), samplesOf(answer[2])]);
    }
  }
  return answers;
}

/** Narrow one target's ranges with the servers' answers, and pick its next pivot. */
function narrow(
  input: SortCutInput,
  target: Target,
  answers: [number, ProbeSample[], ProbeSample[]][],
): void {
  const counts = answers.map(([c], node) => {
    if (!Number.isSafeInteger(c) || c < target.lo[node] || c > target.hi[node]) {
      throw new InternalError(`server ${node} answered a sort probe with count ${c}`);
    }
    return c;
  });
  const before = sum(counts);
  if (target.pivot && before === target.rank) {
    target.cut = counts;
    return;
  }
  // Every item up to the pivot comes first (it sits on pivotNode), or the pivot and every
  // item after it comes later.
  const upper = !target.pivot || before < target.rank;
  if (upper) target.lo = counts.map((c, node) => c + (node === target.pivotNode ? 1 : 0));
  else target.hi = counts;
  if (sum(target.lo) === target.rank) target.cut = target.lo;
  else if (sum(target.hi) === target.rank) target.cut = target.hi;
  if (target.cut) return;
  const candidates: { sample: ProbeSample; node: number; weight: number }[] = [];
  answers.forEach(([, lower, higher], node) => {
    if (target.hi[node] - target.lo[node] === 0) return;
    for (const sample of upper ? higher : lower) {
      // The pivot itself is out of the range now; an offered sample never is otherwise.
      if (node === target.pivotNode && sample[1] === target.pivot?.[1]) continue;
      candidates.push({ sample, node, weight: sample[2] });
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
  // Interpolate while that removes at least a quarter of the candidates each round; when it
  // does not, take the median once (which does, whatever the keys).
  const span = sum(target.hi) - low;
  const interpolate = span <= target.span * 0.75;
  const share = interpolate ? (target.rank - low) / span : 0.5;
  target.span = interpolate ? span : Infinity;
  // Aim one sample past the guess, away from the bound that just moved: the next pivot then
  // most likely lands on the other side of the boundary, so both bounds close in.
  const total = sum(keyed.map((c) => c.weight));
  const nudge = (upper ? 1 : -1) * (total / keyed.length);
  const goal = Math.min(total, Math.max(0, total * share + (interpolate ? nudge : 0)));
  let seen = 0;
  const median = keyed.find((c) => (seen += c.weight) >= goal) ?? keyed[keyed.length - 1];
  target.pivot = [median.sample[0], median.sample[1]];
  target.pivotNode = median.node;
}

/** The samples of one side of a probe answer (see {@link ProbeSide}). */
function samplesOf(side: unknown): ProbeSample[] {
  if (side === null) return [];
  const [bytes, lengths, origins, weight] = Array.isArray(side) ? side as ProbeSide : [];
  const batch = checkBatch([bytes, lengths], "probe samples");
  if (
    !Array.isArray(origins) || origins.length !== batch.lengths.length ||
    typeof weight !== "number" || !(weight > 0)
  ) {
    throw new InternalError("a sort probe answered samples with the wrong shape");
  }
  return splitBatch(batch, batch.lengths.map(() => 1)).map((one, k) => [
    one.bytes,
    origins[k],
    weight,
  ]);
}

function sum(values: number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
