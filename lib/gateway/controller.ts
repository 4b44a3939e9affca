/**
 * The client side of a gateway: a `Controller` connects to a gateway and hands out `Client`s,
 * each holding one handler (a Worker) over a connection of its own, until `closeHandler()`.
 *
 * @example
 * ```ts
 * import { Controller } from "./controller.ts";
 * const ctl = await Controller.connect("127.0.0.1:1857");
 * const client = await ctl.getClient();
 * console.log(await client.batch("mountUsage", [123]));
 * for await (const [ident, chunk] of client.stream("sensor", [10])) {
 *   if (ident > 100) break;
 * }
 * await client.closeHandler();
 * await ctl.close();
 * ```
 * @module
 */
import { decodeValue, encodeValue } from "../wire/codec.ts";
import { BadArgument, ProtocolError } from "../wire/errors.ts";
import { Swarm } from "./swarm.ts";
import {
  downloadFiles,
  type DownloadSpec,
  type TransferOptions,
  type TransferSummary,
  uploadFiles,
} from "./transfer.ts";
import { GATEWAY_ROLE, GatewayOp } from "../wire/gateway_protocol.ts";
import { type ConnectOptions, connectWithWelcome } from "../net/connect.ts";
import type { Session } from "../net/session.ts";

/** How to reach a gateway. */
export interface ControllerOptions extends ConnectOptions {
  /** Where downloads go (default: the current directory). */
  downloadDir?: string;
}

/** What `ping` tells. */
export interface PingResult {
  /** What came back (what was sent). */
  echo: unknown;
  /** The round trip, in milliseconds. */
  ms: number;
}

/** Callbacks for a stream read in the background. */
export interface StreamCallbacks {
  /** Each item; return `false` to stop the stream. */
  onData?: (ident: number, payload: unknown, skipped: number) => boolean | void;
  /** The stream ended (by the subroutine, or because `onData` said stop). */
  onEnd?: () => void;
  /** The stream failed. */
  onError?: (error: Error) => void;
}

/** How to read a stream. */
export interface StreamOptions extends StreamCallbacks {
  /** Keep only the newest unread item when the reader falls behind (a camera feed). */
  latest?: boolean;
  /**
   * Items the gateway may send ahead of the reader (default: 16, widening for small items
   * towards 1 MiB in flight).
   */
  window?: number;
}

/** A stream read in the background: resolves when it is over; `stop()` ends it early. */
export interface StreamHandle {
  /** Resolves when the stream is over (rejects if it failed and there is no `onError`). */
  done: Promise<void>;
  /** End it early (the generator's `finally` runs). */
  stop(): Promise<void>;
}

/** See the module docs. */
export class Controller implements AsyncDisposable {
  /** The gateway, as given. */
  readonly address: string;
  readonly #options: ControllerOptions;
  /** Its own connection; idle long enough, the server (or we) close it, and it is opened anew. */
  #session: Session;
  readonly #clients = new Set<Client>();

  private constructor(address: string, options: ControllerOptions, session: Session) {
    this.address = address;
    this.#options = options;
    this.#session = session;
  }

  /** Connect to the gateway at `address` (`Unavailable` if it cannot be reached). */
  static async connect(address: string, options: ControllerOptions = {}): Promise<Controller> {
    return new Controller(address, options, await open(address, options));
  }

  /** Where downloads go. */
  get downloadDir(): string {
    return this.#options.downloadDir ?? ".";
  }

  /**
   * A client on a handler of its own, over a new connection. With every handler taken it
   * fails with `PoolFullError` at once, or after waiting up to `wait` ms for one to come free.
   */
  async getClient(options: { wait?: number } = {}): Promise<Client> {
    const session = await open(this.address, this.#options);
    try {
      const answer = await session.request(GatewayOp.Acquire, [options.wait ?? 0], {
        timeoutMs: (options.wait ?? 0) + (this.#options.requestTimeoutMs ?? 10_000),
      }) as AcquireAnswer;
      // A call may run for the gateway's call timeout: wait that long, and a little more.
      const callTimeoutMs = answer.callTimeoutMs + (this.#options.requestTimeoutMs ?? 10_000);
      const client = new Client(this, session, answer.handler, answer.subroutines, callTimeoutMs);
      keepLeaseAlive(session, answer.leaseIdleMs);
      this.#clients.add(client);
      session.closed.then(() => this.#clients.delete(client));
      return client;
    } catch (error) {
      session.close();
      throw error;
    }
  }

  /** `count` clients, each on a connection and a handler of its own, sharing transfers. */
  async swarm(count: number, options: { wait?: number } = {}): Promise<Swarm> {
    if (!Number.isInteger(count) || count < 1) {
      throw new BadArgument("a swarm needs at least 1 client");
    }
    const clients: Client[] = [];
    try {
      for (let k = 0; k < count; k++) clients.push(await this.getClient(options));
    } catch (error) {
      await Promise.all(clients.map((client) => client.closeHandler()));
      throw error;
    }
    return new Swarm(clients, this.downloadDir);
  }

  /** Stop the gateway (an admin operation: under tokens, it needs the admin token). */
  async closeGateway(): Promise<void> {
    if (!this.#session.isOpen) this.#session = await open(this.address, this.#options);
    await this.#session.request(GatewayOp.Close, []);
  }

  /** Close every client and the controller's own connection. */
  async close(): Promise<void> {
    await Promise.all([...this.#clients].map((client) => client.closeHandler()));
    this.#session.close();
    await this.#session.closed;
  }

  /** `await using ctl = await Controller.connect(…)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** One handler of a gateway, held until `closeHandler()`. */
export class Client implements AsyncDisposable {
  /** The controller it came from. */
  readonly controller: Controller;
  /** Its handler's number at the gateway. */
  readonly handler: number;
  /** The gateway's subroutines, by name: `"function"` or `"generator"`. */
  readonly subroutines: Record<string, string>;
  readonly #session: Session;
  readonly #callTimeoutMs: number;

  /** Made by `Controller.getClient`. */
  constructor(
    controller: Controller,
    session: Session,
    handler: number,
    subroutines: Record<string, string>,
    callTimeoutMs: number,
  ) {
    this.controller = controller;
    this.#session = session;
    this.handler = handler;
    this.subroutines = subroutines;
    this.#callTimeoutMs = callTimeoutMs;
  }

  /** The connection this client talks over. */
  get session(): Session {
    return this.#session;
  }

  /** Send `payload` and get it back (answered on the gateway's main thread): the round trip. */
  async ping(payload: unknown = null): Promise<PingResult> {
    const start = performance.now();
    const echo = await this.#session.request(GatewayOp.Ping, [encodeValue(payload)]);
    const ms = performance.now() - start;
    return { echo: decodeValue(echo as Uint8Array), ms };
  }

  /** Call subroutine `name` with `args`; resolves to what it returned. */
  async batch(name: string, args: unknown[] = []): Promise<unknown> {
    const result = await this.#session.request(
      GatewayOp.Call,
      [this.handler, name, encodeValue(args)],
      { timeoutMs: this.#callTimeoutMs },
    );
    return decodeValue(result as Uint8Array);
  }

  /** Call subroutine `name` with `args` and `{ buffer }` after them; resolves to its result. */
  async send(name: string, buffer: Uint8Array, args: unknown[] = []): Promise<unknown> {
    const result = await this.#session.request(
      GatewayOp.Send,
      [this.handler, name, encodeValue(args), buffer],
      { timeoutMs: this.#callTimeoutMs },
    );
    return decodeValue(result as Uint8Array);
  }

  /**
   * Read the generator `name` started with `args`: as an async iterable of
   * `[ident, payload, skipped]` (leave the loop to stop it), or — with `onData` — in the
   * background, returning a handle. The gateway runs the generator only as fast as the items
   * are read; with `{ latest: true }` it keeps only the newest unread item and `skipped` says
   * how many it dropped.
   */
  stream(
    name: string,
    args: unknown[],
    options: StreamOptions & { onData: NonNullable<StreamCallbacks["onData"]> },
  ): StreamHandle;
  /** Read the generator `name` as an async iterable of `[ident, payload, skipped]`. */
  stream(
    name: string,
    args?: unknown[],
    options?: StreamOptions,
  ): AsyncIterableIterator<[number, unknown, number]>;
  stream(
    name: string,
    args: unknown[] = [],
    options: StreamOptions = {},
  ): StreamHandle | AsyncIterableIterator<[number, unknown, number]> {
    const reader = this.#session.stream(
      GatewayOp.Stream,
      [this.handler, name, encodeValue(args), options.latest === true],
      // Latest: one item in flight, so that the gateway (not this reader) holds the newest.
      // Otherwise the window widens for small items, up to about 1 MiB in flight.
      options.latest ? { window: 1, timeoutMs: 0 } : {
        window: options.window ?? 16,
        timeoutMs: 0,
        grow: options.window === undefined ? ITEM_WINDOW_GROWTH : undefined,
      },
    );
    const items = (async function* () {
      for await (const item of reader) {
        const [ident, payload, skipped] = item as [number, Uint8Array, number];
        yield [ident, decodeValue(payload), skipped] as [number, unknown, number];
      }
    })();
    if (!options.onData) return items;
    const onData = options.onData;
    const done = (async () => {
      try {
        for await (const [ident, payload, skipped] of items) {
          if (onData(ident, payload, skipped) === false) break;
        }
        options.onEnd?.();
      } catch (error) {
        if (options.onError) options.onError(error as Error);
        else throw error;
      }
    })();
    return {
      done,
      async stop() {
        await items.return(undefined);
        await done.catch(() => {});
      },
    };
  }

  /**
   * Download the files `spec` names — a folder (all of it, or what `regex` matches in the paths
   * under it) or `paths` — into the controller's download folder, keeping their relative paths.
   * Identical files are skipped, interrupted ones resumed; each is checked by SHA-256.
   */
  download(spec: DownloadSpec, options: TransferOptions = {}): Promise<TransferSummary> {
    return downloadFiles(this.#session, spec, this.controller.downloadDir, options);
  }

  /** Upload local files into `folder` on the gateway (default: its shared folder's top). */
  upload(
    paths: string[],
    options: TransferOptions & { folder?: string } = {},
  ): Promise<TransferSummary> {
    return uploadFiles(this.#session, paths, options.folder ?? "", options);
  }

  /** Give the handler back and close this client's connection. */
  async closeHandler(): Promise<void> {
    if (this.#session.isOpen) {
      await this.#session.request(GatewayOp.Release, [this.handler]).catch(() => {});
      this.#session.close();
    }
    await this.#session.closed;
  }

  /** `await using client = await ctl.getClient()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.closeHandler();
  }
}

/** A stream's window widens towards 1 MiB of items in flight, at most 1,024 items. */
const ITEM_WINDOW_GROWTH = {
  maxWindow: 1024,
  bytesAhead: 1024 * 1024,
  sizeOf: (item: unknown) => ((item as [number, Uint8Array])[1]?.length ?? 0) + 16,
};

/** What `gw.acquire` answers. */
interface AcquireAnswer {
  handler: number;
  subroutines: Record<string, string>;
  callTimeoutMs: number;
  /** Absent from gateways that never take a handler back from a silent connection. */
  leaseIdleMs?: number;
}

/**
 * The gateway takes a handler back from a connection silent for `leaseIdleMs`: say something
 * (a ping, answered on its main thread) every third of that, until the connection closes.
 */
function keepLeaseAlive(session: Session, leaseIdleMs: number | undefined): void {
  if (typeof leaseIdleMs !== "number" || leaseIdleMs <= 0) return;
  const timer = setInterval(() => {
    session.request(GatewayOp.Ping, [encodeValue(null)]).catch(() => {});
  }, Math.max(30, Math.floor(leaseIdleMs / 3)));
  Deno.unrefTimer(timer);
  session.closed.then(() => clearInterval(timer));
}

/** A connection to a gateway (refusing anything that is not one). */
async function open(address: string, options: ConnectOptions): Promise<Session> {
  const { session, welcome } = await connectWithWelcome(address, options);
  if (welcome.role !== GATEWAY_ROLE) {
    session.close();
    throw new ProtocolError(`${address} is a ${welcome.role}, not a typenet gateway`);
  }
  return session;
}
