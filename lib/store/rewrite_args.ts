/**
 * Checking the arguments of the server-to-server rewrite operations (`list.move`,
 * `list.stage`, `list.sortProbe`: docs/PROTOCOL.md §12.6) and putting runs on the wire. Every
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
import { checkBatch } from "../wire/value_batch.ts";
import { MAX_PIVOTS, type MoveSpec, ORIGIN_BYTES, type Pivot, type Run } from "./list_rewrite.ts";
import { MAX_SORT_BLOCKS, PROBE_QUERIES } from "./sort_cuts.ts";

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
 * `list.stage` runs from the wire: `[first, bytes, lengths]` or, for a sorted run,
 * `[blockStart, bytes, lengths, origins]`.
 *
 * @example
 * ```ts
 * import { runsFrom } from "./rewrite_args.ts";
 * runsFrom([[0, new Uint8Array([1]), [1]]])[0].first; // 0
 * ```
 */
export function runsFrom(value: unknown): Run[] {
  if (!Array.isArray(value)) throw new BadArgument("runs must be an array");
  return value.map((run) => {
    if (!Array.isArray(run) || (run.length !== 3 && run.length !== 4) || !isIndex(run[0])) {
      throw new BadArgument("a run is [first, bytes, lengths] or [first, bytes, lengths, origins]");
    }
    const batch = checkBatch([run[1], run[2]], "a run's values");
    if (run[3] === undefined) return { first: run[0], batch };
    return { first: run[0], batch, origins: originsFrom(run[3], batch.lengths.length) };
  });
}

/**
 * The wire form of a run.
 *
 * @example
 * ```ts
 * import { runToWire } from "./rewrite_args.ts";
 * runToWire({ first: 4, batch: { bytes: new Uint8Array([1]), lengths: [1] } }); // [4, …, [1]]
 * ```
 */
export function runToWire(run: Run): unknown[] {
  const wire: unknown[] = [run.first, run.batch.bytes, run.batch.lengths];
  if (run.origins) {
    const bytes = new Uint8Array(run.origins.length * ORIGIN_BYTES);
    const view = new DataView(bytes.buffer);
    run.origins.forEach((origin, k) => view.setFloat64(k * ORIGIN_BYTES, origin, true));
    wire.push(bytes);
  }
  return wire;
}

/** A sorted run's origins: `count` little-endian float64 indexes, each a safe integer ≥ 0. */
function originsFrom(value: unknown, count: number): Float64Array {
  if (!(value instanceof Uint8Array) || value.length !== count * ORIGIN_BYTES) {
    throw new BadArgument(`a sorted run's origins must be ${ORIGIN_BYTES} bytes per value`);
  }
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const origins = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    const origin = view.getFloat64(k * ORIGIN_BYTES, true);
    if (!isIndex(origin)) throw new BadArgument("a sorted run's origins must be indexes");
    origins[k] = origin;
  }
  return origins;
}

/**
 * `list.sortProbe` queries from the wire: `[lo, hi, pivots]`, each pivot `[bytes, index]`.
 *
 * @example
 * ```ts
 * import { probeQueriesFrom } from "./rewrite_args.ts";
 * probeQueriesFrom([[0, 5, []]]); // [[0, 5, []]]
 * ```
 */
export function probeQueriesFrom(value: unknown): [number, number, Pivot[]][] {
  if (!Array.isArray(value) || value.length > PROBE_QUERIES) {
    throw new BadArgument(`probe queries must be an array of at most ${PROBE_QUERIES}`);
  }
  return value.map((query) => {
    if (
      !Array.isArray(query) || query.length !== 3 || !isIndex(query[0]) || !isIndex(query[1]) ||
      !Array.isArray(query[2]) || query[2].length > MAX_PIVOTS
    ) {
      throw new BadArgument(`a probe query is [lo, hi, up to ${MAX_PIVOTS} pivots]`);
    }
    for (const pivot of query[2]) {
      if (
        !(Array.isArray(pivot) && pivot.length === 2 && pivot[0] instanceof Uint8Array &&
          isIndex(pivot[1]))
      ) {
        throw new BadArgument("a probe pivot is [bytes, index]");
      }
    }
    return [query[0], query[1], query[2] as Pivot[]];
  });
}

function isIndex(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}
