/**
 * A gateway handler Worker: it imports the operator's subroutine module once and runs its
 * functions for one client at a time. Arguments arrive encoded and results leave encoded (the
 * main thread never decodes user values); generators run only as far as the main thread grants
 * (so a slow client slows the generator instead of filling memory), their items batched.
 *
 * Started by `worker_pool.ts`; not meant to be imported.
 * @module
 */
import { decodeValue, encodeValue } from "../wire/codec.ts";
import { TypenetError } from "../wire/errors.ts";
import { yieldToEventLoop } from "../net/yield.ts";
import type { FromWorker, SubroutineKind, ToWorker } from "./worker_messages.ts";

const scope = self as unknown as {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
};

let subroutines: Record<string, unknown> = {};
const streams = new Map<number, WorkerStream>();

/** Items a stream sends in one message at most. */
const BATCH_ITEMS = 512;
/** Payload bytes a stream sends in one message at most. */
const BATCH_BYTES = 256 * 1024;

/**
 * One generator, run as far as the main thread's grants allow. What it yields in a burst goes
 * in one message (a message costs the main thread about as much as a small item), sent once
 * the burst ends — when the generator waits for something, runs out of grant, fills a batch,
 * or has gone on past a turn of the event loop — so a slow generator's items leave at once.
 */
class WorkerStream {
  readonly #id: number;
  readonly #iterator: AsyncIterator<unknown> | Iterator<unknown>;
  #credit = 0;
  #pumping = false;
  #closed = false;
  #batch: [number, ArrayBuffer][] = [];
  #batchBytes = 0;
  #flushQueued = false;

  constructor(id: number, iterator: AsyncIterator<unknown> | Iterator<unknown>) {
    this.#id = id;
    this.#iterator = iterator;
  }

  grant(n: number): void {
    this.#credit += n;
    if (!this.#pumping) this.#pump();
  }

  async close(): Promise<void> {
    this.#closed = true;
    try {
      await this.#iterator.return?.(undefined);
    } catch {
      // A generator that fails while being closed has nothing more to say.
    }
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      while (this.#credit > 0 && !this.#closed) {
        const result = await this.#iterator.next();
        if (this.#closed) return;
        if (result.done) {
          this.#flush();
          streams.delete(this.#id);
          post({ t: "end", id: this.#id });
          return;
        }
        const item = result.value;
        if (!Array.isArray(item) || item.length !== 2 || !Number.isSafeInteger(item[0])) {
          throw new TypeError(
            `a stream subroutine must yield [ident, payload] with an integer ident`,
          );
        }
        const payload = encoded(item[1]);
        this.#credit--;
        this.#batch.push([item[0], payload]);
        this.#batchBytes += payload.byteLength;
        if (
          this.#credit === 0 || this.#batch.length >= BATCH_ITEMS ||
          this.#batchBytes >= BATCH_BYTES
        ) {
          this.#flush();
        } else if (!this.#flushQueued) {
          this.#flushQueued = true;
          yieldToEventLoop().then(() => {
            this.#flushQueued = false;
            this.#flush();
          });
        }
      }
    } catch (error) {
      this.#flush();
      streams.delete(this.#id);
      fail(this.#id, error);
    } finally {
      this.#pumping = false;
    }
  }

  #flush(): void {
    if (this.#batch.length === 0 || this.#closed) return;
    const items = this.#batch;
    this.#batch = [];
    this.#batchBytes = 0;
    post({ t: "items", id: this.#id, items }, items.map(([, payload]) => payload));
  }
}

function post(message: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

/** An encoded value in an ArrayBuffer of its own, ready to transfer. */
function encoded(value: unknown): ArrayBuffer {
  const bytes = encodeValue(value);
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes.buffer as ArrayBuffer
    : bytes.slice().buffer as ArrayBuffer;
}

function fail(id: number, error: unknown): void {
  const e = error instanceof Error ? error : new Error(String(error));
  post({
    t: "error",
    id,
    code: e instanceof TypenetError ? e.code : "",
    name: e.name,
    message: e.message,
  });
}

function kind(value: unknown): SubroutineKind | undefined {
  if (typeof value !== "function") return undefined;
  const name = value.constructor?.name;
  return name === "GeneratorFunction" || name === "AsyncGeneratorFunction"
    ? "generator"
    : "function";
}

function args(bytes: ArrayBuffer): unknown[] {
  const decoded = decodeValue(new Uint8Array(bytes));
  return Array.isArray(decoded) ? decoded : [decoded];
}

async function handle(message: ToWorker): Promise<void> {
  switch (message.t) {
    case "load": {
      try {
        const module = await import(message.url);
        subroutines = module;
        const kinds: Record<string, SubroutineKind> = {};
        for (const [name, value] of Object.entries(module)) {
          const k = kind(value);
          if (k) kinds[name] = k;
        }
        post({ t: "loaded", subroutines: kinds });
      } catch (error) {
        post({ t: "load-failed", message: (error as Error).message ?? String(error) });
      }
      return;
    }
    case "call": {
      try {
        const fn = subroutines[message.name] as (...a: unknown[]) => unknown;
        const callArgs = args(message.args);
        if (message.buffer) callArgs.push({ buffer: new Uint8Array(message.buffer) });
        const value = encoded(await fn(...callArgs));
        post({ t: "result", id: message.id, value }, [value]);
      } catch (error) {
        fail(message.id, error);
      }
      return;
    }
    case "open": {
      try {
        const fn = subroutines[message.name] as (...a: unknown[]) => AsyncIterator<unknown>;
        streams.set(message.id, new WorkerStream(message.id, fn(...args(message.args))));
      } catch (error) {
        fail(message.id, error);
      }
      return;
    }
    case "more": {
      streams.get(message.id)?.grant(message.n);
      return;
    }
    case "close": {
      const stream = streams.get(message.id);
      streams.delete(message.id);
      await stream?.close();
      post({ t: "closed", id: message.id });
      return;
    }
  }
}

scope.onmessage = (event) => {
  handle(event.data);
};
