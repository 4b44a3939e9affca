/**
 * An RPC session over one connection, the same on both ends: either side may send requests,
 * open streams and push messages, and either side may answer them.
 *
 * - Requests carry ids (odd from the side that connected, even from the side that accepted,
 *   so the two never collide); any number may be in flight and answers may come in any order.
 * - Streams are runs of ITEM frames under one id, ended by END or ERROR, paced by credit
 *   (see {@link StreamReader}) and cancellable by the consumer (CANCEL) or the producer (ERROR).
 * - PUSH messages arrive unasked and go to `onPush`.
 *
 * Bad input from the peer (a malformed frame, a frame over the limit, a stream item beyond its
 * credit) gets an ERROR with id 0 and the connection is closed; a bad request (unknown
 * operation, wrong arguments) only fails that request.
 *
 * @example
 * ```ts
 * import { connect } from "./connect.ts";
 * const session = await connect("127.0.0.1:4444");
 * console.log(await session.request("list.len", ["my-list"]));
 * session.close();
 * ```
 * @module
 */
import {
  errorFromWire,
  errorToWire,
  excerpt,
  FrameTooLarge,
  LimitExceeded,
  ProtocolError,
  TypenetError,
  Unavailable,
  UnknownOperation,
} from "../wire/errors.ts";
import { Kind, MAX_REQUEST_ID, type Message } from "../wire/messages.ts";
import type { FramedConn } from "./framed_conn.ts";
import { PendingRequests } from "./pending_requests.ts";
import { type CallContext, type Handlers, NO_HANDLERS } from "./handlers.ts";
import { WRITE_HIGH_WATER_BYTES, WRITE_STALL_MS } from "./limits.ts";
import { withDeadline } from "./deadline.ts";
import { isDisconnect } from "./disconnect.ts";
import { StreamProducer, type StreamSink } from "./stream_producer.ts";
import {
  creditViolation,
  type StreamControl,
  StreamReader,
  type WindowGrowth,
} from "./stream_reader.ts";

/** Counters a server keeps across its sessions. */
export interface SessionStats {
  /** Requests received. */
  requests: number;
  /** Streams opened by peers. */
  streams: number;
  /** Stream items sent. */
  items: number;
}

/** How a session behaves. */
export interface SessionOptions {
  /** True on the side that opened the connection (its request ids are odd). */
  initiator: boolean;
  /** The other side, as users know it (an address, say), for error messages. */
  label: string;
  /** Operations this side answers. */
  handlers?: Handlers;
  /** Default time an outgoing request waits for its answer; 0 waits forever. */
  requestTimeoutMs?: number;
  /** Incoming requests awaiting an async answer at once before reading pauses. */
  maxInFlight?: number;
  /** Incoming streams open at once; one more is refused with `LIMIT`. */
  maxStreams?: number;
  /** The role the other side announced in its hello (`"client"`, `"peer"`, …). */
  remoteRole?: string;
  /**
   * What the other side proved in the hello: `"admin"` (the admin token), `"user"` (the token),
   * or `"open"` (the server demands no token). Default `"open"`.
   */
  access?: "admin" | "user" | "open";
  /** Receives PUSH messages. */
  onPush?: (topic: string, payload: unknown) => void;
  /** Told about failures nobody else hears of (a handler's unexpected error, say). */
  onError?: (error: unknown) => void;
  /** Counters to add to. */
  stats?: SessionStats;
}

/** Per-call options for {@link Session.request}. */
export interface RequestOptions {
  /** Overrides the session's request timeout; 0 waits forever. */
  timeoutMs?: number;
}

/** Per-stream options for {@link Session.stream}. */
export interface StreamOptions {
  /** Items the producer may send ahead of the loop (default 16). */
  window?: number;
  /** Longest wait for any one item; 0 waits forever (default: the request timeout). */
  timeoutMs?: number;
  /** Let the window widen for small items (see {@link WindowGrowth}). */
  grow?: WindowGrowth;
}

const DEFAULT_WINDOW = 16;
/** How long {@link Session.closeWith} waits for its ERROR to be written. */
const CLOSE_WITH_WAIT_MS = 1_000;
/** Error messages are cut to this many characters at most. */
const MAX_ERROR_CHARS = 4096;

/** See the module docs. */
export class Session {
  /** The other side, as given in the options. */
  readonly label: string;
  /** The role the other side announced in its hello, if known. */
  readonly remoteRole: string | undefined;
  /** What the other side proved in the hello (see {@link SessionOptions.access}). */
  readonly access: "admin" | "user" | "open";
  /** Resolves when the connection has closed, for whatever reason. */
  readonly closed: Promise<void>;
  readonly #framed: FramedConn;
  readonly #handlers: Handlers;
  readonly #options: SessionOptions;
  readonly #abort = new AbortController();
  readonly #pending: PendingRequests;
  readonly #readers = new Map<number, StreamReader>();
  readonly #producers = new Map<number, StreamProducer>();
  readonly #context: CallContext;
  readonly #control: StreamControl;
  readonly #sink: StreamSink;
  #nextId: number;
  #inFlight = 0;
  #received = 0;
  #resumeReading: (() => void) | undefined;
  #closeError: TypenetError | undefined;

  /** Start a session on a connection whose hello is done; it begins reading at once. */
  constructor(framed: FramedConn, options: SessionOptions) {
    this.#framed = framed;
    this.#options = options;
    this.label = options.label;
    this.#pending = new PendingRequests(options.label);
    this.remoteRole = options.remoteRole;
    this.access = options.access ?? "open";
    this.#handlers = options.handlers ?? NO_HANDLERS;
    this.#nextId = options.initiator ? 1 : 2;
    this.#context = { session: this, signal: this.#abort.signal };
    this.#control = {
      sendCredit: (id, n) => this.#send({ kind: Kind.Credit, id, n }),
      sendCancel: (id) => this.#send({ kind: Kind.Cancel, id }),
      forget: (id) => this.#readers.delete(id),
    };
    this.#sink = {
      item: (id, item) => {
        this.#framed.send({ kind: Kind.Item, id, item });
        if (this.#options.stats) this.#options.stats.items++;
      },
      end: (id) => this.#send({ kind: Kind.End, id }),
      error: (id, code, message) => this.#sendErrorFrame(id, code, message),
      // A producer ahead of a peer that stopped reading waits, but not forever.
      writable: () =>
        this.#framed.backlog > WRITE_HIGH_WATER_BYTES
          ? this.#drained().catch((error) => {
            this.#options.onError?.(error);
            this.close();
          })
          : undefined,
      done: (producer, error) => {
        // A cancelled producer was already forgotten (and its id may be in use again).
        if (this.#producers.get(producer.id) === producer) this.#producers.delete(producer.id);
        if (error !== undefined && !(error instanceof TypenetError)) this.#options.onError?.(error);
      },
    };
    this.closed = this.#readLoop().catch((error) => this.#options.onError?.(error));
  }

  /** The largest frame the other side accepts: what a handler may send it at most. */
  get peerMaxFrameBytes(): number {
    return this.#framed.peerMaxFrameBytes;
  }

  /** Whether the connection is still open. */
  get isOpen(): boolean {
    return !this.#abort.signal.aborted;
  }

  /** Aborted when the session closes. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /**
   * Call `op` with `args` and wait for its result. Rejects with the peer's typed error,
   * `TimeoutError` after the timeout, or `Unavailable` if the connection is lost.
   */
  request(op: string, args: unknown[], options?: RequestOptions): Promise<unknown> {
    if (!this.isOpen) return Promise.reject(this.#lostError());
    const id = this.#allocateId();
    try {
      this.#framed.send({ kind: Kind.Request, id, op, args });
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#pending.add(id, op, options?.timeoutMs ?? this.#options.requestTimeoutMs ?? 0);
  }

  /** Open a stream produced by the other side; iterate it with `for await`. */
  stream(op: string, args: unknown[], options?: StreamOptions): StreamReader {
    const window = Math.max(1, options?.window ?? DEFAULT_WINDOW);
    const timeoutMs = options?.timeoutMs ?? this.#options.requestTimeoutMs ?? 0;
    const id = this.#allocateId();
    const reader = new StreamReader(
      id,
      this.#control,
      window,
      timeoutMs,
      () => this.label,
      options?.grow,
    );
    if (!this.isOpen) {
      reader.finish(this.#lostError());
      return reader;
    }
    try {
      this.#framed.send({ kind: Kind.Stream, id, op, args, credit: window });
    } catch (error) {
      reader.finish(error as Error);
      return reader;
    }
    this.#readers.set(id, reader);
    return reader;
  }

  /** Send a message the other side did not ask for. */
  push(topic: string, payload: unknown): void {
    this.#send({ kind: Kind.Push, topic, payload });
  }

  /**
   * Undefined while the connection can take more output; otherwise a promise that resolves
   * once what is queued has been written (rejecting if the peer stops reading for 30 s). A
   * sender of pushes, which get no answers to pace it, waits on it to stay within bounds.
   */
  writable(): Promise<void> | undefined {
    return this.#framed.backlog > WRITE_HIGH_WATER_BYTES ? this.#drained() : undefined;
  }

  /**
   * Messages received from the other side so far. A role that must tell a silent peer from a
   * busy one (the gateway, for the handlers a connection holds) watches it change.
   */
  get received(): number {
    return this.#received;
  }

  /** Messages read and sent so far: unchanged over a while means the connection was idle. */
  get activity(): number {
    return this.#framed.activity;
  }

  /** Whether a request or stream is under way in either direction. */
  get busy(): boolean {
    return this.#pending.size > 0 || this.#readers.size > 0 || this.#producers.size > 0 ||
      this.#inFlight > 0;
  }

  /**
   * Tell the other side why (an ERROR with id 0 carrying `error`'s code and message), then
   * close once that has been written, or after a short wait for a peer that reads nothing.
   */
  async closeWith(error: TypenetError): Promise<void> {
    if (!this.isOpen) return;
    this.#sendError(0, error);
    await withDeadline(this.#framed.drained(), CLOSE_WITH_WAIT_MS, () => error).catch(() => {});
    this.close();
  }

  /** Close the connection; everything waiting on it fails with `Unavailable`. */
  close(): void {
    this.#framed.close();
    this.#wakeReader();
  }

  async #readLoop(): Promise<void> {
    try {
      while (true) {
        // Stop taking work while the peer is not reading what we already owe it.
        if (this.#framed.backlog > WRITE_HIGH_WATER_BYTES) await this.#drained();
        if (this.#inFlight >= (this.#options.maxInFlight ?? Infinity)) {
          await new Promise<void>((resume) => this.#resumeReading = resume);
        }
        const message = await this.#framed.read();
        if (message === null) break;
        this.#received++;
        this.#dispatch(message);
      }
    } catch (error) {
      if (
        error instanceof ProtocolError || error instanceof FrameTooLarge ||
        error instanceof LimitExceeded
      ) {
        // The peer broke the protocol or a decode bound: say why, then close.
        this.#sendError(0, error);
        this.#options.onError?.(error);
        await this.#drained().catch(() => {});
      } else if (!isDisconnect(error) && !this.#framed.isClosed) {
        this.#options.onError?.(error);
      }
    } finally {
      this.#framed.close();
      this.#shutDown();
    }
  }

  /** Wait for our output to be written, but not forever: a peer that stops reading is gone. */
  #drained(): Promise<void> {
    return withDeadline(
      this.#framed.drained(),
      WRITE_STALL_MS,
      () => new Unavailable(`${this.label} stopped reading for ${WRITE_STALL_MS} ms`),
    );
  }

  #dispatch(message: Message): void {
    switch (message.kind) {
      case Kind.Request:
        this.#checkIncomingId(message.id);
        return this.#answer(message.id, message.op, message.args);
      case Kind.Response: {
        const pending = this.#pending.take(message.id);
        return pending?.resolve(message.result);
      }
      case Kind.Error: {
        const error = errorFromWire(message.code, message.message);
        if (message.id === 0) {
          this.#closeError = error;
          return;
        }
        this.#pending.take(message.id)?.reject(error);
        this.#readers.get(message.id)?.finish(error);
        this.#readers.delete(message.id);
        return;
      }
      case Kind.Stream:
        this.#checkIncomingId(message.id);
        if (this.#producers.has(message.id)) {
          throw new ProtocolError(`stream id ${message.id} is already open`);
        }
        return this.#produce(message.id, message.op, message.args, message.credit);
      case Kind.Item: {
        const reader = this.#readers.get(message.id);
        if (reader && !reader.deliver(message.item)) throw creditViolation(this.label);
        return;
      }
      case Kind.End:
        this.#readers.get(message.id)?.finish();
        this.#readers.delete(message.id);
        return;
      case Kind.Credit:
        return this.#producers.get(message.id)?.grant(message.n);
      case Kind.Cancel: {
        // Forget it now: its slot and id are free as soon as the consumer has let go.
        const producer = this.#producers.get(message.id);
        this.#producers.delete(message.id);
        return producer?.cancel();
      }
      case Kind.Push:
        return this.#options.onPush?.(message.topic, message.payload);
      case Kind.Hello:
      case Kind.Welcome:
      case Kind.Challenge:
      case Kind.Proof:
        throw new ProtocolError("unexpected hello after the handshake");
    }
  }

  #answer(id: number, op: string, args: unknown[]): void {
    if (this.#options.stats) this.#options.stats.requests++;
    const handler = this.#handlers.requests.get(op);
    if (!handler) {
      return this.#sendError(id, new UnknownOperation(`unknown operation ${excerpt(op)}`));
    }
    let result: unknown;
    try {
      result = handler(args, this.#context);
    } catch (error) {
      return this.#sendError(id, error);
    }
    if (!(result instanceof Promise)) return this.#respond(id, result);
    this.#inFlight++;
    // One reaction, not a chain of three: this runs for every request that waits on something.
    result.then(
      (value) => this.#settled(() => this.#respond(id, value)),
      (error) => this.#settled(() => this.#sendError(id, error)),
    );
  }

  /** Answer a request that was in flight (`answer` must not let an error escape unseen). */
  #settled(answer: () => void): void {
    try {
      answer();
    } catch (error) {
      this.#options.onError?.(error);
    } finally {
      this.#finishedOne();
    }
  }

  #respond(id: number, result: unknown): void {
    try {
      this.#send({ kind: Kind.Response, id, result });
    } catch (error) {
      this.#sendError(id, error);
    }
  }

  #produce(id: number, op: string, args: unknown[], credit: number): void {
    if (this.#options.stats) this.#options.stats.streams++;
    const handler = this.#handlers.streams.get(op);
    if (!handler) {
      return this.#sendError(id, new UnknownOperation(`unknown stream operation ${excerpt(op)}`));
    }
    const maxStreams = this.#options.maxStreams ?? Infinity;
    if (this.#producers.size >= maxStreams) {
      return this.#sendError(
        id,
        new LimitExceeded(`too many open streams on this connection (limit ${maxStreams})`),
      );
    }
    const producer = new StreamProducer(id, credit, this.#sink);
    let source: Iterable<unknown> | AsyncIterable<unknown>;
    try {
      source = handler(args, { session: this, signal: producer.signal });
    } catch (error) {
      return this.#sendError(id, error);
    }
    this.#producers.set(id, producer);
    producer.run(source);
  }

  #sendError(id: number, error: unknown): void {
    const [code, message] = errorToWire(error);
    if (!(error instanceof TypenetError)) this.#options.onError?.(error);
    this.#sendErrorFrame(id, code, message);
  }

  /**
   * Send an ERROR frame; never throws. The message is cut to fit the peer's frame limit
   * (error texts can quote what the peer sent), and if even that cannot go, the connection
   * closes — the peer then sees it lost rather than waiting.
   */
  #sendErrorFrame(id: number, code: string, message: string): void {
    const room = Math.min(MAX_ERROR_CHARS, Math.floor((this.#framed.peerMaxFrameBytes - 64) / 4));
    let text = message;
    if (message.length > room) {
      let cut = Math.max(0, room - 1);
      if (/[\ud800-\udbff]/.test(message[cut - 1] ?? "")) cut--; // keep surrogate pairs whole
      text = `${message.slice(0, cut)}…`;
    }
    try {
      this.#framed.send({ kind: Kind.Error, id, code, message: text });
    } catch (error) {
      this.#options.onError?.(error);
      this.close();
    }
  }

  /** Send, treating a closed connection as nothing to do. */
  #send(message: Message): void {
    this.#framed.send(message);
  }

  #finishedOne(): void {
    this.#inFlight--;
    this.#wakeReader();
  }

  #wakeReader(): void {
    const resume = this.#resumeReading;
    this.#resumeReading = undefined;
    resume?.();
  }

  /** Ids of calls the other side starts are non-zero and of its parity (odd if it connected). */
  #checkIncomingId(id: number): void {
    const expectOdd = !this.#options.initiator;
    if (id === 0 || (id % 2 === 1) !== expectOdd) {
      throw new ProtocolError(
        `request id ${id} is not allowed: the ${expectOdd ? "connecting" : "accepting"} side ` +
          `uses non-zero ${expectOdd ? "odd" : "even"} ids`,
      );
    }
  }

  #allocateId(): number {
    let id = this.#nextId;
    while (this.#pending.has(id) || this.#readers.has(id)) id = this.#advance(id);
    this.#nextId = this.#advance(id);
    return id;
  }

  #advance(id: number): number {
    const next = id + 2;
    return next > MAX_REQUEST_ID ? (this.#options.initiator ? 1 : 2) : next;
  }

  #lostError(): TypenetError {
    return this.#closeError ?? new Unavailable(`connection to ${this.label} was lost`);
  }

  #shutDown(): void {
    this.#abort.abort();
    const error = this.#lostError();
    this.#pending.failAll(error);
    for (const reader of this.#readers.values()) reader.finish(error);
    this.#readers.clear();
    for (const producer of this.#producers.values()) producer.cancel();
  }
}
