/**
 * The list server role: a typenet listener serving the list and dict operations, with links to
 * the other servers of its lists. `typenet server` runs one; so can a program.
 *
 * Memory only: a restart forgets every list (a data directory comes later).
 *
 * @example
 * ```ts
 * import { ListServer } from "./list_server.ts";
 * const server = await ListServer.start({ hostname: "127.0.0.1", port: 0 });
 * console.log(`typenet server listening on ${server.address}`);
 * await server.close();
 * ```
 * @module
 */
import type { Limits, Timeouts } from "../net/limits.ts";
import { linkSecurity, listenerSecurity, type SecurityOptions } from "../net/security.ts";
import { type ExposureState, Server } from "../net/server.ts";
import { ListService } from "./list_service.ts";
import { DictService } from "./dict_service.ts";
import { defineHandlers, mergeHandlers } from "../net/handlers.ts";
import { type DataDir, DataDirError, openDataDir } from "./data_dir.ts";
import { Journal } from "./journal.ts";
import { encodeMessageShared } from "../wire/codec.ts";
import type { FsyncMode } from "./record_log.ts";

/** Where and how to serve. */
export interface ListServerOptions extends SecurityOptions {
  /** Address to listen on (default 127.0.0.1). */
  hostname?: string;
  /** Port (default 4444; 0 picks a free one). */
  port?: number;
  /** Overrides of the listener's limits. */
  limits?: Partial<Limits>;
  /** Timeouts for links to other servers. */
  peerTimeouts?: Partial<Timeouts>;
  /** Told of connection-level problems (a client's bad frame, a failed hello). */
  onError?: (error: unknown, peer: string) => void;
  /**
   * A data directory: lists and dicts are kept there across a stop, a crash and a restart.
   * Without it everything is in memory only.
   */
  data?: string;
  /** How hard each write waits for the disk (default `"everysec"`, as Redis). */
  fsync?: FsyncMode;
  /**
   * The log is compacted (rewritten as the live data, in the background) once it is this big
   * and more than twice the data it holds (default 64 MiB).
   */
  compactMinBytes?: number;
}

/** The default {@link ListServerOptions.compactMinBytes}. */
export const COMPACT_MIN_BYTES = 64 * 1024 * 1024;

/** How often a server looks at its log's size. */
const COMPACT_CHECK_MS = 250;

/** What a server found in its data directory at start. */
export interface DataInfo {
  /** The directory, as given. */
  path: string;
  /** The fsync mode it runs with. */
  fsync: FsyncMode;
  /** Records replayed. */
  records: number;
  /** Bytes of a torn tail cut off (0 if none). */
  tornBytes: number;
}

/**
 * Timeouts for server-to-server links: shorter than a client's (5 s and 10 s by default), so
 * that when a peer is down the client hears the home's `UNAVAILABLE` naming that peer rather
 * than its own timeout.
 */
export const DEFAULT_PEER_TIMEOUTS: Timeouts = { connectTimeoutMs: 2_000, requestTimeoutMs: 5_000 };

/** Most lists (and dicts) `server.holdings` names. */
export const MAX_HOLDINGS = 4096;

/** `server.holdings`: the lists and dicts this server holds, for `typenet stats`. */
function holdingsHandler(lists: ListService, dicts: DictService) {
  return defineHandlers({
    requests: {
      "server.holdings": () => {
        const stats = { ...lists.stats(), ...dicts.stats() };
        return {
          lists: lists.holdings(MAX_HOLDINGS),
          dicts: dicts.holdings(MAX_HOLDINGS),
          truncated: stats.lists > MAX_HOLDINGS || stats.dicts > MAX_HOLDINGS,
        };
      },
    },
  });
}

/** The default list server port. */
export const DEFAULT_LIST_PORT = 4444;

/** See the module docs. */
export class ListServer {
  /** `host:port` as bound. */
  readonly address: string;
  /** Whether clients from other machines are refused (see {@link ListServerOptions.insecure}). */
  readonly protectedMode: boolean;
  /** The port actually bound. */
  readonly port: number;
  /** The data directory and what was in it, if the server has one. */
  readonly data: DataInfo | undefined;
  readonly #server: Server;
  readonly #service: ListService;
  readonly #dataDir: DataDir | undefined;
  #compactTimer: ReturnType<typeof setInterval> | undefined;
  #compacting: Promise<void> | undefined;
  /** Compactions done since start. */
  compactions = 0;

  private constructor(
    server: Server,
    service: ListService,
    protectedMode: boolean,
    dataDir: DataDir | undefined,
    data: DataInfo | undefined,
  ) {
    this.#server = server;
    this.#service = service;
    this.#dataDir = dataDir;
    this.data = data;
    this.address = server.address;
    this.port = server.port;
    this.protectedMode = protectedMode;
  }

  /**
   * Bind and serve. Throws `Deno.errors.AddrInUse` if the port is taken, `BadArgument` for a
   * bad token, an `Error` naming the flag for unreadable TLS files.
   */
  static async start(options: ListServerOptions = {}): Promise<ListServer> {
    const hostname = options.hostname ?? "127.0.0.1";
    const security = listenerSecurity(options, hostname);
    const fsync = options.fsync ?? "everysec";
    const dataDir = options.data === undefined ? undefined : await openDataDir(options.data, fsync);
    const journal = dataDir && new Journal(dataDir.log);
    const service = new ListService({
      ...DEFAULT_PEER_TIMEOUTS,
      ...options.peerTimeouts,
      ...linkSecurity(options, security.token),
    }, journal);
    const dicts = new DictService(journal);
    let server: Server;
    // Filled in once the server stands: what server.stats says of the data directory.
    let persistence = (): Record<string, unknown> => ({ dataDir: null });
    try {
      if (dataDir) replay(dataDir, service, dicts);
      server = await Server.listen({
        hostname,
        port: options.port ?? DEFAULT_LIST_PORT,
        role: "list-server",
        handlers: mergeHandlers(service.handlers, dicts.handlers, holdingsHandler(service, dicts)),
        limits: options.limits,
        ...security,
        onError: options.onError,
        stats: () => ({ ...service.stats(), ...dicts.stats(), ...persistence() }),
        onPush: (topic, payload, session) => service.onPush(topic, payload, session),
      });
    } catch (error) {
      await service.close();
      await dataDir?.close();
      throw error;
    }
    const data = dataDir && {
      path: dataDir.path,
      fsync,
      records: dataDir.records.length,
      tornBytes: dataDir.tornBytes,
    };
    const listServer = new ListServer(server, service, security.protectedMode, dataDir, data);
    if (dataDir) {
      persistence = () => ({
        dataDir: dataDir.path,
        fsync,
        logBytes: dataDir.log.size,
        compactions: listServer.compactions,
      });
      service.resume();
      listServer.#watchLog(service, dicts, options.compactMinBytes ?? COMPACT_MIN_BYTES);
    }
    return listServer;
  }

  /** Who may connect (protected mode, token, TLS). */
  get security(): ExposureState {
    return this.#server.security;
  }

  /** Stop: close the listener, every client connection and every peer link. */
  async close(): Promise<void> {
    clearInterval(this.#compactTimer);
    await this.#server.close();
    await this.#compacting?.catch(() => {});
    await this.#service.close();
    await this.#dataDir?.close();
  }

  /**
   * Compact the log in the background whenever it has grown past `minBytes` and past twice
   * the data it describes: a snapshot of the state now, then what is written meanwhile.
   */
  #watchLog(lists: ListService, dicts: DictService, minBytes: number): void {
    const dataDir = this.#dataDir!;
    this.#compactTimer = setInterval(() => {
      if (this.#compacting) return;
      const live = lists.bytesHeld + dicts.bytesHeld;
      if (dataDir.log.size < Math.max(minBytes, 2 * live)) return;
      // The snapshot is taken and the capture started in this one turn (RecordLog.compact);
      // its records are made and encoded one by one as the compaction writes them.
      const taken = [lists.snapshot(), dicts.snapshot()];
      const snapshot = (function* () {
        for (const records of taken) {
          for (const record of records) yield encodeMessageShared(record); // framed (copied) at once
        }
      })();
      this.#compacting = dataDir.log.compact(
        snapshot,
        `${dataDir.path}/log`,
        `${dataDir.path}/log.compact`,
      ).then(
        () => void this.compactions++,
        (error) => console.error(`typenet server: compacting ${dataDir.path}/log failed: ${error}`),
      ).finally(() => this.#compacting = undefined);
    }, COMPACT_CHECK_MS);
    Deno.unrefTimer(this.#compactTimer);
  }
}

/** Apply every record of the data directory's log, in order. */
function replay(dataDir: DataDir, lists: ListService, dicts: DictService): void {
  dataDir.records.forEach((payload, k) => {
    let record: unknown[];
    try {
      record = Journal.decode(payload);
      const kind = record[0] as string;
      if (ListService.replays(kind)) lists.replay(record);
      else if (DictService.replays(kind)) dicts.replay(record);
      else throw new Error(`unknown record kind '${kind}'`);
    } catch (error) {
      throw new DataDirError(
        `${dataDir.path}/log: record ${k + 1} cannot be replayed (${(error as Error).message}); ` +
          `refusing to start over it`,
      );
    }
  });
}
