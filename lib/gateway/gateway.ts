/**
 * The gateway role: it runs an operator's *subroutines* (exported functions and generators of
 * one module) for remote clients, each client on a handler Worker of a pool it holds until it
 * lets go or disconnects. Cheap built-ins (ping) stay on the main thread; only user code goes
 * to Workers. It stands on the shared transport: a `Server`, sessions, streams with credit.
 *
 * @example
 * ```ts
 * import { Gateway } from "./gateway.ts";
 * const gateway = await Gateway.start({
 *   port: 0,
 *   subroutines: new URL("./subs.ts", import.meta.url),
 * });
 * console.log(`typenet gateway listening on ${gateway.address} (pool ${gateway.poolSize})`);
 * await gateway.stop();
 * ```
 * @module
 */
import { argBytes, argCount, argInt, argString } from "../wire/args.ts";
import { BadArgument } from "../wire/errors.ts";
import { DEFAULT_GATEWAY_PORT, FileOp, GATEWAY_ROLE, GatewayOp } from "../wire/gateway_protocol.ts";
import {
  adminOnly,
  type CallContext,
  defineHandlers,
  type Handlers,
  mergeHandlers,
} from "../net/handlers.ts";
import { FileService } from "./file_service.ts";
import { SharedFolder } from "./shared_folder.ts";
import { UnsupportedOperation } from "../wire/errors.ts";
import type { Limits } from "../net/limits.ts";
import { listenerSecurity, type SecurityOptions } from "../net/security.ts";
import { type ExposureState, Server } from "../net/server.ts";
import { HandlerPool, type Slot } from "./handler_pool.ts";
import { DEFAULT_LEASE_IDLE_MS, Leases } from "./leases.ts";
import { type SubroutineGrants, workerPermissions } from "./subroutine_permissions.ts";
import { latestOnly } from "./latest_only.ts";

/** How to start a gateway. */
export interface GatewayOptions extends SecurityOptions {
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 1857; 0 picks a free one). */
  port?: number;
  /** The subroutine module, as a URL or a path. */
  subroutines: URL | string;
  /** The folder files are shared from and uploaded into (none: no file operations). */
  root?: string;
  /** Handler Workers (default 5). */
  pool?: number;
  /** A call (or one stream item) running longer stops its Worker (default 30,000 ms). */
  callTimeoutMs?: number;
  /**
   * A connection holding handlers that sends nothing for this long loses them (default
   * 60,000 ms); the reference client pings every third of it while it holds one.
   */
  leaseIdleMs?: number;
  /**
   * What subroutines may do (none given: what the gateway may). Deno must run with
   * `--unstable-worker-options` for this, or it ends the process at start.
   */
  subroutinePermissions?: SubroutineGrants;
  /** Listener limits. */
  limits?: Partial<Limits>;
  /** Told of notable things: a Worker replaced, a client's error. */
  onNotice?: (message: string) => void;
}

/** The default number of handler Workers. */
export const DEFAULT_POOL = 5;

/** The default call timeout. */
export const DEFAULT_CALL_TIMEOUT_MS = 30_000;

/** See the module docs. */
export class Gateway implements AsyncDisposable {
  /** `host:port` as bound. */
  readonly address: string;
  /** The port actually bound. */
  readonly port: number;
  readonly #server: Server;
  readonly #pool: HandlerPool;
  readonly #leases: Leases;
  readonly #stopped = Promise.withResolvers<void>();
  #stopping: Promise<void> | undefined;

  private constructor(server: Server, pool: HandlerPool, leases: Leases) {
    this.#server = server;
    this.#pool = pool;
    this.#leases = leases;
    this.address = server.address;
    this.port = server.port;
  }

  /** Load the subroutines into the pool's Workers, then listen. */
  static async start(options: GatewayOptions): Promise<Gateway> {
    const size = options.pool ?? DEFAULT_POOL;
    const callTimeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    if (!Number.isInteger(size) || size < 1) throw new BadArgument("pool must be at least 1");
    const url = moduleUrl(options.subroutines);
    const grants = options.subroutinePermissions;
    const pool = await HandlerPool.start(size, url, grants && workerPermissions(grants, url));
    pool.onReplace = (slot, reason) =>
      options.onNotice?.(`handler ${slot.id}'s worker was replaced: ${reason.message}`);
    const host = options.host ?? "127.0.0.1";
    let files: Handlers;
    try {
      files = options.root
        ? new FileService(await SharedFolder.open(options.root)).handlers
        : noFiles();
    } catch (error) {
      await pool.stop();
      throw error;
    }
    // The handlers need the gateway (to stop it), which needs the server: they find it here.
    const made: { gateway?: Gateway } = {};
    const leaseIdleMs = options.leaseIdleMs ?? DEFAULT_LEASE_IDLE_MS;
    if (!Number.isInteger(leaseIdleMs) || leaseIdleMs < 100) {
      throw new BadArgument("leaseIdleMs must be an integer of at least 100");
    }
    const leases = new Leases(pool, leaseIdleMs);
    let server: Server;
    try {
      server = await Server.listen({
        hostname: host,
        port: options.port ?? DEFAULT_GATEWAY_PORT,
        role: GATEWAY_ROLE,
        handlers: mergeHandlers(
          handlersFor(leases, () => made.gateway!.stop(), pool, callTimeoutMs),
          files,
        ),
        limits: options.limits,
        ...listenerSecurity(options, host),
        stats: () => ({ pool: pool.size, free: pool.free }),
      });
    } catch (error) {
      leases.stop();
      await pool.stop();
      throw error;
    }
    made.gateway = new Gateway(server, pool, leases);
    return made.gateway;
  }

  /** Handler Workers in the pool. */
  get poolSize(): number {
    return this.#pool.size;
  }

  /** Handlers free now. */
  get freeHandlers(): number {
    return this.#pool.free;
  }

  /** Resolves when the gateway has stopped (by `stop()` or a client's `closeGateway()`). */
  get stopped(): Promise<void> {
    return this.#stopped.promise;
  }

  /** Who may connect (protected mode, token, TLS). */
  get security(): ExposureState {
    return this.#server.security;
  }

  /** Stop: close every connection and every Worker. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#leases.stop();
      await this.#server.close();
      await this.#pool.stop();
      this.#stopped.resolve();
    })();
    return this.#stopping;
  }

  /** `await using gateway = await Gateway.start(…)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

/** The gateway's operations. */
function handlersFor(
  leases: Leases,
  stop: () => Promise<void>,
  pool: HandlerPool,
  callTimeoutMs: number,
) {
  const slotOf = async (args: unknown[], call: CallContext): Promise<Slot> => {
    const slot = leases.slot(call.session, argInt(args, 0, "handler", 1));
    await slot.ready;
    return slot;
  };
  return defineHandlers({
    requests: {
      [GatewayOp.Ping]: (args) => {
        argCount(args, 1, GatewayOp.Ping);
        return argBytes(args, 0, "payload");
      },
      [GatewayOp.Acquire]: async (args, call) => {
        argCount(args, 1, GatewayOp.Acquire);
        const waitMs = argInt(args, 0, "wait", 0);
        const slot = await leases.acquire(call.session, waitMs);
        return {
          handler: slot.id,
          subroutines: pool.subroutines,
          callTimeoutMs,
          leaseIdleMs: leases.idleMs,
        };
      },
      [GatewayOp.Release]: (args, call) => {
        argCount(args, 1, GatewayOp.Release);
        leases.release(call.session, argInt(args, 0, "handler", 1));
        return null;
      },
      [GatewayOp.Call]: async (args, call) => {
        argCount(args, 3, GatewayOp.Call);
        const slot = await slotOf(args, call);
        const name = argString(args, 1, "name", 256);
        return await slot.link.call(name, argBytes(args, 2, "args"), undefined, callTimeoutMs);
      },
      [GatewayOp.Send]: async (args, call) => {
        argCount(args, 4, GatewayOp.Send);
        const slot = await slotOf(args, call);
        const name = argString(args, 1, "name", 256);
        const buffer = argBytes(args, 3, "buffer");
        return await slot.link.call(name, argBytes(args, 2, "args"), buffer, callTimeoutMs);
      },
      [GatewayOp.Close]: (args, call) => {
        argCount(args, 0, GatewayOp.Close);
        adminOnly(GatewayOp.Close, call);
        // Answer first, then stop (the answer must leave before the connection closes).
        setTimeout(() => stop(), 10);
        return null;
      },
    },
    streams: {
      [GatewayOp.Stream]: (args, call) => {
        argCount(args, 4, GatewayOp.Stream);
        const name = argString(args, 1, "name", 256);
        const encodedArgs = argBytes(args, 2, "args");
        const latest = args[3] === true;
        return (async function* () {
          const slot = await slotOf(args, call);
          const items = slot.link.stream(name, encodedArgs, callTimeoutMs);
          if (!latest) {
            // Leaving this loop (a CANCEL) closes `items`, and with it the Worker's generator.
            for await (const [ident, payload] of items) yield [ident, payload, 0];
            return;
          }
          for await (const [[ident, payload], skipped] of latestOnly(items)) {
            yield [ident, payload, skipped];
          }
        })();
      },
    },
  });
}

/** The file operations that are streams. */
const FILE_STREAMS = new Set<string>([FileOp.Read, FileOp.ReadMany]);

/** File operations on a gateway that shares no folder: each says so. */
function noFiles(): Handlers {
  const refuse = () => {
    throw new UnsupportedOperation("this gateway shares no folder (start it with --root DIR)");
  };
  const requests = Object.fromEntries(
    Object.values(FileOp).filter((op) => !FILE_STREAMS.has(op)).map((op) => [op, refuse]),
  );
  return defineHandlers({
    requests,
    streams: { [FileOp.Read]: refuse, [FileOp.ReadMany]: refuse },
  });
}

function moduleUrl(subroutines: URL | string): string {
  if (subroutines instanceof URL) return subroutines.href;
  if (/^[a-z]+:/i.test(subroutines)) return subroutines;
  const absolute = subroutines.startsWith("/") ? subroutines : `${Deno.cwd()}/${subroutines}`;
  return new URL(`file://${absolute}`).href;
}
