/**
 * Several streams of `[ident, …]` items, each in increasing ident order, read as one stream in
 * ident order: a k-way merge holding one item per stream, so that memory stays at one item per
 * stream and each stream is read only as fast as the merged one is (backpressure stays end to
 * end). Leaving the loop closes every stream.
 *
 * @example
 * ```ts
 * import { mergeByIdent } from "./ordered_merge.ts";
 * async function* shard(first: number) { for (let k = first; k < 6; k += 2) yield [k, "x"] as const; }
 * for await (const [ident] of mergeByIdent([shard(0), shard(1)])) console.log(ident); // 0 … 5
 * ```
 * @module
 */
import { BadArgument } from "../wire/errors.ts";

/**
 * Merge `streams` by their items' first element (see the module docs). A stream whose idents
 * go down fails the merge with `BAD_ARGUMENT` (the order could not be kept).
 */
export async function* mergeByIdent<T extends readonly [number, ...unknown[]]>(
  streams: AsyncIterator<T>[],
): AsyncGenerator<T> {
  const heads: (T | undefined)[] = new Array(streams.length);
  const last: number[] = new Array(streams.length).fill(-Infinity);
  const pull = async (k: number) => {
    const next = await streams[k].next();
    if (next.done) return void (heads[k] = undefined);
    if (next.value[0] < last[k]) {
      throw new BadArgument(
        `stream ${k} went back from ident ${last[k]} to ${next.value[0]}: a merged stream's ` +
          "idents must increase",
      );
    }
    last[k] = next.value[0];
    heads[k] = next.value;
  };
  try {
    await Promise.all(streams.map((_, k) => pull(k)));
    while (true) {
      let smallest = -1;
      for (let k = 0; k < heads.length; k++) {
        const head = heads[k];
        if (head !== undefined && (smallest < 0 || head[0] < heads[smallest]![0])) smallest = k;
      }
      if (smallest < 0) return;
      yield heads[smallest]!;
      await pull(smallest);
    }
  } finally {
    await Promise.all(streams.map((stream) => stream.return?.().catch(() => {})));
  }
}
