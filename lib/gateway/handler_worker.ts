/**
 * A gateway handler Worker: it imports the operator's subroutine module once and runs its
 * functions for one client at a time. Arguments arrive encoded and results leave encoded (the
 * main thread never decodes user values); generators are pulled one item per `next`, so a slow
 * client slows the generator instead of filling memory.
 *
 * Started by `worker_pool.ts`; not meant to be imported.
 * @module
 */
import { decodeValue, encodeValue } from "../wire/codec.ts";
import { TypenetError } from "../wire/errors.ts";
import type { FromWorker, SubroutineKind, ToWorker } from "./worker_messages.ts";

const scope = self as unknown as {
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
};

let subroutines: Record<string, unknown> = {};
const streams = new Map<number, AsyncIterator<unknown> | Iterator<unknown>>();

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
        streams.set(message.id, fn(...args(message.args)));
      } catch (error) {
        fail(message.id, error);
      }
      return;
    }
    case "next": {
      const stream = streams.get(message.id);
      if (!stream) return;
      try {
        const result = await stream.next();
        if (result.done) {
          streams.delete(message.id);
          post({ t: "end", id: message.id });
          return;
        }
        const item = result.value;
        if (!Array.isArray(item) || item.length !== 2 || !Number.isSafeInteger(item[0])) {
          throw new TypeError(
            `a stream subroutine must yield [ident, payload] with an integer ident`,
          );
        }
        const payload = encoded(item[1]);
        post({ t: "item", id: message.id, ident: item[0], payload }, [payload]);
      } catch (error) {
        streams.delete(message.id);
        fail(message.id, error);
      }
      return;
    }
    case "close": {
      const stream = streams.get(message.id);
      streams.delete(message.id);
      try {
        await stream?.return?.(undefined);
      } catch {
        // A generator that fails while being closed has nothing more to say.
      }
      post({ t: "closed", id: message.id });
      return;
    }
  }
}

scope.onmessage = (event) => {
  handle(event.data);
};
