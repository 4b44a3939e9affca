/**
 * A stream for a reader that wants the newest item, not a queue of old ones (a camera feed):
 * the source is pulled continuously, and while the reader is busy each new item replaces the
 * one waiting. Each item comes with how many were skipped before it.
 *
 * @example
 * ```ts
 * import { latestOnly } from "./latest_only.ts";
 * for await (const [item, skipped] of latestOnly(frames())) {
 *   await show(item); // slow: frames in between are skipped
 * }
 * ```
 * @module
 */

/** See the module docs. The source is closed when the reader stops. */
export async function* latestOnly<T>(source: AsyncIterator<T>): AsyncGenerator<[T, number]> {
  let waiting: { item: T } | undefined;
  let skipped = 0;
  let finished = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  let stop = false;
  const pump = (async () => {
    try {
      while (!stop) {
        const result = await source.next();
        if (result.done) break;
        if (waiting) skipped++;
        waiting = { item: result.value };
        wake?.();
      }
    } catch (error) {
      failure = error;
    } finally {
      finished = true;
      wake?.();
    }
  })();
  try {
    while (true) {
      if (waiting) {
        const { item } = waiting;
        const count = skipped;
        waiting = undefined;
        skipped = 0;
        yield [item, count];
        continue;
      }
      if (finished) {
        if (failure !== undefined) throw failure;
        return;
      }
      await new Promise<void>((resume) => wake = resume);
      wake = undefined;
    }
  } finally {
    // Closing ends a pending next() too (the source says "done"), so the pump stops.
    stop = true;
    await source.return?.();
    await pump;
  }
}
