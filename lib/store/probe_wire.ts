/**
 * How `list.sortProbe` travels (docs/PROTOCOL.md, `list.sortProbe`): flat arrays and byte
 * strings, never an array per query or per item — a request or answer of many small arrays
 * would cost the receiver many times its size to decode, past the decode bounds.
 *
 * - Request `[ranges, pivotCounts, pivotBytes, pivotIndexes]`: `lo, hi` of each query back to
 *   back; how many pivots each query has (0 to 2); the pivots' encoded items back to back (each
 *   one msgpack scalar, so its length is in its own header); their indexes, little-endian
 *   float 64s.
 * - Answer `[counts, sampleBytes, sampleIndexes]`: each query's count per pivot, back to back;
 *   the samples of each query's parts back to back, as items and indexes. How many samples a
 *   part has follows from its size, which the home knows from its own ranges and the counts.
 *
 * @example
 * ```ts
 * import { decodeProbe, encodeProbe } from "./probe_wire.ts";
 * decodeProbe(encodeProbe([{ lo: 0, hi: 5, pivots: [] }])); // [{ lo: 0, hi: 5, pivots: [] }]
 * ```
 * @module
 */
import { BadArgument, InternalError } from "../wire/errors.ts";
import { sortableLength } from "./sort_key.ts";
import { indexBytes, isIndex, readIndexBytes } from "./index_bytes.ts";

/** An item to compare with: its encoded bytes, and the index it had before the sort. */
export type Pivot = [Uint8Array, number];

/** One query: a range of a server's sorted items, and the pivots to count it against. */
export interface ProbeQuery {
  lo: number;
  hi: number;
  pivots: Pivot[];
}

/** What a server answers for one query: a count per pivot, and samples of each part. */
export interface ProbeAnswer {
  counts: number[];
  samples: Pivot[];
}

/** The most queries one probe may carry. */
export const PROBE_QUERIES = 512;
/** The most pivots one query may carry. */
export const MAX_PIVOTS = 2;
/** Samples a server offers from each part of a range (fewer if the part is smaller). */
export const PROBE_SAMPLES = 8;

/**
 * How many samples a part of `size` items has.
 *
 * @example
 * ```ts
 * import { samplesIn } from "./probe_wire.ts";
 * samplesIn(3); // 3
 * ```
 */
export function samplesIn(size: number): number {
  return Math.min(PROBE_SAMPLES, size);
}

/**
 * The wire form of `queries`.
 *
 * @example
 * ```ts
 * import { encodeProbe } from "./probe_wire.ts";
 * encodeProbe([{ lo: 0, hi: 5, pivots: [] }]).length; // 4
 * ```
 */
export function encodeProbe(queries: ProbeQuery[]): unknown[] {
  const pivots = queries.flatMap((q) => q.pivots);
  return [
    queries.flatMap((q) => [q.lo, q.hi]),
    queries.map((q) => q.pivots.length),
    concat(pivots.map(([bytes]) => bytes)),
    indexBytes(pivots.map(([, index]) => index)),
  ];
}

/**
 * Queries from the wire; `BAD_ARGUMENT` saying what is wrong.
 *
 * @example
 * ```ts
 * import { decodeProbe, encodeProbe } from "./probe_wire.ts";
 * decodeProbe(encodeProbe([{ lo: 1, hi: 2, pivots: [] }]))[0].hi; // 2
 * ```
 */
export function decodeProbe(value: unknown): ProbeQuery[] {
  const [ranges, pivotCounts, bytes, indexes] = Array.isArray(value) && value.length === 4
    ? value
    : [];
  if (
    !Array.isArray(ranges) || !Array.isArray(pivotCounts) || !(bytes instanceof Uint8Array) ||
    !(indexes instanceof Uint8Array) || ranges.length !== pivotCounts.length * 2 ||
    pivotCounts.length > PROBE_QUERIES
  ) {
    throw new BadArgument(
      `a probe is [ranges, pivot counts, pivot bytes, pivot indexes] for at most ${PROBE_QUERIES} queries`,
    );
  }
  const items = splitItems(bytes, "pivot");
  const at = readIndexBytes(indexes, "pivot indexes");
  let next = 0;
  const queries = pivotCounts.map((count, q) => {
    const lo = ranges[2 * q], hi = ranges[2 * q + 1];
    if (
      !isIndex(lo) || !isIndex(hi) || !Number.isInteger(count) || count < 0 || count > MAX_PIVOTS
    ) {
      throw new BadArgument(`a probe query is lo, hi and 0 to ${MAX_PIVOTS} pivots`);
    }
    const pivots: Pivot[] = [];
    for (let j = 0; j < count; j++, next++) {
      if (next >= items.length || next >= at.length) {
        throw new BadArgument("a probe names more pivots than it carries");
      }
      pivots.push([items[next], at[next]]);
    }
    return { lo, hi, pivots };
  });
  if (next !== items.length || next !== at.length) {
    throw new BadArgument("a probe carries more pivots than it names");
  }
  return queries;
}

/**
 * The wire form of a server's answers.
 *
 * @example
 * ```ts
 * import { encodeProbeAnswer } from "./probe_wire.ts";
 * encodeProbeAnswer([{ counts: [], samples: [] }]); // [[], Uint8Array [], Uint8Array []]
 * ```
 */
export function encodeProbeAnswer(answers: ProbeAnswer[]): unknown[] {
  const samples = answers.flatMap((a) => a.samples);
  return [
    answers.flatMap((a) => a.counts),
    concat(samples.map(([bytes]) => bytes)),
    indexBytes(samples.map(([, index]) => index)),
  ];
}

/**
 * A server's answers to `queries` from the wire: the counts checked against each range, and the
 * samples shared out by part (`InternalError` if the shape is wrong: servers made it).
 * `parts(query, counts)` gives the sizes of a query's parts.
 *
 * @example
 * ```ts
 * import { decodeProbeAnswer, encodeProbeAnswer } from "./probe_wire.ts";
 * const queries = [{ lo: 0, hi: 0, pivots: [] }];
 * decodeProbeAnswer(encodeProbeAnswer([{ counts: [], samples: [] }]), queries)[0].counts; // []
 * ```
 */
export function decodeProbeAnswer(value: unknown, queries: ProbeQuery[]): ProbeAnswer[] {
  const [counts, bytes, indexes] = Array.isArray(value) && value.length === 3 ? value : [];
  if (
    !Array.isArray(counts) || !(bytes instanceof Uint8Array) || !(indexes instanceof Uint8Array)
  ) {
    throw new InternalError("a sort probe was answered with the wrong shape");
  }
  let items: Uint8Array[], at: Float64Array;
  try {
    items = splitItems(bytes, "sample");
    at = readIndexBytes(indexes, "sample indexes");
  } catch (error) {
    throw new InternalError(`a sort probe's answer: ${(error as Error).message}`);
  }
  let nextCount = 0, nextSample = 0;
  const answers = queries.map((query) => {
    const mine = counts.slice(nextCount, nextCount += query.pivots.length);
    const cuts = [query.lo, ...mine, query.hi];
    let samples = 0;
    for (let j = 0; j + 1 < cuts.length; j++) {
      if (!Number.isSafeInteger(cuts[j + 1]) || cuts[j + 1] < cuts[j]) {
        throw new InternalError(`a sort probe answered the count ${cuts[j + 1]}`);
      }
      samples += samplesIn(cuts[j + 1] - cuts[j]);
    }
    const taken: Pivot[] = [];
    for (let k = 0; k < samples; k++, nextSample++) taken.push([items[nextSample], at[nextSample]]);
    return { counts: mine as number[], samples: taken };
  });
  if (nextCount !== counts.length || nextSample !== items.length || items.length !== at.length) {
    throw new InternalError("a sort probe answered more or fewer items than its ranges hold");
  }
  return answers;
}

/** Items back to back, each a sortable msgpack scalar, cut apart by their own headers. */
function splitItems(bytes: Uint8Array, what: string): Uint8Array[] {
  const items: Uint8Array[] = [];
  for (let at = 0; at < bytes.length;) {
    const length = sortableLength(bytes, at);
    if (length < 0) throw new BadArgument(`a ${what} must be a value that has a sort key`);
    items.push(bytes.subarray(at, at += length));
  }
  return items;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) out.set(part, at), at += part.length;
  return out;
}
