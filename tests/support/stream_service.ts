/**
 * A small service on typenet's transport, run as a real process by tests/transport_test.ts
 * to exercise what every role relies on: pipelining, streams with credit and cancellation,
 * pushes, timeouts and reconnection.
 *
 * Prints `stream service listening on HOST:PORT` when ready; SIGTERM stops it.
 *
 * @example
 * ```sh
 * deno run --allow-net=127.0.0.1 tests/support/stream_service.ts 0
 * ```
 * @module
 */
import { BadArgument } from "../../lib/wire/errors.ts";
import { defineHandlers } from "../../lib/net/handlers.ts";
import { Server } from "../../lib/net/server.ts";

/** What each named stream has done, for the tests to ask about. */
interface StreamRecord {
  produced: number;
  cancelled: boolean;
  finished: boolean;
}

const records = new Map<string, StreamRecord>();

function record(key: unknown): StreamRecord {
  if (typeof key !== "string") throw new BadArgument("key must be a string");
  let r = records.get(key);
  if (!r) records.set(key, r = { produced: 0, cancelled: false, finished: false });
  return r;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

const handlers = defineHandlers({
  requests: {
    echo: (args) => args[0],
    /** Answers after `ms`: lets a test see answers arrive out of order. */
    delayed: async (args, call) => {
      await sleep(Number(args[0]), call.signal);
      return args[1];
    },
    /** Never answers: for request timeouts. */
    never: () => new Promise(() => {}),
    /** What stream `key` has done so far. */
    record: (args) => ({ ...record(args[0]) }),
    /** Push `count` messages on `topic` to the caller, then answer. */
    pushMe: (args, call) => {
      for (let i = 0; i < Number(args[1]); i++) call.session.push(String(args[0]), i);
      return Number(args[1]);
    },
    /** Throws a plain Error: the caller must get INTERNAL, the service must stay up. */
    crash: () => {
      throw new Error("deliberate crash");
    },
    /** Exits the process (for reconnect tests, the test restarts it). */
    exit: () => {
      setTimeout(() => Deno.exit(0), 10);
      return "bye";
    },
  },
  streams: {
    /** Yields 0..count-1, recording progress under `key`. */
    count: async function* (args, call) {
      const r = record(args[0]);
      try {
        for (let i = 0; i < Number(args[1]); i++) {
          if (call.signal.aborted) return;
          r.produced++;
          yield i;
        }
        r.finished = true;
      } finally {
        if (!r.finished) r.cancelled = true;
      }
    },
    /** Yields `count` items, then fails: the producer-side end of a stream. */
    failAfter: function* (args) {
      for (let i = 0; i < Number(args[0]); i++) yield i;
      throw new BadArgument(`failing after ${args[0]} items`);
    },
    /** Yields one item, then waits until cancelled. */
    hang: async function* (args, call) {
      const r = record(args[0]);
      yield "first";
      r.produced++;
      await new Promise<void>((resolve) => call.signal.addEventListener("abort", () => resolve()));
      r.cancelled = true;
    },
  },
});

const port = Number(Deno.args[0] ?? 0);
const server = await Server.listen({
  hostname: "127.0.0.1",
  port,
  role: "stream-service",
  handlers,
  limits: { handshakeTimeoutMs: 1000, maxFrameBytes: 64 * 1024, maxInFlight: 2, maxStreams: 4 },
  onError: (error, peer) => console.error(`stream service: ${peer}: ${error}`),
});
console.log(`stream service listening on ${server.address}`);
await new Promise<void>((resolve) => Deno.addSignalListener("SIGTERM", resolve));
await server.close();
