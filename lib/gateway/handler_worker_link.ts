/**
 * The main thread's side of one handler Worker: calls with a deadline, streams pulled one item
 * at a time, and what happens when the Worker gets stuck (terminated at the deadline) or dies.
 * User values pass through as encoded bytes, moved into the Worker and back as transferred
 * ArrayBuffers.
 *
 * @example
 * ```ts
 * import { HandlerWorkerLink } from "./handler_worker_link.ts";
 * const link = await HandlerWorkerLink.spawn(new URL("./subs.ts", import.meta.url).href);
 * const result = await link.call("mountUsage", encodeValue([123]), undefined, 30_000);
 * link.terminate();
 * ```
 * @module
 */
import {
  BadArgument,
  errorFromWire,
  InternalError,
  RemoteError,
  TimeoutError,
  Unavailable,
  UnknownOperation,
} from "../wire/errors.ts";
import type { FromWorker, SubroutineKind, ToWorker } from "./worker_messages.ts";

const WORKER_URL = new URL("./handler_worker.ts", import.meta.url);

interface Waiting {
  resolve(message: FromWorker): void;
  reject(error: Error): void;
}

/** See the module docs. */
export class HandlerWorkerLink {
  /** The module's subroutines, by name. */
  readonly subroutines: Record<string, SubroutineKind>;
  readonly #worker: Worker;
  /** Per call or stream id: who waits for its next message. */
  readonly #waiting = new Map<number, Waiting>();
  /** Per open stream id: the items the Worker has sent ahead. */
  readonly #streams = new Map<number, LinkStream>();
  /** Per stream id being closed: who waits for "closed" (a `next` may still be pending). */
  readonly #closing = new Map<number, () => void>();
  #nextId = 1;
  #dead: Error | undefined;
  #onDeath: ((reason: Error) => void) | undefined;

  private constructor(worker: Worker, subroutines: Record<string, SubroutineKind>) {
    this.#worker = worker;
    this.subroutines = subroutines;
    worker.onmessage = (event: MessageEvent<FromWorker>) => this.#receive(event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      this.#die(new Unavailable(`the handler's worker failed: ${event.message}`));
    };
  }

  /**
   * Start a Worker and import the subroutine module at `moduleUrl` in it, with `permissions`
   * if given (Deno must run with `--unstable-worker-options`), else the gateway's own.
   */
  static spawn(
    moduleUrl: string,
    permissions?: Deno.PermissionOptionsObject,
  ): Promise<HandlerWorkerLink> {
    let worker: Worker;
    try {
      worker = new Worker(
        WORKER_URL,
        permissions ? { type: "module", deno: { permissions } } : { type: "module" },
      );
    } catch (error) {
      // Asking for more than the gateway has is NotCapable ("Can't escalate …").
      return Promise.reject(
        new BadArgument(
          `the subroutines cannot be granted more than the gateway has: ${
            (error as Error).message
          }`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      worker.onerror = (event) => {
        event.preventDefault();
        worker.terminate();
        reject(new InternalError(`the handler worker failed to start: ${event.message}`));
      };
      worker.onmessage = (event: MessageEvent<FromWorker>) => {
        const message = event.data;
        if (message.t === "loaded") resolve(new HandlerWorkerLink(worker, message.subroutines));
        else {
          worker.terminate();
          reject(
            new BadArgument(
              `cannot load the subroutines: ${message.t === "load-failed" ? message.message : "?"}`,
            ),
          );
        }
      };
      worker.postMessage({ t: "load", url: moduleUrl } satisfies ToWorker);
    });
  }

  /** Whether the Worker is still usable. */
  get alive(): boolean {
    return this.#dead === undefined;
  }

  /** Told once when the Worker dies or is terminated for a stuck call. */
  set onDeath(handler: (reason: Error) => void) {
    this.#onDeath = handler;
  }

  /**
   * Call subroutine `name` with `args` (an encoded array) and `buffer` (given as `{ buffer }`
   * after them); resolves to its encoded result. Past `timeoutMs` the Worker is terminated
   * (a loop that never ends cannot be interrupted any other way) and the call fails with
   * `TimeoutError`.
   */
  async call(
    name: string,
    args: Uint8Array,
    buffer: Uint8Array | undefined,
    timeoutMs: number,
  ): Promise<Uint8Array> {
    this.#check(name, "function");
    const id = this.#nextId++;
    const message: ToWorker = { t: "call", id, name, args: owned(args) };
    const transfer = [message.args];
    if (buffer) {
      message.buffer = owned(buffer);
      transfer.push(message.buffer);
    }
    const answer = await this.#ask(id, message, transfer, timeoutMs, `${name}()`);
    if (answer.t === "result") return new Uint8Array(answer.value);
    throw unexpected(answer);
  }

  /**
   * Start generator `name` with `args`. The Worker runs it only a little ahead of `next()`:
   * enough items for {@link AHEAD_BYTES} (at least 1, at most {@link AHEAD_ITEMS}), judged by
   * the sizes seen so far, so the generator runs only as fast as the items are taken. A wait
   * for an item has the same deadline as a call.
   */
  stream(
    name: string,
    args: Uint8Array,
    timeoutMs: number,
  ): AsyncIterableIterator<[number, Uint8Array]> {
    this.#check(name, "generator");
    const id = this.#nextId++;
    const encodedArgs = owned(args);
    const state = new LinkStream();
    this.#streams.set(id, state);
    this.#post({ t: "open", id, name, args: encodedArgs }, [encodedArgs]);
    const topUp = () => {
      const n = state.wanted();
      if (n > 0) this.#post({ t: "more", id, n }, []);
    };
    const iterator: AsyncIterableIterator<[number, Uint8Array]> = {
      next: async () => {
        while (true) {
          const item = state.take();
          if (item) {
            topUp();
            return { value: item, done: false };
          }
          if (state.failure) {
            this.#streams.delete(id);
            throw state.failure;
          }
          if (state.ended) {
            this.#streams.delete(id);
            return { value: undefined, done: true };
          }
          this.#throwIfDead();
          topUp();
          await state.arrival(timeoutMs, () => {
            const error = new TimeoutError(
              `${name}() ran past the call timeout of ${timeoutMs} ms; its worker was stopped`,
            );
            this.terminate(error);
          });
        }
      },
      return: async () => {
        const open = this.#streams.has(id) && !state.ended && !state.failure;
        this.#streams.delete(id);
        state.finish();
        // The generator's `finally` runs in the Worker before it says "closed".
        if (open && this.alive) await this.#close(id, timeoutMs);
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  /** Stop the Worker now; everything waiting on it fails. */
  terminate(reason: Error = new Unavailable("the handler's worker was stopped")): void {
    this.#worker.terminate();
    this.#die(reason);
  }

  #check(name: string, expected: SubroutineKind): void {
    this.#throwIfDead();
    const kind = Object.hasOwn(this.subroutines, name) ? this.subroutines[name] : undefined;
    if (!kind) {
      throw new UnknownOperation(
        `no subroutine '${name.slice(0, 64)}' (there are: ${
          Object.keys(this.subroutines).join(", ")
        })`,
      );
    }
    if (kind !== expected) {
      throw new BadArgument(
        expected === "generator"
          ? `'${name}' is not a generator: call it with batch() or send()`
          : `'${name}' is a generator: read it with stream()`,
      );
    }
  }

  #ask(
    id: number,
    message: ToWorker,
    transfer: Transferable[],
    timeoutMs: number,
    what: string,
  ): Promise<FromWorker> {
    this.#throwIfDead();
    return new Promise<FromWorker>((resolve, reject) => {
      const timer = timeoutMs > 0
        ? setTimeout(() => {
          const error = new TimeoutError(
            `${what} ran past the call timeout of ${timeoutMs} ms; its worker was stopped`,
          );
          this.terminate(error);
        }, timeoutMs)
        : undefined;
      this.#waiting.set(id, {
        resolve: (answer) => {
          clearTimeout(timer);
          resolve(answer);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.#post(message, transfer);
    });
  }

  /** Close stream `id` and wait until its generator has finished (or the deadline). */
  #close(id: number, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs > 0 ? timeoutMs : 60_000);
      this.#closing.set(id, () => {
        clearTimeout(timer);
        resolve();
      });
      this.#post({ t: "close", id }, []);
    });
  }

  #post(message: ToWorker, transfer: Transferable[]): void {
    this.#worker.postMessage(message, transfer);
  }

  #receive(message: FromWorker): void {
    if (message.t === "loaded" || message.t === "load-failed") return;
    if (message.t === "closed") {
      const closed = this.#closing.get(message.id);
      this.#closing.delete(message.id);
      return closed?.();
    }
    const stream = this.#streams.get(message.id);
    if (stream) {
      if (message.t === "items") stream.add(message.items);
      else if (message.t === "end") stream.end();
      else if (message.t === "error") stream.fail(workerError(message));
      return;
    }
    const waiting = this.#waiting.get(message.id);
    if (!waiting) return;
    this.#waiting.delete(message.id);
    if (message.t === "error") {
      waiting.reject(workerError(message));
      return;
    }
    waiting.resolve(message);
  }

  #die(reason: Error): void {
    if (this.#dead) return;
    this.#dead = reason;
    for (const waiting of this.#waiting.values()) waiting.reject(reason);
    this.#waiting.clear();
    for (const stream of this.#streams.values()) stream.fail(reason);
    this.#streams.clear();
    for (const closed of this.#closing.values()) closed();
    this.#closing.clear();
    this.#onDeath?.(reason);
  }

  #throwIfDead(): void {
    if (this.#dead) throw this.#dead;
  }
}

/** How far a stream's generator may run ahead of its reader, in bytes (as judged so far). */
export const AHEAD_BYTES = 1024 * 1024;
/** …and in items. */
export const AHEAD_ITEMS = 1024;

/** The main thread's side of one Worker stream: items sent ahead, and how many to ask for. */
class LinkStream {
  readonly #queue: [number, Uint8Array][] = [];
  #head = 0;
  /** Items asked for and not yet arrived. */
  #asked = 0;
  #seenItems = 0;
  #seenBytes = 0;
  #wake: (() => void) | undefined;
  ended = false;
  failure: Error | undefined;

  /** Items to ask the Worker for now (0: enough are on their way or here). */
  wanted(): number {
    if (this.ended || this.failure) return 0;
    const average = this.#seenItems === 0 ? AHEAD_BYTES : this.#seenBytes / this.#seenItems;
    const ahead = Math.max(
      1,
      Math.min(AHEAD_ITEMS, Math.floor(AHEAD_BYTES / Math.max(1, average))),
    );
    const have = this.#queue.length - this.#head + this.#asked;
    // Ask in batches (a message each way per batch), once half the lead is used.
    if (have > ahead / 2) return 0;
    this.#asked += ahead - have;
    return ahead - have;
  }

  take(): [number, Uint8Array] | undefined {
    if (this.#head === this.#queue.length) return undefined;
    const item = this.#queue[this.#head++];
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0;
      this.#head = 0;
    }
    return item;
  }

  add(items: [number, ArrayBuffer][]): void {
    for (const [ident, payload] of items) {
      this.#queue.push([ident, new Uint8Array(payload)]);
      this.#seenBytes += payload.byteLength;
    }
    this.#seenItems += items.length;
    this.#asked -= items.length;
    this.#wakeUp();
  }

  end(): void {
    this.ended = true;
    this.#wakeUp();
  }

  fail(error: Error): void {
    this.failure ??= error;
    this.#wakeUp();
  }

  /** Stop waiting for anything more. */
  finish(): void {
    this.ended = true;
    this.#wakeUp();
  }

  /** Resolve when something arrives; call `onTimeout` if nothing does within `timeoutMs`. */
  arrival(timeoutMs: number, onTimeout: () => void): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = timeoutMs > 0 ? setTimeout(onTimeout, timeoutMs) : undefined;
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/** A Worker's error message as the error it stands for. */
function workerError(message: Extract<FromWorker, { t: "error" }>): Error {
  return message.code
    ? errorFromWire(message.code, message.message)
    : new RemoteError(`${message.name}: ${message.message}`);
}

/** `bytes` as an ArrayBuffer of their own (they are usually a view into a network buffer). */
function owned(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer as ArrayBuffer;
}

function unexpected(message: FromWorker): Error {
  return new InternalError(`the handler's worker answered '${message.t}'`);
}
