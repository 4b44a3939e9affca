/**
 * The sort keys of many items at once, by column — a rank and a number per item, in typed
 * arrays — and the two sorts a server does with them: its own share ({@link sortedOrder}) and
 * the shares other servers sent it for one block ({@link mergeRuns}).
 *
 * When every key is a plain number, boolean, null or Date (no string, no bigint beyond 2^53,
 * no NaN), the share is sorted by an LSD radix sort on the keys' bits — stable by nature, in
 * four passes, with no comparison function — which is what makes a sort of a million numbers
 * fast. Otherwise it falls back to a comparison sort on {@link compareKeys}.
 *
 * @example
 * ```ts
 * import { KeyColumns, scanBatches, sortedOrder } from "./sort_columns.ts";
 * const batch = { bytes: new Uint8Array([0x03, 0x01, 0x02]), lengths: [1, 1, 1] };
 * const keys = KeyColumns.read(3, scanBatches([batch]));
 * if (typeof keys !== "number") sortedOrder(keys, false); // Uint32Array [1, 2, 0]
 * ```
 * @module
 */
import {
  compareKeys,
  KeyKind,
  readSimpleKey,
  readSortKey,
  simpleKey,
  type SortKey,
} from "./sort_key.ts";

/** Called for each item of a scan: its buffer, a DataView of that buffer, and its offset. */
export type ItemVisitor = (bytes: Uint8Array, view: DataView, at: number) => void;

/**
 * A scan over the items of value batches, one after another.
 *
 * @example
 * ```ts
 * import { KeyColumns, scanBatches } from "./sort_columns.ts";
 * KeyColumns.read(2, scanBatches([{ bytes: new Uint8Array([1, 2]), lengths: [1, 1] }]));
 * ```
 */
export function scanBatches(
  batches: { bytes: Uint8Array; lengths: ArrayLike<number> }[],
): (visit: ItemVisitor) => void {
  return (visit) => {
    for (const { bytes, lengths } of batches) {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let k = 0, at = 0; k < lengths.length; at += lengths[k++]) visit(bytes, view, at);
    }
  };
}

/** See the module docs. */
export class KeyColumns {
  /** Each item's {@link SortRank}. */
  readonly ranks: Uint8Array;
  /** Each item's number (0 for strings). */
  readonly nums: Float64Array;
  /** The whole key of each item the columns cannot order alone; undefined if there is none. */
  readonly full: (SortKey | undefined)[] | undefined;

  private constructor(
    ranks: Uint8Array,
    nums: Float64Array,
    full: (SortKey | undefined)[] | undefined,
  ) {
    this.ranks = ranks;
    this.nums = nums;
    this.full = full;
  }

  /**
   * The keys of `count` items, which `scan` visits in order (each as its buffer, a view of that
   * buffer and its offset); or, if one has no order, its number.
   */
  static read(count: number, scan: (visit: ItemVisitor) => void): KeyColumns | number {
    const ranks = new Uint8Array(count);
    const nums = new Float64Array(count);
    let full: (SortKey | undefined)[] | undefined;
    let bad = -1;
    let i = 0;
    scan((bytes, view, at) => {
      const kind = readSimpleKey(bytes, view, at);
      if (kind === KeyKind.Simple) {
        ranks[i] = simpleKey.rank;
        // +0: -0 and 0 are one key (their bits differ).
        nums[i] = simpleKey.num + 0;
      } else if (kind === KeyKind.Full) {
        const key = readSortKey(bytes.subarray(at))!;
        ranks[i] = key.rank;
        nums[i] = key.num + 0;
        (full ??= new Array(count))[i] = key;
      } else if (bad < 0) bad = i;
      i++;
    });
    return bad >= 0 ? bad : new KeyColumns(ranks, nums, full);
  }

  /** Item `i`'s key, whole. */
  key(i: number): SortKey {
    return this.full?.[i] ??
      { rank: this.ranks[i], num: this.nums[i], big: undefined, str: undefined };
  }

  /** Compare item `i` with `key`, allocating nothing when both are plain numbers and such. */
  compareWith(i: number, key: SortKey): number {
    if (this.full?.[i] || key.str || key.big !== undefined || key.num !== key.num) {
      return compareKeys(this.key(i), key);
    }
    const rank = this.ranks[i] - key.rank;
    if (rank !== 0) return rank;
    const x = this.nums[i], y = key.num + 0;
    return x < y ? -1 : x > y ? 1 : 0;
  }

  /** Compare items `i` and `j` by key. */
  compare(i: number, j: number): number {
    const full = this.full;
    if (full && (full[i] || full[j])) return compareKeys(this.key(i), this.key(j));
    const rank = this.ranks[i] - this.ranks[j];
    if (rank !== 0) return rank;
    const x = this.nums[i], y = this.nums[j];
    return x < y ? -1 : x > y ? 1 : 0;
  }
}

/**
 * Items `0…count-1` in sort order (descending if asked), equal keys in index order.
 *
 * @example
 * ```ts
 * import { KeyColumns, scanBatches, sortedOrder } from "./sort_columns.ts";
 * const items = { bytes: new Uint8Array([0x01, 0x01]), lengths: [1, 1] };
 * sortedOrder(KeyColumns.read(2, scanBatches([items])) as KeyColumns, true); // [0, 1]: stable
 * ```
 */
export function sortedOrder(keys: KeyColumns, descending: boolean): Uint32Array {
  const count = keys.ranks.length;
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  if (keys.full) {
    const sign = descending ? -1 : 1;
    return order.sort((a, b) => sign * keys.compare(a, b) || a - b);
  }
  return radixOrder(keys, order, descending);
}

/**
 * Stable LSD radix sort of `order` by (rank, number): four 16-bit passes over the number's
 * bits made order-preserving as an unsigned integer, then one pass by rank.
 */
function radixOrder(keys: KeyColumns, order: Uint32Array, descending: boolean): Uint32Array {
  const count = order.length;
  const { words, passes } = radixWords(keys.nums, descending);
  let from: Uint32Array = order;
  let to: Uint32Array = new Uint32Array(count);
  const counts = new Uint32Array(65_536);
  const stride = passes / 2;
  for (let pass = 0; pass < passes; pass++) {
    const word = pass >> 1;
    const shift = (pass & 1) * 16;
    counts.fill(0);
    for (let k = 0; k < count; k++) counts[(words[stride * from[k] + word] >>> shift) & 0xffff]++;
    for (let d = 0, sum = 0; d < 65_536; d++) {
      const c = counts[d];
      counts[d] = sum;
      sum += c;
    }
    for (let k = 0; k < count; k++) {
      const i = from[k];
      to[counts[(words[stride * i + word] >>> shift) & 0xffff]++] = i;
    }
    [from, to] = [to, from];
  }
  // Last, the most significant: the rank (few values), reversed for a descending sort.
  const rankCounts = new Uint32Array(256);
  const rankOf = (i: number) => descending ? 255 - keys.ranks[i] : keys.ranks[i];
  for (let k = 0; k < count; k++) rankCounts[rankOf(from[k])]++;
  if (rankCounts.some((c) => c === count)) return from;
  for (let d = 0, sum = 0; d < 256; d++) {
    const c = rankCounts[d];
    rankCounts[d] = sum;
    sum += c;
  }
  for (let k = 0; k < count; k++) to[rankCounts[rankOf(from[k])]++] = from[k];
  return to;
}

/**
 * The numbers as unsigned words that sort in the numbers' order (reversed if `descending`):
 * one word each when all are integers in ±2^31 (two radix passes), else two (four passes).
 */
function radixWords(
  nums: Float64Array,
  descending: boolean,
): { words: Uint32Array; passes: number } {
  const count = nums.length;
  const flip = descending ? 0xffffffff : 0;
  let small = true;
  for (let i = 0; i < count && small; i++) {
    const n = nums[i];
    small = n === Math.floor(n) && n >= -0x8000_0000 && n < 0x8000_0000;
  }
  if (small) {
    const words = new Uint32Array(count);
    for (let i = 0; i < count; i++) words[i] = ((nums[i] + 0x8000_0000) ^ flip) >>> 0;
    return { words, passes: 2 };
  }
  const bits = new Uint32Array(nums.buffer, nums.byteOffset, count * 2);
  // Little-endian float64: word 2i is the low half, 2i+1 the high half (with the sign).
  const words = new Uint32Array(count * 2);
  for (let i = 0; i < count; i++) {
    let low = bits[2 * i], high = bits[2 * i + 1];
    if (high & 0x80000000) {
      low = ~low;
      high = ~high;
    } else high = high | 0x80000000;
    words[2 * i] = (low ^ flip) >>> 0;
    words[2 * i + 1] = (high ^ flip) >>> 0;
  }
  return { words, passes: 4 };
}

/**
 * Merge sorted runs into one order: `runOf` gives, for runs laid end to end (run r holds items
 * `starts[r]…starts[r+1]-1` of `keys`), the merged order of all items. Ties go to the smaller
 * `origins` (the index before the sort), so the merge is stable.
 *
 * @example
 * ```ts
 * import { KeyColumns, mergeRuns, scanBatches } from "./sort_columns.ts";
 * const items = { bytes: new Uint8Array([1, 3, 2, 4]), lengths: [1, 1, 1, 1] };
 * const keys = KeyColumns.read(4, scanBatches([items])) as KeyColumns;
 * mergeRuns(keys, [0, 2, 4], [0, 2, 1, 3], false); // [0, 2, 1, 3]
 * ```
 */
export function mergeRuns(
  keys: KeyColumns,
  starts: number[],
  origins: ArrayLike<number>,
  descending: boolean,
): Uint32Array {
  const sign = descending ? -1 : 1;
  const heads = starts.slice(0, -1);
  const ends = starts.slice(1);
  const out = new Uint32Array(starts[starts.length - 1]);
  for (let n = 0; n < out.length; n++) {
    let best = -1;
    for (let r = 0; r < heads.length; r++) {
      if (heads[r] === ends[r]) continue;
      if (best < 0) {
        best = r;
        continue;
      }
      const a = heads[r], b = heads[best];
      const order = sign * keys.compare(a, b) || origins[a] - origins[b];
      if (order < 0) best = r;
    }
    out[n] = heads[best]++;
  }
  return out;
}
