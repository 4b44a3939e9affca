/**
 * Framing: each frame is a 4-byte big-endian body length followed by the body.
 *
 * {@link FrameDecoder} cuts a byte stream into frame bodies and {@link FrameBatch} packs bodies
 * into one buffer so a burst of small frames leaves in a single write. Neither touches a socket.
 *
 * The decoder never writes over memory it has handed out: a body it returns stays valid for as
 * long as it is referenced, so decoded binary fields may point into it without a copy.
 *
 * @example
 * ```ts
 * import { FrameBatch, FrameDecoder } from "./frame.ts";
 * const batch = new FrameBatch();
 * batch.add(new Uint8Array([1, 2, 3]));
 * const decoder = new FrameDecoder(1024);
 * decoder.push(batch.take());
 * console.log(decoder.next()); // Uint8Array(3) [1, 2, 3]
 * ```
 * @module
 */
import { FrameTooLarge } from "./errors.ts";

/** Bytes in a frame header. */
export const FRAME_HEADER_BYTES = 4;

/** The default limit on one frame's body: 16 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

const READ_CHUNK_BYTES = 64 * 1024;
const MIN_READ_BYTES = 16 * 1024;
/** Read buffers grow to this on connections that carry big frames (fewer reads and copies). */
const BULK_READ_BYTES = 256 * 1024;

/**
 * Cuts incoming bytes into frame bodies, refusing any frame over `maxFrameBytes`.
 *
 * @example
 * ```ts
 * import { FrameDecoder } from "./frame.ts";
 * const d = new FrameDecoder(16);
 * d.push(new Uint8Array([0, 0, 0, 2, 7]));
 * d.next(); // undefined: one body byte is still missing
 * d.push(new Uint8Array([8]));
 * d.next(); // Uint8Array(2) [7, 8]
 * ```
 */
export class FrameDecoder {
  /** The largest body accepted; raise it after the handshake. */
  maxFrameBytes: number;
  #buf: Uint8Array;
  #view: DataView;
  #start = 0;
  #end = 0;
  #chunkBytes = READ_CHUNK_BYTES;
  /** The largest body that has arrived whole. */
  #largestFrame = 0;

  /** Make a decoder that refuses bodies over `maxFrameBytes`. */
  constructor(maxFrameBytes: number, chunkBytes = READ_CHUNK_BYTES) {
    this.maxFrameBytes = maxFrameBytes;
    this.#chunkBytes = chunkBytes;
    this.#buf = new Uint8Array(chunkBytes);
    this.#view = new DataView(this.#buf.buffer);
  }

  /**
   * Bytes read at a time (at least): small while a connection has only said hello, so that a
   * flood of connections that never get further costs little memory; the default after.
   */
  set chunkBytes(bytes: number) {
    if (bytes > this.#chunkBytes) this.#chunkBytes = bytes;
  }

  /** Bytes received that do not yet form a whole frame. */
  get pendingBytes(): number {
    return this.#end - this.#start;
  }

  /**
   * A free region to read into; call {@link commit} with the count read. It never overlaps
   * a body already returned by {@link next}.
   */
  readTarget(): Uint8Array {
    if (this.#buf.length - this.#end < Math.min(MIN_READ_BYTES, this.#chunkBytes / 2)) {
      // Out of room: continue in a fresh buffer. It grows with what has *arrived* (at most
      // doubling), not with what a header announces, so four bytes cannot make us allocate
      // a 16 MiB body that never comes.
      const pending = this.#end - this.#start;
      // A frame no bigger than one the peer has already sent whole is made room for at once
      // (no doubling and copying as it arrives): the peer has shown it pays for such frames.
      const frame = Math.min(
        this.#bytesNeededForNextFrame(),
        Math.max(pending * 2, FRAME_HEADER_BYTES + this.#largestFrame),
      );
      // A frame bigger than a read buffer says this connection moves bulk data: read more
      // at a time from now on.
      if (frame > this.#chunkBytes) this.#chunkBytes = BULK_READ_BYTES;
      this.#moveTo(
        new Uint8Array(Math.max(this.#chunkBytes, Math.max(frame, pending) + MIN_READ_BYTES)),
      );
    }
    return this.#buf.subarray(this.#end);
  }

  /** Record that `count` bytes were written into the region from {@link readTarget}. */
  commit(count: number): void {
    this.#end += count;
  }

  /** Copy `bytes` in (for callers that already hold the data). */
  push(bytes: Uint8Array): void {
    let offset = 0;
    while (offset < bytes.length) {
      const target = this.readTarget();
      const n = Math.min(target.length, bytes.length - offset);
      target.set(bytes.subarray(offset, offset + n));
      this.commit(n);
      offset += n;
    }
  }

  /**
   * The next whole frame body, or `undefined` if more bytes are needed.
   * Throws `FrameTooLarge` when a header announces a body over the limit.
   */
  next(): Uint8Array | undefined {
    if (this.#end - this.#start < FRAME_HEADER_BYTES) return undefined;
    const length = this.#view.getUint32(this.#start);
    if (length > this.maxFrameBytes) {
      throw new FrameTooLarge(
        `frame of ${length} bytes exceeds the limit of ${this.maxFrameBytes} bytes`,
      );
    }
    const bodyStart = this.#start + FRAME_HEADER_BYTES;
    if (this.#end - bodyStart < length) return undefined;
    if (length > this.#largestFrame) this.#largestFrame = length;
    this.#start = bodyStart + length;
    return this.#buf.subarray(bodyStart, this.#start);
  }

  #bytesNeededForNextFrame(): number {
    if (this.#end - this.#start < FRAME_HEADER_BYTES) return FRAME_HEADER_BYTES;
    const length = this.#view.getUint32(this.#start);
    // An oversized header is reported by next(); do not allocate for it.
    return FRAME_HEADER_BYTES + Math.min(length, this.maxFrameBytes);
  }

  /** Continue in a fresh buffer; the old one stays intact for bodies already handed out. */
  #moveTo(fresh: Uint8Array): void {
    fresh.set(this.#buf.subarray(this.#start, this.#end));
    this.#end -= this.#start;
    this.#start = 0;
    this.#buf = fresh;
    this.#view = new DataView(fresh.buffer);
  }
}

const SHRINK_ABOVE_BYTES = 4 * 1024 * 1024;

/** A batch's first buffer: room for a hello and a few small answers. */
const FIRST_BATCH_BYTES = 4 * 1024;

/**
 * Packs frame bodies, each behind its length header, into one growing buffer.
 *
 * @example
 * ```ts
 * import { FrameBatch } from "./frame.ts";
 * const batch = new FrameBatch();
 * batch.add(new Uint8Array([9]));
 * batch.add(new Uint8Array([8, 7]));
 * batch.take(); // Uint8Array [0,0,0,1,9, 0,0,0,2,8,7]
 * ```
 */
export class FrameBatch {
  // Empty until the first frame: a connection that never says hello costs no batch buffer.
  #buf = new Uint8Array(0);
  #view = new DataView(this.#buf.buffer);
  #length = 0;

  /** Bytes waiting to be taken. */
  get length(): number {
    return this.#length;
  }

  /** Append one frame: the header, then a copy of `body`. */
  add(body: Uint8Array): void {
    const needed = this.#length + FRAME_HEADER_BYTES + body.length;
    if (needed > this.#buf.length) this.#grow(needed);
    this.#view.setUint32(this.#length, body.length);
    this.#buf.set(body, this.#length + FRAME_HEADER_BYTES);
    this.#length = needed;
  }

  /**
   * Everything added so far, then start empty. The returned view is valid until the next
   * {@link add}: write it out before adding more.
   */
  take(): Uint8Array {
    const bytes = this.#buf.subarray(0, this.#length);
    this.#length = 0;
    return bytes;
  }

  /** Drop a buffer that one burst grew large, so an idle connection does not hold it. */
  shrink(): void {
    if (this.#length === 0 && this.#buf.length > SHRINK_ABOVE_BYTES) {
      this.#buf = new Uint8Array(0);
      this.#view = new DataView(this.#buf.buffer);
    }
  }

  #grow(needed: number): void {
    const bigger = new Uint8Array(Math.max(needed, this.#buf.length * 2, FIRST_BATCH_BYTES));
    bigger.set(this.#buf.subarray(0, this.#length));
    this.#buf = bigger;
    this.#view = new DataView(bigger.buffer);
  }
}
