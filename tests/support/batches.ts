/**
 * Value batches for tests: make one from byte strings, and look at one value by value.
 *
 * @example
 * ```ts
 * import { batchOf, batchViews } from "./batches.ts";
 * batchViews(batchOf([new Uint8Array([1]), new Uint8Array([2, 3])])); // [[1], [2, 3]]
 * ```
 * @module
 */
import { type ValueBatch, ValueBatchWriter } from "../../lib/wire/value_batch.ts";

/** A batch holding these already-encoded values. */
export function batchOf(values: Uint8Array[]): ValueBatch {
  const writer = new ValueBatchWriter();
  for (const value of values) writer.addEncoded(value);
  return writer.take();
}

/** Each value of a batch as a view into its bytes. */
export function batchViews(batch: ValueBatch): Uint8Array[] {
  let at = 0;
  return batch.lengths.map((length) => batch.bytes.subarray(at, at += length));
}
