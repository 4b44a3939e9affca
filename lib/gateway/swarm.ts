/**
 * A swarm: several clients of one gateway, each on a connection of its own, sharing a transfer.
 * Many files are shared out one at a time to whichever client is free; one large file is cut into
 * byte ranges, one per client, written into the same partial file and checked as a whole.
 *
 * @example
 * ```ts
 * import { Controller } from "./controller.ts";
 * const ctl = await Controller.connect("127.0.0.1:1857", { downloadDir: "backup" });
 * const swarm = await ctl.swarm(4);
 * await swarm.download({ folder: "logs" }, { onProgress: (p) => console.log(p.bytes) });
 * for await (const [ident, reading] of swarm.stream("sensor", (k, n) => [k, n])) {
 *   if (ident >= 100) break; // readings of every handler, in ident order
 * }
 * await swarm.close();
 * ```
 * @module
 */
import { FileOp } from "../wire/gateway_protocol.ts";
import { mergeByIdent } from "./ordered_merge.ts";
import { LocalIndex } from "./local_index.ts";
import { batchable, BATCHES_IN_FLIGHT, batchesOf, downloadBatch } from "./batch_download.ts";
import type { Client } from "./controller.ts";
import { fileSize, partialsOf, sha256Of } from "./file_service.ts";
import {
  downloadOne,
  type DownloadSpec,
  FILES_IN_FLIGHT,
  finishDownload,
  inParallel,
  localPath,
  receiveInto,
  type RemoteFile,
  remoteFiles,
  SMALL_FILE_BYTES,
  tracker,
  type TransferOptions,
  type TransferSummary,
  uploadOne,
  uploadsOf,
} from "./transfer.ts";

/** A file this big or bigger is cut into byte ranges, one per client. */
export const SPLIT_BYTES = 64 * 1024 * 1024;

/** See the module docs. */
export class Swarm implements AsyncDisposable {
  /** Its clients. */
  readonly clients: Client[];
  readonly #downloadDir: string;

  /** Made by `Controller.swarm`. */
  constructor(clients: Client[], downloadDir: string) {
    this.clients = clients;
    this.#downloadDir = downloadDir;
  }

  /** Download the files `spec` names into the controller's download folder, spread over the clients. */
  async download(spec: DownloadSpec, options: TransferOptions = {}): Promise<TransferSummary> {
    const files = await remoteFiles(this.clients[0].session, spec);
    const progress = tracker(files.map((f) => [f.source, f.size]), options.onProgress);
    const big = files.filter((f) => f.size >= SPLIT_BYTES && this.clients.length > 1);
    const small = files.filter((f) => !big.includes(f));
    // The others: shared queues (batches of small fresh files, other small files, bigger ones),
    // each client taking the next free one, several at a time.
    const local = new LocalIndex();
    const fresh = new Set(await batchable(small, this.#downloadDir, local));
    const batches = { items: batchesOf([...fresh]), next: 0 };
    const batchWork = this.clients.map((client) =>
      inParallel(Array.from({ length: BATCHES_IN_FLIGHT }), BATCHES_IN_FLIGHT, async () => {
        while (batches.next < batches.items.length) {
          const batch = batches.items[batches.next++];
          await downloadBatch(client.session, batch, this.#downloadDir, local, progress);
        }
      })
    );
    const queues = [
      {
        files: small.filter((f) => f.size <= SMALL_FILE_BYTES && !fresh.has(f)),
        next: 0,
        perClient: FILES_IN_FLIGHT.small,
      },
      {
        files: small.filter((f) => f.size > SMALL_FILE_BYTES && !fresh.has(f)),
        next: 0,
        perClient: FILES_IN_FLIGHT.big,
      },
    ];
    await Promise.all([
      ...batchWork,
      ...this.clients.flatMap((client) =>
        queues.map((queue) =>
          inParallel(
            Array.from({ length: options.concurrency ?? queue.perClient }),
            options.concurrency ?? queue.perClient,
            async () => {
              while (queue.next < queue.files.length) {
                const file = queue.files[queue.next++];
                await downloadOne(client.session, file, this.#downloadDir, progress, local);
              }
            },
          )
        )
      ),
    ]);
    // Big files: one at a time, each cut into a range per client.
    for (const file of big) {
      const moved = await this.#downloadSplit(file, (n) => progress.bytes(file.source, n));
      progress.fileDone(file.source, moved);
    }
    return progress.summary();
  }

  /** Upload local files into `folder`, spread over the clients (one file per client at a time). */
  async upload(
    paths: string[],
    options: TransferOptions & { folder?: string } = {},
  ): Promise<TransferSummary> {
    const files = await uploadsOf(paths, options.folder ?? "");
    const progress = tracker(files.map((f) => [f.remote, f.info.size]), options.onProgress);
    let next = 0;
    await Promise.all(this.clients.map(async (client) => {
      while (next < files.length) {
        const { path, remote, info } = files[next++];
        const moved = await uploadOne(
          client.session,
          path,
          remote,
          info,
          (n) => progress.bytes(remote, n),
        );
        progress.fileDone(remote, moved);
      }
    }));
    return progress.summary();
  }

  /**
   * Run the generator `name` on every client's handler — with `args(index, count)`, so that each
   * can read its own share (a channel, a shard) — and read the items of all of them as one
   * stream in ident order. Each generator's idents must increase; the merge holds one item per
   * client and reads each only as fast as the loop does. Leaving the loop stops every generator.
   */
  stream(
    name: string,
    args: (index: number, count: number) => unknown[],
  ): AsyncGenerator<[number, unknown, number]> {
    const count = this.clients.length;
    return mergeByIdent(
      this.clients.map((client, k) => client.stream(name, args(k, count))),
    );
  }

  /** Close every client (their handlers go back to the pool). */
  async close(): Promise<void> {
    await Promise.all(this.clients.map((client) => client.closeHandler()));
  }

  /** `await using swarm = await ctl.swarm(4)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** One big file, each client reading a range of it into one partial file. */
  async #downloadSplit(file: RemoteFile, onBytes: (n: number) => void): Promise<boolean> {
    const first = this.clients[0].session;
    // The gateway hashes the file while the ranges come (its hash is needed only at the end),
    // unless a file of that size is here already and may be identical.
    const hashing = first.request(FileOp.Hash, [file.source, null]) as Promise<string>;
    hashing.catch(() => {}); // awaited below; a failure of the ranges must not leave it unheard
    const dest = localPath(this.#downloadDir, file.local);
    const here = await fileSize(dest);
    if (here === file.size && await sha256Of(dest, file.size) === await hashing) return false;
    const { partial } = partialsOf(dest);
    await Deno.mkdir(dest.slice(0, dest.lastIndexOf("/")) || ".", { recursive: true });
    const out = await Deno.open(partial, { write: true, create: true, truncate: true });
    await out.truncate(file.size);
    out.close();
    const share = Math.ceil(file.size / this.clients.length);
    await Promise.all(this.clients.map(async (client, k) => {
      const start = k * share;
      const length = Math.min(share, file.size - start);
      if (length <= 0) return;
      const range = await Deno.open(partial, { write: true });
      try {
        await range.seek(start, Deno.SeekMode.Start);
        await receiveInto(
          range,
          client.session.stream(FileOp.Read, [file.source, start, length], { window: 8 }),
          onBytes,
        );
      } finally {
        range.close();
      }
    }));
    await finishDownload(dest, file, await hashing);
    return true;
  }
}
