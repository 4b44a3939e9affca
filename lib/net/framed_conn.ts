/**
 * A TCP connection that sends and receives typenet messages.
 *
 * Sending never blocks: messages are encoded at once into a batch, and the batch goes out in
 * one write as soon as the previous write is done, so a burst of small frames costs one
 * syscall. Reading returns one parsed message at a time.
 *
 * @example
 * ```ts
 * import { FramedConn } from "./framed_conn.ts";
 * import { Kind } from "../wire/messages.ts";
 * const conn = await Deno.connect({ hostname: "127.0.0.1", port: 4444 });
 * const framed = new FramedConn(conn, 64 * 1024);
 * framed.send({ kind: Kind.Hello, magic: "typenet", version: 1, role: "client", agent: "me" });
 * console.log(await framed.read());
 * framed.close();
 * ```
 * @module
 */
import { decodeMessage, encodeMessageShared } from "../wire/codec.ts";
import { FrameTooLarge, ProtocolError } from "../wire/errors.ts";
import { DEFAULT_MAX_FRAME_BYTES, FrameBatch, FrameDecoder } from "../wire/frame.ts";
import { type Message, parseMessage, toWire } from "../wire/messages.ts";
import { formatAddress } from "../wire/address.ts";
import { TURN_MS, yieldToEventLoop } from "./yield.ts";
import { writeAll } from "./write_all.ts";
import { HELLO_MAX_FRAME_BYTES } from "./limits.ts";
import type { ByteConn } from "./byte_conn.ts";

/** Read size before the hello is done: a hello is small, and junk connections are many. */
const HELLO_READ_BYTES = 4 * 1024;
/** Read size after. */
const DEFAULT_READ_BYTES = 64 * 1024;

/** Frames handled between looks at the clock, in a burst. */
const CLOCK_EVERY_FRAMES = 16;

/** A message connection over one socket (TCP or TLS); see the module docs. */
export class FramedConn {
  /** The other end's address, `host:port`. */
  readonly remote: string;
  /** The largest frame body the other side accepts (learnt from its WELCOME). */
  peerMaxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
  /**
   * Output allowed to pile up unwritten; past it the connection is closed and
   * {@link onOverflow} called (a peer that sends requests but does not read the answers).
   */
  maxBacklogBytes = Infinity;
  /** Told when the connection was closed for exceeding {@link maxBacklogBytes}. */
  onOverflow: ((backlog: number) => void) | undefined;
  #conn: ByteConn;
  #decoder: FrameDecoder;
  #batches = [new FrameBatch(), new FrameBatch()];
  #current = 0;
  #writing = false;
  #writingBytes = 0;
  #closed = false;
  #drainWaiters: (() => void)[] = [];
  /** When this connection's current turn began: its last socket read, or its last yield. */
  #turnStarted = 0;
  #framesThisTurn = 0;

  /**
   * Messages read and sent so far: a session that must tell an idle connection from a busy
   * one watches it change.
   */
  activity = 0;

  /** Wrap `conn` (Nagle already off), refusing incoming bodies over `maxFrameBytes`. */
  constructor(conn: ByteConn, maxFrameBytes: number) {
    this.#conn = conn;
    this.#decoder = new FrameDecoder(
      maxFrameBytes,
      maxFrameBytes <= HELLO_MAX_FRAME_BYTES ? HELLO_READ_BYTES : undefined,
    );
    const addr = conn.remoteAddr as Deno.NetAddr;
    this.remote = formatAddress(addr.hostname, addr.port);
  }

  /** The largest incoming frame body accepted; raised after the hello. */
  get maxFrameBytes(): number {
    return this.#decoder.maxFrameBytes;
  }

  set maxFrameBytes(bytes: number) {
    this.#decoder.maxFrameBytes = bytes;
    if (bytes > HELLO_MAX_FRAME_BYTES) this.#decoder.chunkBytes = DEFAULT_READ_BYTES;
  }

  /** Whether {@link close} was called or a write failed. */
  get isClosed(): boolean {
    return this.#closed;
  }

  /** Bytes queued or being written. */
  get backlog(): number {
    return this.#batches[this.#current].length + this.#writingBytes;
  }

  /**
   * The next message, or `null` when the other side closed cleanly between frames.
   * Throws `ProtocolError`/`FrameTooLarge` for bad input, and if the connection ends mid-frame.
   */
  async read(): Promise<Message | null> {
    while (true) {
      const body = this.#decoder.next();
      if (body) {
        // A burst of pipelined frames is handled without waiting on the socket: after a turn's
        // worth of them, let the event loop serve the other connections first. (The clock is
        // read every few frames: reading it costs more than a small frame.)
        if (++this.#framesThisTurn % CLOCK_EVERY_FRAMES === 0) {
          if (performance.now() - this.#turnStarted > TURN_MS) {
            await yieldToEventLoop();
            this.#turnStarted = performance.now();
          }
        }
        this.activity++;
        return parseMessage(decodeMessage(body));
      }
      let n: number | null;
      try {
        n = await this.#conn.read(this.#decoder.readTarget());
      } catch (error) {
        if (this.#closed) return null;
        throw error;
      }
      if (n === null) {
        if (this.#decoder.pendingBytes > 0) {
          throw new ProtocolError(
            `connection closed in the middle of a frame (${this.#decoder.pendingBytes} bytes)`,
          );
        }
        return null;
      }
      this.#decoder.commit(n);
      this.#turnStarted = performance.now();
      this.#framesThisTurn = 0;
    }
  }

  /**
   * Queue a message; it is written with everything else queued in this tick. Throws
   * `FrameTooLarge` (and sends nothing) if it exceeds the other side's limit. A message sent
   * after close is dropped.
   */
  send(message: Message): void {
    if (this.#closed) return;
    const body = encodeMessageShared(toWire(message));
    if (body.length > this.peerMaxFrameBytes) {
      throw new FrameTooLarge(
        `a message of ${body.length} bytes exceeds ${this.remote}'s frame limit of ` +
          `${this.peerMaxFrameBytes} bytes`,
      );
    }
    this.#batches[this.#current].add(body);
    this.activity++;
    if (this.backlog > this.maxBacklogBytes) {
      const backlog = this.backlog;
      this.close();
      this.onOverflow?.(backlog);
      return;
    }
    if (!this.#writing) {
      this.#writing = true;
      queueMicrotask(() => this.#pump());
    }
  }

  /** Resolves once the backlog is written (at once if it is empty or the connection closed). */
  drained(): Promise<void> {
    if (!this.#writing || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  /** Close the socket. Queued output is dropped; call {@link drained} first to keep it. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed by the other side.
    }
    this.#wakeDrainWaiters();
  }

  async #pump(): Promise<void> {
    try {
      while (!this.#closed && this.#batches[this.#current].length > 0) {
        const batch = this.#batches[this.#current];
        this.#current ^= 1;
        const bytes = batch.take();
        this.#writingBytes = bytes.length;
        await writeAll(this.#conn, bytes);
        this.#writingBytes = 0;
        batch.shrink();
      }
    } catch {
      // The peer is gone; the read side sees the same and ends the session.
      this.close();
    } finally {
      this.#writing = false;
      this.#writingBytes = 0;
      this.#wakeDrainWaiters();
    }
  }

  #wakeDrainWaiters(): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const wake of waiters) wake();
  }
}
