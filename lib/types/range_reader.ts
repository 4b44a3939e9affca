/**
 * Reads a run of list items (`start, start+step, …`, `count` of them) from the nodes that hold
 * them, in index order, a chunk at a time, decoding them as it goes.
 *
 * Each node involved gets one `list.range` stream, opened when its first item is needed; the
 * stream runs ahead within its credit window, so items arrive in batches and the next chunk is
 * usually on hand before it is asked for. If a node has fewer items than asked for (the list
 * was shortened meanwhile), the read ends there: it never skips over a missing item.
 *
 * @example
 * ```ts
 * import { RangeReader } from "./range_reader.ts";
 * // const reader = new RangeReader(name, layout, links, { start: 0, step: 1, count: 100 });
 * // for (let chunk; (chunk = await reader.nextChunk()) !== null;) console.log(chunk.length);
 * // reader.close();
 * ```
 * @module
 */
import { decodeValueAt } from "../wire/codec.ts";
import { ProtocolError } from "../wire/errors.ts";
import { checkBatch, type ValueBatch } from "../wire/value_batch.ts";
import { type ListLayout, ListOp, ownerOf } from "../wire/list_protocol.ts";
import type { Connection } from "../net/connection.ts";
import type { StreamReader } from "../net/stream_reader.ts";
import type { SliceIndices } from "./slice.ts";

/** Stream chunks each node may send ahead of the reader. */
const STREAM_WINDOW = 8;

interface NodeStream {
  reader: Promise<StreamReader>;
  /** The chunk being read: values back to back, their lengths, and where we are in it. */
  chunk: ValueBatch;
  item: number;
  offset: number;
  ended: boolean;
}

const EMPTY: ValueBatch = { bytes: new Uint8Array(0), lengths: [] };

/** See the module docs. */
export class RangeReader {
  readonly #name: string;
  readonly #layout: ListLayout;
  readonly #links: Connection[];
  readonly #start: number;
  readonly #step: number;
  readonly #count: number;
  readonly #streams = new Map<number, NodeStream>();
  #done = 0;

  /** A reader of `indices` of list `name`, reaching node k through `links[k]`. */
  constructor(name: string, layout: ListLayout, links: Connection[], indices: SliceIndices) {
    this.#name = name;
    this.#layout = layout;
    this.#links = links;
    this.#start = indices.start;
    this.#step = indices.step;
    this.#count = indices.count;
  }

  /** Items read so far. */
  get position(): number {
    return this.#done;
  }

  /** The next items in order (from one node), decoded, or `null` when the run is over. */
  async nextChunk(): Promise<unknown[] | null> {
    if (this.#done >= this.#count) return null;
    const index = this.#start + this.#done * this.#step;
    const owner = ownerOf(this.#layout, index);
    const stream = await this.#fill(owner, index);
    if (!stream) {
      this.#done = this.#count;
      return null;
    }
    const out: unknown[] = [];
    const { bytes, lengths } = stream.chunk;
    while (this.#done < this.#count && stream.item < lengths.length) {
      const i = this.#start + this.#done * this.#step;
      if (ownerOf(this.#layout, i) !== owner) break;
      const end = stream.offset + lengths[stream.item++];
      out.push(decodeValueAt(bytes, stream.offset, end));
      stream.offset = end;
      this.#done++;
    }
    return out;
  }

  /** Stop every stream still running. */
  close(): void {
    for (const stream of this.#streams.values()) {
      stream.reader.then((reader) => reader.return(), () => {});
    }
    this.#streams.clear();
    this.#done = this.#count;
  }

  /** The owner's stream with at least one unread item, or null if it has no more. */
  async #fill(owner: number, index: number): Promise<NodeStream | null> {
    let stream = this.#streams.get(owner);
    if (!stream) {
      const last = this.#start + (this.#count - 1) * this.#step;
      const stop = this.#step > 0 ? last + 1 : Math.max(-1, last - 1);
      stream = {
        reader: this.#links[owner].stream(ListOp.Range, [this.#name, index, stop, this.#step], {
          window: STREAM_WINDOW,
        }),
        chunk: EMPTY,
        item: 0,
        offset: 0,
        ended: false,
      };
      this.#streams.set(owner, stream);
    }
    if (stream.item < stream.chunk.lengths.length) return stream;
    if (stream.ended) return null;
    const next = await (await stream.reader).next();
    if (next.done) {
      stream.ended = true;
      return null;
    }
    try {
      stream.chunk = checkBatch(next.value, "range chunk");
    } catch {
      throw new ProtocolError(`${this.#links[owner].address} sent a malformed range chunk`);
    }
    stream.item = 0;
    stream.offset = 0;
    return stream;
  }
}
