/**
 * Feeds a stream of values out in batches that fit a frame, one batch in flight at a time:
 * the next batch is encoded while the last one travels, and if one fails, every batch before
 * it went through and none after it is sent.
 *
 * @example
 * ```ts
 * import { sendInBatches } from "./batch_sender.ts";
 * import { ValueBatchWriter } from "../wire/value_batch.ts";
 * const sent = await sendInBatches([1, 2, 3], new ValueBatchWriter(), {
 *   maxBytes: 1024,
 *   maxItems: 2,
 * }, async (batch) => console.log(batch.lengths));
 * // [1, 1], then [1]; sent === 3
 * ```
 * @module
 */
import type { ValueBatch, ValueBatchWriter } from "../wire/value_batch.ts";

/**
 * Encode `values` with `writer` into batches within `limits` and hand each to `send`;
 * resolves to the number of values sent. `writer` is left empty on success.
 *
 * @example
 * ```ts
 * import { sendInBatches } from "./batch_sender.ts";
 * // await sendInBatches(values, writer, { maxBytes, maxItems }, (batch) => append(batch));
 * ```
 */
export async function sendInBatches(
  values: Iterable<unknown> | AsyncIterable<unknown>,
  writer: ValueBatchWriter,
  limits: { maxBytes: number; maxItems: number },
  send: (batch: ValueBatch) => Promise<unknown>,
): Promise<number> {
  let sent = 0;
  let inFlight: Promise<unknown> | undefined;
  const next = async (batch: ValueBatch) => {
    await inFlight;
    inFlight = send(batch);
    inFlight.catch(() => {}); // Handled by the next await; must not count as unhandled.
    sent += batch.lengths.length;
  };
  const full = () =>
    writer.count > 1 && (writer.byteLength > limits.maxBytes || writer.count > limits.maxItems);
  // A sync iterable is read with for…of: for await would cost a promise per item.
  if (Symbol.iterator in values) {
    for (const value of values) {
      writer.add(value);
      if (full()) await next(writer.takeAllButLast());
    }
  } else {
    for await (const value of values) {
      writer.add(value);
      if (full()) await next(writer.takeAllButLast());
    }
  }
  if (writer.count > 0) await next(writer.take());
  await inFlight;
  return sent;
}
