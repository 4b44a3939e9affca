/**
 * Dense storage for one node's items of one list: local positions 0…length-1, appended and
 * removed at the end, replaceable anywhere.
 *
 * Items are packed back to back in *segments* (a byte buffer plus the end offset of each
 * item), so storing a batch is one copy and reading a run is one copy — no object per item.
 * The last segment grows by doubling up to {@link SEGMENT_BYTES}; then a new one starts.
 * Memory per item is its bytes plus a 4-byte end offset, where a `Uint8Array` per item costs
 * ~100 bytes more and keeps the garbage collector busy.
 *
 * A run of integers (msgpack's shortest form of an int32) is a *segment of integers* instead:
 * 1 to 4 bytes each and no offsets (packed_ints.ts). One starts where a new segment would start
 * anyway, so a list that mixes kinds is not cut into small segments; every read encodes its
 * integers back into exactly the bytes that came in.
 *
 * A big batch is not copied at all: its bytes (a view into the frame it arrived in, which
 * the frame decoder never reuses) become a segment of their own — but only when it fills at
 * least half of that buffer, so a batch never keeps more than its own size alive besides.
 *
 * A view returned by {@link ItemStore.get} is valid until the next change to the store;
 * callers encode it at once.
 *
 * @example
 * ```ts
 * import { ItemStore } from "./item_store.ts";
 * const store = new ItemStore();
 * store.write(0, new Uint8Array([1, 2, 3]), [1, 2]);
 * store.get(1); // Uint8Array [2, 3]
 * store.length; // 2
 * ```
 * @module
 */
import { type ValueBatch, ValueBatchWriter } from "../wire/value_batch.ts";
import {
  allCanonicalInts,
  canonicalInt,
  encodeInt,
  intSize,
  PackedInts,
  widthOf,
} from "./packed_ints.ts";

/** Largest size a segment grows to by itself (one bigger batch gets a segment of its own). */
export const SEGMENT_BYTES = 1024 * 1024;
const FIRST_SEGMENT_BYTES = 256;
const FIRST_SEGMENT_ITEMS = 64;
/** Most integers one segment of integers holds (1 MiB at 4 bytes each). */
export const INT_SEGMENT_ITEMS = 256 * 1024;
const NO_BYTES = new Uint8Array(0);
const NO_ENDS = new Uint32Array(0);
/** Where an integer is encoded for a visitor that reads it at once (scan). */
const SCRATCH = new Uint8Array(8);
const SCRATCH_VIEW = new DataView(SCRATCH.buffer);

interface Segment {
  /** Local position of its first item. */
  first: number;
  bytes: Uint8Array;
  /**
   * Bytes in use. Of a segment of integers: what its items take encoded, or NaN until
   * {@link ItemStore.bytesHeld} counts them (a rebuild or a cut would count every item).
   */
  used: number;
  /**
   * End offset (in `bytes`) of each item, `count` of them; a typed array, 4 bytes per item (a
   * JS array costs 8, and more while it grows).
   */
  ends: Uint32Array;
  /**
   * Set for a segment of integers (see packed_ints.ts): item k is `ints.get(k)`, and `bytes`
   * and `ends` are empty.
   */
  ints: PackedInts | undefined;
  /** Items in it. */
  count: number;
  /** Adopted from a received frame: never written into (it is not ours to reuse). */
  sealed: boolean;
  /**
   * A frozen view holds its bytes and offsets (ItemStore.freeze): writes past its end are
   * harmless, but a truncation must first give the segment copies of its own.
   */
  frozen: boolean;
}

/**
 * Part of a rebuilt tail ({@link ItemStore.rebuildFrom}): `count` of the store's own items
 * from position `from`, or a batch of items from elsewhere.
 */
export type StorePiece =
  | { from: number; count: number; backwards: boolean }
  | { batch: { bytes: Uint8Array; lengths: ArrayLike<number> } };

/** A batch at least this big, filling at least half its buffer, is kept as it is. */
export const ADOPT_MIN_BYTES = 16 * 1024;

/** See the module docs. */
export class ItemStore {
  #segments: Segment[] = [];
  #length = 0;
  /** Items replaced by `set`, by position (their old bytes stay in the segment, unused). */
  #replaced = new Map<number, Uint8Array>();

  /** Items held. */
  get length(): number {
    return this.#length;
  }

  /** Bytes of the items held (replaced items count at their new size). */
  get bytesHeld(): number {
    let bytes = 0;
    for (const segment of this.#segments) {
      if (Number.isNaN(segment.used)) {
        let used = 0;
        for (let k = 0; k < segment.count; k++) used += intSize(segment.ints!.get(k));
        segment.used = used;
      }
      bytes += segment.used;
    }
    for (const [position, value] of this.#replaced) {
      const segment = this.#segmentOf(position);
      bytes += value.length - this.#sizeIn(segment, position - segment.first);
    }
    return bytes;
  }

  /**
   * Bytes of the arrays that hold the items, room to grow included: what the items cost in
   * memory, where {@link bytesHeld} is what they take encoded.
   */
  get arrayBytes(): number {
    let bytes = 0;
    for (const segment of this.#segments) {
      bytes += (segment.ints?.byteLength ?? 0) + segment.bytes.byteLength +
        segment.ends.byteLength;
    }
    for (const value of this.#replaced.values()) bytes += value.byteLength;
    return bytes;
  }

  /**
   * Store items (`bytes` back to back, `lengths` each) from position `at`, which must be at
   * most {@link length}. Anything from `at` on is replaced: a home re-sends a batch only
   * after the one before it failed, so what lies beyond is left over from that failure.
   */
  write(at: number, bytes: Uint8Array, lengths: ArrayLike<number>): void {
    if (at > this.#length) throw new RangeError(`position ${at} is past the end (${this.#length})`);
    if (at < this.#length) this.truncate(at);
    if (lengths.length === 0) return;
    if (this.#writeInts(bytes, lengths)) return;
    if (bytes.length >= ADOPT_MIN_BYTES && bytes.length * 2 >= bytes.buffer.byteLength) {
      return this.#adopt(bytes, lengths);
    }
    let tail = this.#segments[this.#segments.length - 1];
    if (!tail || tail.sealed || tail.ints || tail.bytes.length - tail.used < bytes.length) {
      tail = this.#tailFor(bytes.length);
    }
    tail.bytes.set(bytes, tail.used);
    let end = tail.used;
    const count = tail.count + lengths.length;
    if (count > tail.ends.length) {
      const grown = new Uint32Array(Math.max(count, tail.ends.length * 2));
      grown.set(tail.ends.subarray(0, tail.count));
      tail.ends = grown;
    }
    const ends = tail.ends;
    for (let k = 0, n = tail.count; k < lengths.length; k++) ends[n++] = end += lengths[k];
    tail.count = count;
    tail.used = end;
    this.#length += lengths.length;
  }

  /** The item at `position` (a view, valid until the next change), if held. */
  get(position: number): Uint8Array | undefined {
    if (position < 0 || position >= this.#length) return undefined;
    if (this.#replaced.size > 0) {
      const replaced = this.#replaced.get(position);
      if (replaced) return replaced;
    }
    const segment = this.#segmentOf(position);
    const k = position - segment.first;
    if (segment.ints) {
      const n = segment.ints.get(k);
      const value = new Uint8Array(intSize(n));
      encodeInt(n, value, 0);
      return value;
    }
    return segment.bytes.subarray(k === 0 ? 0 : segment.ends[k - 1], segment.ends[k]);
  }

  /** Replace the item at `position` with a copy of `value`; false if there is none. */
  replace(position: number, value: Uint8Array): boolean {
    if (position < 0 || position >= this.#length) return false;
    this.#replaced.set(position, value.slice());
    return true;
  }

  /** Remove the last item and return a copy of it. */
  removeLast(): Uint8Array | undefined {
    const value = this.get(this.#length - 1)?.slice();
    if (value) this.truncate(this.#length - 1);
    return value;
  }

  /** Keep only positions below `length`; returns how many items were removed. */
  truncate(length: number): number {
    const removed = Math.max(0, this.#length - Math.max(0, length));
    if (removed === 0) return 0;
    this.#length -= removed;
    const segments = this.#segments;
    while (segments.length > 0 && segments[segments.length - 1].first >= this.#length) {
      segments.pop();
    }
    const tail = segments[segments.length - 1];
    if (tail?.ints) {
      const ints = tail.ints;
      const count = this.#length - tail.first;
      // The encoded size stays known: the items cut off are taken off it (a pop is one), or,
      // when more are cut than are left, it is counted again when asked for.
      if (count * 2 < tail.count || Number.isNaN(tail.used)) tail.used = NaN;
      else for (let k = count; k < tail.count; k++) tail.used -= intSize(ints.get(k));
      tail.count = count;
      if (ints.byteLength >= ADOPT_MIN_BYTES && count * 4 <= ints.capacity) {
        // As below, a big array cut down to a small part would keep the rest alive (a rebuilt
        // tail has no cap on its size): a copy with room for twice what is left, or for what
        // one segment holds.
        const room = Math.min(INT_SEGMENT_ITEMS, Math.max(FIRST_SEGMENT_ITEMS, count * 2));
        tail.ints = ints.copy(count, Math.max(count, room));
        tail.frozen = false;
      } else if (tail.frozen) {
        // As below: the next write would land where a frozen view still reads.
        tail.ints = ints.copy(count);
        tail.frozen = false;
      }
    } else if (tail) {
      tail.count = this.#length - tail.first;
      tail.used = tail.count === 0 ? 0 : tail.ends[tail.count - 1];
      // A big buffer cut down to a small part would keep the rest alive: keep only that part.
      if (
        tail.sealed && tail.bytes.length >= ADOPT_MIN_BYTES && tail.used * 2 < tail.bytes.length
      ) {
        tail.bytes = tail.bytes.slice(0, Math.max(tail.used, FIRST_SEGMENT_BYTES));
        tail.ends = tail.ends.slice(0, Math.max(tail.count, FIRST_SEGMENT_ITEMS));
        tail.sealed = false;
        tail.frozen = false;
      } else if (tail.frozen && !tail.sealed) {
        // The next write lands where a frozen view still reads: write into copies instead.
        const bytes = new Uint8Array(tail.bytes.length);
        bytes.set(tail.bytes.subarray(0, tail.used));
        tail.bytes = bytes;
        tail.ends = tail.ends.slice();
        tail.frozen = false;
      }
    }
    if (this.#replaced.size > 0) {
      for (const position of this.#replaced.keys()) {
        if (position >= this.#length) this.#replaced.delete(position);
      }
    }
    return removed;
  }

  /**
   * Replace positions from `at` on with `pieces`, in order: runs of this store's own items
   * (read before anything is replaced; `backwards` walks down from `from`) or batches from
   * elsewhere. Each item is copied once, straight into new segments of about
   * {@link SEGMENT_BYTES}, its end offset computed from the old one — no per-item objects, so
   * shifting a long tail by one item costs little more than copying its bytes.
   */
  rebuildFrom(at: number, pieces: StorePiece[]): void {
    if (this.#rebuildInts(at, pieces)) return;
    // Every run of items the new tail is made of, as [bytes, start, ends, from, to]: items
    // from…to-1 of a packed buffer whose item k ends at ends[k] (item 0 starts at `start`).
    const runs: [Uint8Array, number, ArrayLike<number>, number, number][] = [];
    let total = 0;
    let count = 0;
    const add = (
      bytes: Uint8Array,
      start: number,
      ends: ArrayLike<number>,
      from: number,
      to: number,
    ) => {
      runs.push([bytes, start, ends, from, to]);
      total += ends[to - 1] - (from === 0 ? start : ends[from - 1]);
      count += to - from;
    };
    for (const piece of pieces) {
      if ("batch" in piece) {
        const { lengths } = piece.batch;
        const ends = endsOf(lengths);
        if (ends.length > 0) add(piece.batch.bytes, 0, ends, 0, ends.length);
      } else if (piece.backwards || this.#replaced.size > 0) {
        const step = piece.backwards ? -1 : 1;
        for (let k = 0, p = piece.from; k < piece.count; k++, p += step) {
          const value = this.get(p)!;
          add(value, 0, [value.length], 0, 1);
        }
      } else {
        for (let p = piece.from, left = piece.count; left > 0;) {
          const segment = this.#segmentOf(p);
          const k = p - segment.first;
          const to = Math.min(segment.count, k + left);
          if (segment.ints) {
            // Integers among other items: encoded into a run of bytes of their own.
            const bytes = new Uint8Array(5 * (to - k));
            const ends = new Uint32Array(to - k);
            for (let i = k, j = 0, end = 0; i < to; i++) {
              ends[j++] = end += encodeInt(segment.ints.get(i), bytes, end);
            }
            add(bytes, 0, ends, 0, to - k);
          } else add(segment.bytes, 0, segment.ends, k, to);
          left -= to - k;
          p += to - k;
        }
      }
    }
    // One buffer, exactly as big as the new tail: the bytes copied run by run, each item's
    // end offset moved by its run's shift.
    const bytes = new Uint8Array(total);
    const ends = new Uint32Array(count);
    let used = 0;
    let n = 0;
    for (const [source, start, sourceEnds, from, to] of runs) {
      const base = from === 0 ? start : sourceEnds[from - 1];
      bytes.set(source.subarray(base, sourceEnds[to - 1]), used);
      const shift = used - base;
      for (let k = from; k < to; k++) ends[n++] = sourceEnds[k] + shift;
      used = ends[n - 1];
    }
    this.truncate(at);
    if (count === 0) return;
    if (allIntsByEnds(bytes, ends)) {
      // A sorted or shifted list of integers stays one.
      this.#appendInts(bytes, ends.map((end, k) => end - (k === 0 ? 0 : ends[k - 1])));
      return;
    }
    // Sealed: a rebuilt tail is more often rebuilt again than appended to.
    this.#push(byteSegment(this.#length, bytes, ends, count, true));
  }

  /**
   * The items as they are now, to be read later while the store goes on changing (a log
   * compaction encodes them in slices): costs one small object per segment, no copy. Every
   * segment is marked frozen: writes after its items are harmless, and a truncation gives the
   * live segment copies of its own first (copy on write), so the view's bytes never change; the
   * view keeps its own counts and replacements.
   */
  freeze(): FrozenItems {
    const segments = this.#segments.map((segment): FrozenSegment => {
      segment.frozen = true;
      return { bytes: segment.bytes, ends: segment.ends, ints: segment.ints, count: segment.count };
    });
    return new FrozenItems(segments, new Map(this.#replaced), this.#length);
  }

  /** Copy the items at `positions` (each held) into `out`, in that order. */
  gather(out: ValueBatchWriter, positions: ArrayLike<number>): void {
    for (let k = 0; k < positions.length; k++) {
      const position = positions[k];
      const replaced = this.#replaced.size > 0 ? this.#replaced.get(position) : undefined;
      if (replaced) {
        out.addEncoded(replaced);
        continue;
      }
      const segment = this.#segmentOf(position);
      const i = position - segment.first;
      if (segment.ints) out.add(segment.ints.get(i));
      else out.addEncoded(segment.bytes, i === 0 ? 0 : segment.ends[i - 1], segment.ends[i]);
    }
  }

  /**
   * Visit positions `0…count-1` in order, each as its segment's buffer, a DataView of it and
   * the item's offset: a read of every item that allocates nothing per item.
   */
  scan(count: number, visit: (bytes: Uint8Array, view: DataView, at: number) => void): void {
    let position = 0;
    for (const segment of this.#segments) {
      const view = new DataView(segment.bytes.buffer, segment.bytes.byteOffset);
      const { ends, ints } = segment;
      for (let k = 0; k < segment.count && position < count; k++, position++) {
        const replaced = this.#replaced.size > 0 ? this.#replaced.get(position) : undefined;
        if (replaced) visit(replaced, new DataView(replaced.buffer, replaced.byteOffset), 0);
        else if (ints) {
          encodeInt(ints.get(k), SCRATCH, 0);
          visit(SCRATCH, SCRATCH_VIEW, 0);
        } else visit(segment.bytes, view, k === 0 ? 0 : ends[k - 1]);
      }
      if (position >= count) return;
    }
  }

  /**
   * Copy items from position `from` towards `to` (exclusive; `to < from` walks backwards)
   * into `out`, while `out` stays within `maxItems` items and `maxBytes` bytes (a first item
   * in an empty `out` always goes in). Returns the position reached: `to`, a position where a
   * limit stopped it, or `length` (forwards) if the items ran out.
   */
  copyTo(
    out: ValueBatchWriter,
    from: number,
    to: number,
    maxItems: number,
    maxBytes: number,
  ): number {
    const step = to >= from ? 1 : -1;
    let position = from;
    while (position !== to && out.count < maxItems && position >= 0 && position < this.#length) {
      const segment = this.#segmentOf(position);
      if (segment.ints && !this.#replaced.has(position)) {
        // A run of integers, each encoded straight into `out`, up to a replaced item, the
        // segment's edge or a limit.
        const { ints } = segment;
        for (let k = position - segment.first; k >= 0 && k < segment.count; k += step) {
          if (position === to || out.count >= maxItems || this.#replaced.has(position)) break;
          const n = ints.get(k);
          if (out.count > 0 && out.byteLength + intSize(n) > maxBytes) return position;
          out.add(n);
          position += step;
        }
        continue;
      }
      const value = this.get(position)!;
      if (out.count > 0 && out.byteLength + value.length > maxBytes) break;
      if (step === 1 && this.#replaced.size === 0) {
        // Forwards through one segment: copy the whole run that fits in one go.
        const k = position - segment.first;
        const start = k === 0 ? 0 : segment.ends[k - 1];
        const room = maxBytes - out.byteLength;
        const lastAllowed = Math.min(
          segment.count - 1,
          k + (to - position) - 1,
          k + (maxItems - out.count) - 1,
        );
        let last = k;
        while (last < lastAllowed && segment.ends[last + 1] - start <= room) last++;
        out.addRun(segment.bytes, start, segment.ends, k, last + 1);
        position += last - k + 1;
        continue;
      }
      out.addEncoded(value);
      position += step;
    }
    return position;
  }

  /**
   * Look for `value` among at most `count` positions from `from` on: the first position whose
   * bytes equal it (`found`, or -1), and where to go on looking (`next`; `length` when done).
   * A long search is done in slices so that it never holds the event loop for long.
   */
  find(value: Uint8Array, from: number, count: number): { found: number; next: number } {
    const end = Math.min(this.#length, from + count);
    if (from >= end) return { found: -1, next: this.#length };
    const found = this.#scan(value, from, end, () => true);
    return found < 0 ? { found: -1, next: end } : { found, next: found + 1 };
  }

  /**
   * How many of positions `from…from+count-1` hold bytes equal to `value`, and where a search
   * going on should continue.
   */
  count(value: Uint8Array, from: number, count: number): { matches: number; next: number } {
    const end = Math.min(this.#length, from + count);
    let matches = 0;
    if (from < end) {
      this.#scan(value, from, end, () => {
        matches++;
        return false;
      });
    }
    return { matches, next: end };
  }

  /**
   * Walk positions `from…end-1` (from < end ≤ length) in one pass over the segments, calling
   * `onMatch` for each whose bytes equal `value`; stop at the first for which it says true, and
   * return that position, or -1.
   */
  #scan(value: Uint8Array, from: number, end: number, onMatch: () => boolean): number {
    const segments = this.#segments;
    let s = segments.indexOf(this.#segmentOf(from));
    let position = from;
    // In a segment of integers an item equals `value` if it is the same integer.
    const int = canonicalInt(value, 0, value.length);
    while (position < end) {
      const segment = segments[s++];
      const ints = segment.ints;
      if (ints) {
        for (let k = position - segment.first; k < segment.count && position < end; k++) {
          const replaced = this.#replaced.size > 0 ? this.#replaced.get(position) : undefined;
          const match = replaced
            ? equalRange(replaced, 0, replaced.length, value)
            : ints.get(k) === int;
          if (match && onMatch()) return position;
          position++;
        }
        continue;
      }
      let k = position - segment.first;
      let start = k === 0 ? 0 : segment.ends[k - 1];
      for (; k < segment.count && position < end; k++, position++) {
        const stop = segment.ends[k];
        const replaced = this.#replaced.size > 0 ? this.#replaced.get(position) : undefined;
        const match = replaced
          ? equalRange(replaced, 0, replaced.length, value)
          : equalRange(segment.bytes, start, stop, value);
        if (match && onMatch()) return position;
        start = stop;
      }
    }
    return -1;
  }

  /**
   * Store a batch of integers in a segment of integers, if that is what it is and where it
   * goes: into a tail of integers, or where a new segment would start anyway (so that a list
   * mixing kinds is not cut into many small segments). False if it was not stored.
   */
  #writeInts(bytes: Uint8Array, lengths: ArrayLike<number>): boolean {
    if (lengths.length === 0) return false;
    const tail = this.#segments[this.#segments.length - 1];
    const goesThere = !tail || tail.count === 0 || tail.ints !== undefined || tail.sealed ||
      tail.used + bytes.length > SEGMENT_BYTES ||
      (bytes.length >= ADOPT_MIN_BYTES && bytes.length * 2 >= bytes.buffer.byteLength);
    if (!goesThere || !allCanonicalInts(bytes, lengths)) return false;
    this.#appendInts(bytes, lengths);
    return true;
  }

  /** Append a batch of canonical integers to the tail of integers, or to new ones. */
  #appendInts(bytes: Uint8Array, lengths: ArrayLike<number>): void {
    let tail = this.#segments[this.#segments.length - 1];
    for (let k = 0, at = 0; k < lengths.length; k++) {
      const end = at + lengths[k];
      const n = canonicalInt(bytes, at, end);
      at = end;
      if (!tail?.ints || tail.count >= INT_SEGMENT_ITEMS) {
        const room = Math.min(INT_SEGMENT_ITEMS, Math.max(FIRST_SEGMENT_ITEMS, lengths.length - k));
        this.#push(tail = intSegment(this.#length, PackedInts.for(n, room), 0, 0));
      }
      const ints = tail.ints!.withRoomFor(tail.count, n, INT_SEGMENT_ITEMS);
      ints.set(tail.count++, n);
      tail.ints = ints;
      tail.used += lengths[k];
      this.#length++;
    }
  }

  /**
   * {@link rebuildFrom} for a tail of integers only (every run in segments of integers, every
   * batch integers, nothing replaced): copied from array to array, never through bytes. False
   * (and nothing done) if it is not one.
   */
  #rebuildInts(at: number, pieces: StorePiece[]): boolean {
    if (this.#replaced.size > 0) return false;
    let count = 0;
    let width = 1;
    for (const piece of pieces) {
      if ("batch" in piece) {
        const { bytes, lengths } = piece.batch;
        for (let k = 0, start = 0; k < lengths.length; k++) {
          const n = canonicalInt(bytes, start, start += lengths[k]);
          if (Number.isNaN(n)) return false;
          width = Math.max(width, widthOf(n));
        }
        count += lengths.length;
        continue;
      }
      const low = piece.backwards ? piece.from - piece.count + 1 : piece.from;
      for (let p = low; p < low + piece.count;) {
        const segment = this.#segmentOf(p);
        if (!segment.ints) return false;
        width = Math.max(width, segment.ints.width);
        p = segment.first + segment.count;
      }
      count += piece.count;
    }
    const ints = new PackedInts(width, count);
    let n = 0;
    for (const piece of pieces) {
      if ("batch" in piece) {
        const { bytes, lengths } = piece.batch;
        for (let k = 0, start = 0; k < lengths.length; k++) {
          ints.set(n++, canonicalInt(bytes, start, start += lengths[k]));
        }
      } else if (piece.backwards) {
        for (let p = piece.from, left = piece.count; left > 0;) {
          const segment = this.#segmentOf(p);
          const source = segment.ints!;
          const stop = Math.max(-1, p - segment.first - left);
          for (let k = p - segment.first; k > stop; k--) ints.set(n++, source.get(k));
          left -= p - segment.first - stop;
          p = segment.first - 1;
        }
      } else {
        for (let p = piece.from, left = piece.count; left > 0;) {
          const segment = this.#segmentOf(p);
          const k = p - segment.first;
          const to = Math.min(segment.count, k + left);
          ints.copyRun(segment.ints!, k, to, n);
          n += to - k;
          left -= to - k;
          p += to - k;
        }
      }
    }
    this.truncate(at);
    if (count > 0) this.#push(intSegment(this.#length, ints, count, NaN));
    return true;
  }

  /** The encoded size of item `k` of `segment`. */
  #sizeIn(segment: Segment, k: number): number {
    if (segment.ints) return intSize(segment.ints.get(k));
    return segment.ends[k] - (k === 0 ? 0 : segment.ends[k - 1]);
  }

  /** Keep `bytes` as a segment of its own, without copying. */
  #adopt(bytes: Uint8Array, lengths: ArrayLike<number>): void {
    const ends = endsOf(lengths);
    this.#push(byteSegment(this.#length, bytes, ends, ends.length, true));
  }

  /** Add `segment` after the last one (which goes if it is empty); its items count from now. */
  #push(segment: Segment): void {
    const segments = this.#segments;
    if (segments.length > 0 && segments[segments.length - 1].count === 0) segments.pop();
    segments.push(segment);
    this.#length += segment.count;
  }

  /** The last segment, with room for `extra` more bytes (a new one if needed). */
  #tailFor(extra: number): Segment {
    const tail = this.#segments[this.#segments.length - 1];
    if (
      tail && !tail.sealed && !tail.ints && tail.bytes.length < SEGMENT_BYTES &&
      tail.used + extra <= SEGMENT_BYTES
    ) {
      // A young list's segment grows by doubling, so small lists stay small.
      const size = Math.min(SEGMENT_BYTES, Math.max(tail.bytes.length * 2, tail.used + extra));
      const grown = new Uint8Array(size);
      grown.set(tail.bytes.subarray(0, tail.used));
      tail.bytes = grown;
      return tail;
    }
    // A new segment starts as big as the last one was (a growing list stops regrowing).
    const size = Math.max(
      extra,
      Math.min(SEGMENT_BYTES, tail && !tail.ints ? tail.bytes.length : FIRST_SEGMENT_BYTES),
    );
    const ends = new Uint32Array(FIRST_SEGMENT_ITEMS);
    const segment = byteSegment(this.#length, new Uint8Array(size), ends, 0, false);
    this.#push(segment);
    return segment;
  }

  #segmentOf(position: number): Segment {
    const segments = this.#segments;
    let low = 0;
    let high = segments.length - 1;
    if (segments[high].first <= position) return segments[high];
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (segments[middle].first <= position) low = middle;
      else high = middle - 1;
    }
    return segments[low];
  }
}

/** What a frozen view keeps of one segment: its arrays and its count at the freeze. */
export interface FrozenSegment {
  /** The item bytes (empty for integers). */
  bytes: Uint8Array;
  /** Item k ends at `ends[k]` in `bytes` (empty for integers). */
  ends: Uint32Array;
  /** Item k is `ints.get(k)`, for a segment of integers. */
  ints: PackedInts | undefined;
  /** Items in the view. */
  count: number;
}

/**
 * Items of an {@link ItemStore} as they were when it was frozen ({@link ItemStore.freeze}).
 *
 * @example
 * ```ts
 * import { ItemStore } from "./item_store.ts";
 * const store = new ItemStore();
 * store.write(0, new Uint8Array([1, 2]), [1, 1]);
 * const frozen = store.freeze();
 * store.truncate(0);
 * [...frozen.batches(1024)][0].lengths; // [1, 1]
 * ```
 */
export class FrozenItems {
  readonly #segments: FrozenSegment[];
  readonly #replaced: Map<number, Uint8Array>;
  /** Items in the view. */
  readonly length: number;

  /** A view of `segments` with `replaced` items (see {@link ItemStore.freeze}). */
  constructor(
    segments: FrozenSegment[],
    replaced: Map<number, Uint8Array>,
    length: number,
  ) {
    this.#segments = segments;
    this.#replaced = replaced;
    this.length = length;
  }

  /**
   * The items in order, as batches of about `maxBytes` (at most `maxItems` items), each
   * copied only when its batch is asked for.
   */
  *batches(maxBytes: number, maxItems = 1 << 17): Generator<ValueBatch> {
    const out = new ValueBatchWriter();
    let position = 0;
    for (const { bytes, ends, ints, count } of this.#segments) {
      for (let k = 0; k < count;) {
        const replaced = this.#replaced.get(position);
        if (ints && !replaced) {
          out.add(ints.get(k));
          k++;
          position++;
        } else if (replaced) {
          out.addEncoded(replaced);
          k++;
          position++;
        } else {
          // A run of items up to the next replaced one, the segment's end or a full batch.
          let to = k + 1;
          const start = k === 0 ? 0 : ends[k - 1];
          const room = Math.max(1, maxItems - out.count);
          while (
            to < count && to - k < room && ends[to] - start <= maxBytes - out.byteLength &&
            !this.#replaced.has(position + to - k)
          ) to++;
          out.addRun(bytes, start, ends, k, to);
          position += to - k;
          k = to;
        }
        if (out.byteLength >= maxBytes || out.count >= maxItems) yield out.take();
      }
    }
    if (out.count > 0) yield out.take();
  }
}

/** A segment of `count` items of `bytes`, item k ending at `ends[k]`, from `first`. */
function byteSegment(
  first: number,
  bytes: Uint8Array,
  ends: Uint32Array,
  count: number,
  sealed: boolean,
): Segment {
  const used = count === 0 ? 0 : ends[count - 1];
  return { first, bytes, used, ends, ints: undefined, count, sealed, frozen: false };
}

/** A segment of `count` integers in `ints` (`used`: their encoded size, or NaN), from `first`. */
function intSegment(first: number, ints: PackedInts, count: number, used: number): Segment {
  return {
    first,
    bytes: NO_BYTES,
    used,
    ends: NO_ENDS,
    ints,
    count,
    sealed: false,
    frozen: false,
  };
}

/** True if every item of a packed run (item k ends at `ends[k]`) is a canonical int32. */
function allIntsByEnds(bytes: Uint8Array, ends: Uint32Array): boolean {
  for (let k = 0, start = 0; k < ends.length; start = ends[k++]) {
    if (Number.isNaN(canonicalInt(bytes, start, ends[k]))) return false;
  }
  return true;
}

/** The end offset of each item of a batch with these `lengths`. */
function endsOf(lengths: ArrayLike<number>): Uint32Array {
  const ends = new Uint32Array(lengths.length);
  for (let k = 0, end = 0; k < lengths.length; k++) ends[k] = end += lengths[k];
  return ends;
}

function equalRange(bytes: Uint8Array, start: number, end: number, value: Uint8Array): boolean {
  if (end - start !== value.length) return false;
  for (let i = 0; i < value.length; i++) if (bytes[start + i] !== value[i]) return false;
  return true;
}
