/**
 * Checking the arguments of the server-to-server rewrite operations (`list.move`,
 * `list.stage`: docs/PROTOCOL.md §12.5) and putting runs on the wire (probes: probe_wire.ts). Every
 * field is checked before anything is touched, so a malformed request is a `BAD_ARGUMENT`.
 *
 * @example
 * ```ts
 * import { moveSpecFrom } from "./rewrite_args.ts";
 * moveSpecFrom(["reverse", 10]); // { kind: "reverse", length: 10 }
 * ```
 * @module
 */
import { BadArgument } from "../wire/errors.ts";
import { checkBatch, splitBatch } from "../wire/value_batch.ts";
import { sortableLength } from "./sort_key.ts";
import { INDEX_BYTES, indexBytes, isIndex, readIndexBytes } from "./index_bytes.ts";
import { MAX_STAGE_RUNS, type MoveSpec, type Run } from "./list_rewrite.ts";
import { MAX_SORT_BLOCKS } from "./sort_cuts.ts";

/**
 * A `list.move` spec from the wire: `["shift", at, delta, length, value|null]`,
 * `["reverse", length]` or `["sort", cuts]`.
 *
 * @example
 * ```ts
 * import { moveSpecFrom } from "./rewrite_args.ts";
 * moveSpecFrom(["shift", 3, -1, 10, null]).kind; // "shift"
 * ```
 */
export function moveSpecFrom(value: unknown): MoveSpec {
  if (!Array.isArray(value)) throw new BadArgument("a move must be an array");
  const [kind] = value;
  if (kind === "shift" && value.length === 5) {
    const [, at, delta, length, item] = value;
    if (
      !isIndex(at) || (delta !== 1 && delta !== -1) || !isIndex(length) ||
      !(item === null || item instanceof Uint8Array)
    ) {
      throw new BadArgument('a shift is ["shift", at, 1 or -1, length, value or null]');
    }
    return { kind, at, delta, length, value: item ?? undefined };
  }
  if (kind === "reverse" && value.length === 2 && isIndex(value[1])) {
    return { kind, length: value[1] };
  }
  if (kind === "sort" && value.length === 2) {
    const cuts = value[1];
    if (
      !Array.isArray(cuts) || cuts.length < 2 || cuts.length > MAX_SORT_BLOCKS + 1 ||
      !cuts.every(isIndex)
    ) {
      throw new BadArgument(`sort cuts must be 2 to ${MAX_SORT_BLOCKS + 1} counts`);
    }
    return { kind, cuts };
  }
  throw new BadArgument('a move is ["shift", …], ["reverse", length] or ["sort", cuts]');
}

/**
 * `list.stage` runs from the wire: `[firsts, counts, bytes, lengths, origins]` — each run's
 * first index (a sorted run: its block's) and item count, then every item of every run as one
 * value batch, then nil or, for sorted runs, each item's index before the sort as
 * little-endian float 64s. Flat, so that many small runs cost the receiver little to decode.
 *
 * @example
 * ```ts
 * import { runsFrom } from "./rewrite_args.ts";
 * runsFrom([[0], [1], new Uint8Array([1]), [1], null])[0].first; // 0
 * ```
 */
export function runsFrom(value: unknown): Run[] {
  const [firsts, counts, bytes, lengths, origins] = Array.isArray(value) && value.length === 5
    ? value
    : [];
  if (
    !Array.isArray(firsts) || !Array.isArray(counts) || firsts.length !== counts.length ||
    firsts.length > MAX_STAGE_RUNS || !firsts.every(isIndex) ||
    !counts.every((n) => isIndex(n) && n > 0)
  ) {
    throw new BadArgument(
      `runs are [firsts, counts, bytes, lengths, origins or nil], at most ${MAX_STAGE_RUNS} runs`,
    );
  }
  // Sorted runs carry no lengths: their items are msgpack scalars, whose headers say them.
  const batch = origins !== null && lengths === null && bytes instanceof Uint8Array
    ? { bytes, lengths: scalarLengths(bytes) }
    : checkBatch([bytes, lengths], "the runs' values");
  const total = counts.reduce((sum: number, n: number) => sum + n, 0);
  if (total !== batch.lengths.length) {
    throw new BadArgument(`the runs name ${total} values but carry ${batch.lengths.length}`);
  }
  const sorted = origins === null ? undefined : originsFrom(origins, total);
  const pieces = splitBatch(batch, counts);
  let item = 0;
  return pieces.map((piece, r) => {
    const run: Run = { first: firsts[r], batch: piece };
    if (sorted) run.origins = sorted.subarray(item, item + piece.lengths.length);
    item += piece.lengths.length;
    return run;
  });
}

/**
 * The wire form of one `list.stage` request's runs (all sorted, or none).
 *
 * @example
 * ```ts
 * import { runsToWire } from "./rewrite_args.ts";
 * runsToWire([{ first: 4, batch: { bytes: new Uint8Array([1]), lengths: [1] } }]).length; // 5
 * ```
 */
export function runsToWire(runs: Run[]): unknown[] {
  const bytes = new Uint8Array(runs.reduce((sum, run) => sum + run.batch.bytes.length, 0));
  const lengths: number[] = [];
  let at = 0;
  for (const run of runs) {
    bytes.set(run.batch.bytes, at);
    at += run.batch.bytes.length;
    for (const length of run.batch.lengths) lengths.push(length);
  }
  const sorted = runs.length > 0 && runs[0].origins !== undefined;
  const origins = sorted ? indexBytes(runs.flatMap((run) => [...run.origins!])) : null;
  return [
    runs.map((run) => run.first),
    runs.map((run) => run.batch.lengths.length),
    bytes,
    lengths,
    origins,
  ];
}

/** The lengths of the sortable msgpack scalars back to back in `bytes`. */
function scalarLengths(bytes: Uint8Array): number[] {
  const lengths: number[] = [];
  for (let at = 0; at < bytes.length;) {
    const length = sortableLength(bytes, at);
    if (length < 0) throw new BadArgument("a sorted run holds an item that has no sort key");
    lengths.push(length);
    at += length;
  }
  return lengths;
}

/** A sorted run's origins: `count` little-endian float64 indexes, each a safe integer ≥ 0. */
function originsFrom(value: unknown, count: number): Float64Array {
  if (!(value instanceof Uint8Array) || value.length !== count * INDEX_BYTES) {
    throw new BadArgument(`a sorted run's origins must be ${INDEX_BYTES} bytes per value`);
  }
  return readIndexBytes(value, "a sorted run's origins");
}
