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
   * Start generator `name` with `args`; each `next()` asks the Worker for one more item (with
   * the same deadline as a call), so the generator runs only as fast as the items are taken.
   */
  stream(
    name: string,
    args: Uint8Array,
    timeoutMs: number,
  ): AsyncIterableIterator<[number, Uint8Array]> {
    this.#check(name, "generator");
    const id = this.#nextId++;
    const encodedArgs = owned(args);
    this.#post({ t: "open", id, name, args: encodedArgs }, [encodedArgs]);
    let finished = false;
    const iterator: AsyncIterableIterator<[number, Uint8Array]> = {
      next: async () => {
        if (finished) return { value: undefined, done: true };
        const answer = await this.#ask(id, { t: "next", id }, [], timeoutMs, `${name}()`)
          .catch((error) => {
            finished = true;
            throw error;
          });
        if (answer.t === "end") {
          finished = true;
          return { value: undefined, done: true };
        }
        if (answer.t === "item") {
          return { value: [answer.ident, new Uint8Array(answer.payload)], done: false };
        }
        finished = true;
        throw unexpected(answer);
      },
      return: async () => {
        if (!finished && this.alive) {
          finished = true;
          // The generator's `finally` runs in the Worker before it says "closed".
          await this.#close(id, timeoutMs);
        }
        finished = true;
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
    const waiting = this.#waiting.get(message.id);
    if (!waiting) return;
    this.#waiting.delete(message.id);
    if (message.t === "error") {
      waiting.reject(
        message.code
          ? errorFromWire(message.code, message.message)
          : new RemoteError(`${message.name}: ${message.message}`),
      );
      return;
    }
    waiting.resolve(message);
  }

  #die(reason: Error): void {
    if (this.#dead) return;
    this.#dead = reason;
    for (const waiting of this.#waiting.values()) waiting.reject(reason);
    this.#waiting.clear();
    for (const closed of this.#closing.values()) closed();
    this.#closing.clear();
    this.#onDeath?.(reason);
  }

  #throwIfDead(): void {
    if (this.#dead) throw this.#dead;
  }
}

/** `bytes` as an ArrayBuffer of their own (they are usually a view into a network buffer). */
function owned(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer as ArrayBuffer;
}

function unexpected(message: FromWorker): Error {
  return new InternalError(`the handler's worker answered '${message.t}'`);
}
