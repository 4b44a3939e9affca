/**
 * Many encoded values travelling together: one byte string holding the values back to back,
 * and their lengths — `[bytes, lengths]` on the wire. It costs one copy per batch where an
 * array of byte strings costs a header, an object and a copy per value, and it is how
 * appends, server-to-server stores and range chunks move items.
 *
 * @example
 * ```ts
 * import { ValueBatchWriter } from "./value_batch.ts";
 * const writer = new ValueBatchWriter();
 * writer.add("a");
 * writer.add({ b: 1 });
 * const batch = writer.take(); // { bytes: Uint8Array(6), lengths: [2, 4] }
 * ```
 * @module
 */
import { encodeValueShared } from "./codec.ts";
import { BadArgument } from "./errors.ts";
import { ScalarWriter } from "./scalars.ts";

/**
 * Bytes a batch may need on the wire per value beyond the value itself (its length, as a
 * msgpack integer): to fit a frame of `n` bytes, send at most `n / 2` bytes of values and
 * `n / (4 * BATCH_BYTES_PER_VALUE)` values.
 */
export const BATCH_BYTES_PER_VALUE = 5;

/**
 * The most values one batch holds, whatever the frame limit: far below the 2^20 msgpack values
 * a frame may hold (decode_bounds.ts), since each value adds a length to the batch.
 */
export const MAX_BATCH_VALUES = 1 << 18;

/**
 * The most values and value bytes a batch may hold to fit, with room to spare, in a frame of
 * `maxFrameBytes`, within `cap` (bytes), `maxItems` and {@link MAX_BATCH_VALUES}.
 *
 * @example
 * ```ts
 * import { batchLimits } from "./value_batch.ts";
 * batchLimits(1024, 1 << 20, 1024); // { maxBytes: 512, maxItems: 51 }
 * ```
 */
export function batchLimits(
  maxFrameBytes: number,
  cap: number,
  maxItems: number,
): { maxBytes: number; maxItems: number } {
  return {
    maxBytes: Math.min(cap, Math.floor(maxFrameBytes / 2)),
    maxItems: Math.max(
      1,
      Math.min(
        maxItems,
        MAX_BATCH_VALUES,
        Math.floor(maxFrameBytes / (4 * BATCH_BYTES_PER_VALUE)),
      ),
    ),
  };
}

/** Values encoded back to back, and the length of each. */
export interface ValueBatch {
  bytes: Uint8Array;
  lengths: number[];
}

/**
 * Builds one batch: encodes values (scalars on the fast path, the rest through msgpack), or
 * takes values already encoded (a server building a range chunk from what it stores).
 *
 * @example
 * ```ts
 * import { ValueBatchWriter } from "./value_batch.ts";
 * const w = new ValueBatchWriter();
 * w.add(1);
 * w.addEncoded(new Uint8Array([0xc3]));
 * w.take().lengths; // [1, 1]
 * ```
 */
export class ValueBatchWriter {
  #writer = new ScalarWriter();
  #lengths: number[] = [];

  /** Values added since the last take. */
  get count(): number {
    return this.#lengths.length;
  }

  /** Encoded bytes added since the last take. */
  get byteLength(): number {
    return this.#writer.length;
  }

  /** Encode and add `value`; returns its encoded size. Throws `BadArgument` if it cannot be. */
  add(value: unknown): number {
    const before = this.#writer.length;
    if (!this.#writer.write(value)) this.#writer.writeRaw(encodeValueShared(value));
    const size = this.#writer.length - before;
    this.#lengths.push(size);
    return size;
  }

  /** Add one value that is already encoded (copied): all of `value`, or `value[start:end]`. */
  addEncoded(value: Uint8Array, start = 0, end = value.length): void {
    this.#writer.writeRaw(value, start, end);
    this.#lengths.push(end - start);
  }

  /**
   * The bytes added so far, in the writer's own buffer: valid until the next add or take (to
   * look at a value just added without copying it).
   */
  get bytes(): Uint8Array {
    return this.#writer.bytes;
  }

  /**
   * Add items `from…to-1` of a packed run in one copy: they occupy `bytes[start:ends[to-1]]`,
   * and item k ends at `ends[k]`.
   */
  addRun(
    bytes: Uint8Array,
    start: number,
    ends: ArrayLike<number>,
    from: number,
    to: number,
  ): void {
    this.#writer.writeRaw(bytes, start, ends[to - 1]);
    let previous = start;
    for (let k = from; k < to; k++) {
      this.#lengths.push(ends[k] - previous);
      previous = ends[k];
    }
  }

  /** Every value but the last (its own copy); the last stays, to start the next batch. */
  takeAllButLast(): ValueBatch {
    const last = this.#lengths[this.#lengths.length - 1];
    const writer = this.#writer;
    const cut = writer.length - last;
    const batch = { bytes: writer.bytes.slice(0, cut), lengths: this.#lengths.slice(0, -1) };
    writer.bytes.copyWithin(0, cut, writer.length);
    writer.length = last;
    this.#lengths = [last];
    return batch;
  }

  /** The batch so far (its own copy), then start empty. */
  take(): ValueBatch {
    const batch = { bytes: this.#writer.take(), lengths: this.#lengths };
    this.#lengths = [];
    return batch;
  }
}

/**
 * The wire form of a batch.
 *
 * @example
 * ```ts
 * import { batchToWire } from "./value_batch.ts";
 * batchToWire({ bytes: new Uint8Array([1]), lengths: [1] }); // [Uint8Array [1], [1]]
 * ```
 */
export function batchToWire(batch: ValueBatch): [Uint8Array, number[]] {
  return [batch.bytes, batch.lengths];
}

/**
 * Check a received `[bytes, lengths]`: lengths are positive integers that add up to the
 * bytes exactly. Throws `BadArgument` naming `what`.
 *
 * @example
 * ```ts
 * import { checkBatch } from "./value_batch.ts";
 * checkBatch([new Uint8Array([1, 2]), [1, 1]], "values").lengths; // [1, 1]
 * ```
 */
export function checkBatch(value: unknown, what: string): ValueBatch {
  if (
    !Array.isArray(value) || value.length !== 2 || !(value[0] instanceof Uint8Array) ||
    !Array.isArray(value[1])
  ) {
    throw new BadArgument(`${what} must be a value batch [bytes, lengths]`);
  }
  const [bytes, lengths] = value as [Uint8Array, unknown[]];
  if (lengths.length === 0) throw new BadArgument(`${what} must hold at least one value`);
  let total = 0;
  for (const length of lengths) {
    if (!Number.isSafeInteger(length) || (length as number) < 1) {
      throw new BadArgument(`${what}: each length must be a positive integer`);
    }
    total += length as number;
  }
  if (total !== bytes.length) {
    throw new BadArgument(
      `${what}: lengths add up to ${total}, but there are ${bytes.length} bytes`,
    );
  }
  return { bytes, lengths: lengths as number[] };
}

/**
 * Cut a batch into consecutive pieces of `sizes[k]` values each, as views (no copy).
 *
 * @example
 * ```ts
 * import { splitBatch } from "./value_batch.ts";
 * splitBatch({ bytes: new Uint8Array([1, 2, 3]), lengths: [1, 2] }, [1, 1])[1].bytes; // [2, 3]
 * ```
 */
export function splitBatch(batch: ValueBatch, sizes: number[]): ValueBatch[] {
  const pieces: ValueBatch[] = [];
  let item = 0;
  let byte = 0;
  for (const size of sizes) {
    const lengths = batch.lengths.slice(item, item + size);
    let bytes = 0;
    for (const length of lengths) bytes += length;
    pieces.push({ bytes: batch.bytes.subarray(byte, byte + bytes), lengths });
    item += size;
    byte += bytes;
  }
  return pieces;
}

/**
 * Join batches into one (one copy).
 *
 * @example
 * ```ts
 * import { joinBatches } from "./value_batch.ts";
 * const one = { bytes: new Uint8Array([1]), lengths: [1] };
 * joinBatches([one, one]).lengths; // [1, 1]
 * ```
 */
export function joinBatches(batches: ValueBatch[]): ValueBatch {
  if (batches.length === 1) return batches[0];
  let total = 0;
  for (const batch of batches) total += batch.bytes.length;
  const bytes = new Uint8Array(total);
  const lengths: number[] = [];
  let at = 0;
  for (const batch of batches) {
    bytes.set(batch.bytes, at);
    at += batch.bytes.length;
    for (const length of batch.lengths) lengths.push(length);
  }
  return { bytes, lengths };
}
