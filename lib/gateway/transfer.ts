/**
 * Moving files between a gateway's shared folder and this machine, over one connection, the way
 * rsync users expect: a file already identical (same size and SHA-256) is skipped; a transfer
 * that was interrupted goes on from the bytes already there once their hash matches the source's;
 * a file is written under a hidden partial name and renamed into place, with the source's mtime
 * and mode, only once its SHA-256 matches — so an interrupted transfer never leaves a file that
 * looks whole. Several files move at once on the one connection.
 *
 * @example
 * ```ts
 * import { downloadFiles } from "./transfer.ts";
 * // const summary = await downloadFiles(session, { folder: "logs", regex: "\\.log$" }, "./mydir");
 * ```
 * @module
 */
import { basename } from "node:path";
import { createHash } from "node:crypto";
import { BadArgument, ProtocolError } from "../wire/errors.ts";
import { decodeValue } from "../wire/codec.ts";
import { FileOp } from "../wire/gateway_protocol.ts";
import type { Session } from "../net/session.ts";
import { CHUNK_BYTES, type ListedFile, partialsOf, sha256Of } from "./file_service.ts";
import { SharedFolder } from "./shared_folder.ts";
import { LocalIndex } from "./local_index.ts";
import { writeAll } from "../net/write_all.ts";
import { batchable, BATCHES_IN_FLIGHT, batchesOf, downloadBatch } from "./batch_download.ts";

/** Which files to download: a folder (all of it, or the paths under it a regex matches), or paths. */
export type DownloadSpec = { folder: string; regex?: string | RegExp } | { paths: string[] };

/** Where a transfer stands, told after each chunk and each file. */
export interface Progress {
  /** The file being moved (its path on the gateway). */
  file: string;
  /** Bytes moved so far, in all. */
  bytes: number;
  /** Bytes to move, in all. */
  totalBytes: number;
  /** Files done (moved or skipped). */
  files: number;
  /** Files in all. */
  totalFiles: number;
}

/** What a transfer did. */
export interface TransferSummary {
  /** Files moved. */
  moved: number;
  /** Files skipped because they were already identical. */
  skipped: number;
  /** Bytes moved (resumed bytes not counted). */
  bytes: number;
}

/** Options of a transfer. */
export interface TransferOptions {
  /** Told as the transfer goes. */
  onProgress?: (progress: Progress) => void;
  /**
   * Files in flight at once on a connection (default: 32 of those up to 256 KiB, whose cost
   * is round trips and file operations, and 4 bigger ones).
   */
  concurrency?: number;
}

/** A file to download: where it is on the gateway, where it goes here, what it is. */
export interface RemoteFile {
  source: string;
  local: string;
  size: number;
  mtimeMs: number;
  mode: number;
}

/**
 * The files `spec` names, with where each goes under the download folder: a folder's files keep
 * their path under that folder; named paths keep their own.
 *
 * @example
 * ```ts
 * import { remoteFiles } from "./transfer.ts";
 * // await remoteFiles(session, { folder: "logs", regex: "\\.log$" });
 * ```
 */
export async function remoteFiles(session: Session, spec: DownloadSpec): Promise<RemoteFile[]> {
  if ("paths" in spec) {
    return await Promise.all(spec.paths.map(async (path) => {
      const info = await session.request(FileOp.Stat, [path]) as {
        size: number;
        mtimeMs: number;
        mode: number;
      };
      return { source: path, local: path, ...info };
    }));
  }
  const listed = decodeValue(
    await session.request(FileOp.List, [spec.folder]) as Uint8Array,
  ) as ListedFile[];
  // The regex runs here, not on the gateway: a client's pattern never costs the gateway time.
  const pattern = spec.regex === undefined
    ? undefined
    : spec.regex instanceof RegExp
    ? spec.regex
    : new RegExp(spec.regex);
  const prefix = SharedFolder.segments(spec.folder).join("/");
  return listed
    .filter(([path]) => !pattern || pattern.test(path))
    .map(([path, size, mtimeMs, mode]) => ({
      source: prefix ? `${prefix}/${path}` : path,
      local: path,
      size,
      mtimeMs,
      mode,
    }));
}

/**
 * Download the files `spec` names into `destDir` (keeping their relative paths).
 *
 * @example
 * ```ts
 * import { downloadFiles } from "./transfer.ts";
 * // await downloadFiles(session, { paths: ["logs/app.log"] }, "./backup");
 * ```
 */
export async function downloadFiles(
  session: Session,
  spec: DownloadSpec,
  destDir: string,
  options: TransferOptions = {},
): Promise<TransferSummary> {
  const files = await remoteFiles(session, spec);
  const progress = tracker(files.map((f) => [f.source, f.size]), options.onProgress);
  const local = new LocalIndex();
  // Small files with nothing here to compare or resume come by the batch; the rest one by one.
  const fresh = new Set(await batchable(files, destDir, local));
  await Promise.all([
    inParallel(
      batchesOf([...fresh]),
      BATCHES_IN_FLIGHT,
      (batch) => downloadBatch(session, batch, destDir, local, progress),
    ),
    eachFile(
      files.filter((file) => !fresh.has(file)),
      (file) => file.size,
      options.concurrency,
      (file) => downloadOne(session, file, destDir, progress, local),
    ),
  ]);
  return progress.summary();
}

/**
 * Download one file into `destDir`: skipped if identical, resumed if a matching partial is
 * there; counted in `progress` (moved, or skipped as identical). `local` is what the transfer
 * knows of its local folders (shared by its files).
 */
export async function downloadOne(
  session: Session,
  file: RemoteFile,
  destDir: string,
  progress: Tracker,
  local: LocalIndex = new LocalIndex(),
): Promise<void> {
  const moved = await fetchFile(
    session,
    file,
    destDir,
    (n) => progress.bytes(file.source, n),
    local,
  );
  progress.fileDone(file.source, moved);
}

/** {@link downloadOne}'s work; resolves to whether bytes were moved. */
async function fetchFile(
  session: Session,
  file: RemoteFile,
  destDir: string,
  onBytes: (n: number) => void,
  local: LocalIndex,
): Promise<boolean> {
  const dest = localPath(destDir, file.local);
  const { partial } = partialsOf(dest);
  const [destSize, partialSize] = await Promise.all([local.sizeOf(dest), local.sizeOf(partial)]);
  await local.makeFolder(dirOf(partial));
  if (destSize !== file.size && !partialSize) {
    // Nothing here to compare or go on from: one pass, the gateway's checksum at the end.
    await fetchWhole(session, file, partial, onBytes);
  } else {
    const sha256 = await session.request(FileOp.Hash, [file.source, null]) as string;
    if (destSize === file.size && await sha256Of(dest, file.size) === sha256) return false;
    await fetchRest(session, file, partial, partialSize ?? 0, onBytes);
    await checkPartial(partial, file, sha256, await sha256Of(partial, Infinity));
  }
  await placeFile(partial, dest, file);
  return true;
}

/** Read all of `file` into `partial`, hashing as it arrives; checked against the gateway's. */
async function fetchWhole(
  session: Session,
  file: RemoteFile,
  partial: string,
  onBytes: (n: number) => void,
): Promise<void> {
  const hash = createHash("sha256");
  let theirs: string | undefined;
  // Opened at the first chunk, unless the file comes whole in one (then one write does it).
  let out: Deno.FsFile | undefined;
  let held: Uint8Array | undefined;
  try {
    const items = session.stream(FileOp.Read, [file.source, 0, null, true], { window: 8 });
    for await (const item of items) {
      if (typeof item === "string") {
        theirs = item;
        break;
      }
      const bytes = item as Uint8Array;
      hash.update(bytes);
      onBytes(bytes.length);
      if (!out && !held && bytes.length === file.size) {
        held = bytes;
        continue;
      }
      out ??= await Deno.open(partial, { write: true, create: true, truncate: true });
      for (const piece of held ? [held, bytes] : [bytes]) await writeAll(out, piece);
      held = undefined;
    }
  } finally {
    out?.close();
  }
  if (!out) await Deno.writeFile(partial, held ?? new Uint8Array(0));
  if (theirs === undefined) {
    throw new ProtocolError(`the read of '${file.source}' ended without its SHA-256`);
  }
  await checkPartial(partial, file, theirs, hash.digest("hex"));
}

/** Append `file`'s bytes from `offset` (what `partial` holds already) to `partial`. */
async function fetchRest(
  session: Session,
  file: RemoteFile,
  partial: string,
  have: number,
  onBytes: (n: number) => void,
): Promise<void> {
  let offset = have;
  if (offset > 0) {
    // Go on from what is there only if it is the start of this very file.
    const remote = offset <= file.size
      ? await session.request(FileOp.Hash, [file.source, offset]) as string
      : "";
    if (remote !== await sha256Of(partial, offset)) offset = 0;
  }
  const out = await Deno.open(partial, { write: true, create: true, truncate: offset === 0 });
  try {
    await out.truncate(offset);
    await out.seek(offset, Deno.SeekMode.Start);
    await receiveInto(
      out,
      session.stream(FileOp.Read, [file.source, offset, null], { window: 8 }),
      onBytes,
    );
  } finally {
    out.close();
  }
}

/** Write each chunk of a `gw.files.read` stream to `out` in turn, telling `onBytes`. */
export async function receiveInto(
  out: Deno.FsFile,
  chunks: AsyncIterable<unknown>,
  onBytes: (n: number) => void,
): Promise<void> {
  for await (const chunk of chunks) {
    const bytes = chunk as Uint8Array;
    await writeAll(out, bytes);
    onBytes(bytes.length);
  }
}

/** A partial whose checksum is not the gateway's is removed, and the download fails. */
async function checkPartial(
  partial: string,
  file: RemoteFile,
  expected: string,
  actual: string,
): Promise<void> {
  if (actual === expected) return;
  await Deno.remove(partial).catch(() => {});
  throw new BadArgument(
    `'${file.source}' arrived with another checksum than the gateway's (did it change meanwhile?); ` +
      `the partial file was removed`,
  );
}

/**
 * A checked partial becomes the file: mode (unless `modeSet`: written with it), mtime, then the
 * rename.
 */
export async function placeFile(
  partial: string,
  dest: string,
  file: RemoteFile,
  modeSet = false,
): Promise<void> {
  if (!modeSet) await Deno.chmod(partial, file.mode & 0o7777);
  const mtime = new Date(file.mtimeMs);
  await Deno.utime(partial, mtime, mtime);
  await Deno.rename(partial, dest);
}

/** Check a downloaded partial against the source's hash and make it the file. */
export async function finishDownload(
  dest: string,
  file: RemoteFile,
  sha256: string,
): Promise<void> {
  const { partial } = partialsOf(dest);
  await checkPartial(partial, file, sha256, await sha256Of(partial, Infinity));
  await placeFile(partial, dest, file);
}

/** A local file to upload, and the path it gets on the gateway. */
export interface Upload {
  path: string;
  remote: string;
  info: Deno.FileInfo;
}

/** `paths` (local files) as uploads into `folder`, each under its own name. */
export async function uploadsOf(paths: string[], folder: string): Promise<Upload[]> {
  const prefix = SharedFolder.segments(folder).join("/");
  return await Promise.all(paths.map(async (path) => {
    const info = await Deno.stat(path);
    if (!info.isFile) throw new BadArgument(`${path} is not a file`);
    const name = basename(path);
    return { path, remote: prefix ? `${prefix}/${name}` : name, info };
  }));
}

/**
 * Upload local files into `folder` on the gateway (each under its own name).
 *
 * @example
 * ```ts
 * import { uploadFiles } from "./transfer.ts";
 * // await uploadFiles(session, ["a.txt", "b.bin"], "incoming");
 * ```
 */
export async function uploadFiles(
  session: Session,
  paths: string[],
  folder: string,
  options: TransferOptions = {},
): Promise<TransferSummary> {
  const files = await uploadsOf(paths, folder);
  const progress = tracker(files.map((f) => [f.remote, f.info.size]), options.onProgress);
  await eachFile(files, (file) => file.info.size, options.concurrency, async (file) => {
    const { path, remote, info } = file;
    const moved = await uploadOne(session, path, remote, info, (n) => progress.bytes(remote, n));
    progress.fileDone(remote, moved);
  });
  return progress.summary();
}

/** Upload one file; resolves to whether bytes were moved (false: already identical there). */
export async function uploadOne(
  session: Session,
  path: string,
  remote: string,
  info: Deno.FileInfo,
  onBytes: (n: number) => void,
): Promise<boolean> {
  const sha256 = await sha256Of(path, Infinity);
  const announce = (restart: boolean) =>
    session.request(FileOp.Put, [
      remote,
      info.size,
      Math.round(info.mtime?.getTime() ?? Date.now()),
      info.mode ?? 0o644,
      sha256,
      restart,
    ]) as Promise<{ done: boolean; have: number; haveSha256?: string }>;
  let answer = await announce(false);
  if (answer.done) return false;
  if (answer.have > 0 && answer.haveSha256 !== await sha256Of(path, answer.have)) {
    answer = await announce(true);
  }
  const file = await Deno.open(path, { read: true });
  try {
    await file.seek(answer.have, Deno.SeekMode.Start);
    let offset = answer.have;
    const inFlight: Promise<unknown>[] = [];
    while (offset < info.size) {
      const chunk = new Uint8Array(Math.min(CHUNK_BYTES, info.size - offset));
      let filled = 0;
      while (filled < chunk.length) {
        const n = await file.read(chunk.subarray(filled));
        if (n === null) break;
        filled += n;
      }
      if (filled === 0) break;
      const at = offset;
      inFlight.push(
        session.request(FileOp.Write, [remote, at, chunk.subarray(0, filled)]).then(() =>
          onBytes(filled)
        ),
      );
      offset += filled;
      // Keep a few chunks in flight (the gateway writes them in order), not the whole file.
      if (inFlight.length >= 8) await inFlight.shift();
    }
    await Promise.all(inFlight);
  } finally {
    file.close();
  }
  await session.request(FileOp.Commit, [remote]);
  return true;
}

/** Where a gateway's relative path goes under `destDir` (a hostile gateway cannot escape it). */
export function localPath(destDir: string, relative: string): string {
  const segments = SharedFolder.segments(relative);
  if (segments.length === 0) throw new BadArgument("an empty path cannot be downloaded");
  return [destDir.replace(/\/+$/, "") || ".", ...segments].join("/");
}

/** Files up to this size travel many at a time (they cost round trips, not bandwidth). */
export const SMALL_FILE_BYTES = 256 * 1024;

/** Files of each kind in flight at once on one connection, unless the caller says. */
export const FILES_IN_FLIGHT = { small: 32, big: 4 };

/**
 * Run `work` on each file: small ones (see {@link SMALL_FILE_BYTES}) and big ones side by side,
 * each at most `concurrency` (or {@link FILES_IN_FLIGHT}) at once.
 */
export async function eachFile<T>(
  files: T[],
  size: (file: T) => number,
  concurrency: number | undefined,
  work: (file: T) => Promise<void>,
): Promise<void> {
  const small = files.filter((file) => size(file) <= SMALL_FILE_BYTES);
  const big = files.filter((file) => size(file) > SMALL_FILE_BYTES);
  await Promise.all([
    inParallel(small, concurrency ?? FILES_IN_FLIGHT.small, work),
    inParallel(big, concurrency ?? FILES_IN_FLIGHT.big, work),
  ]);
}

/** Run `work` on each item, at most `limit` at once; the first failure fails it all. */
export async function inParallel<T>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** The counts of a transfer as it goes. */
export interface Tracker {
  /** `n` more bytes of `file` moved. */
  bytes(file: string, n: number): void;
  /** `file` is done: moved, or skipped as identical. */
  fileDone(file: string, moved: boolean): void;
  /** What the transfer did. */
  summary(): TransferSummary;
}

/** Keeps the counts of a transfer and tells `onProgress`. */
export function tracker(
  files: [name: string, size: number][],
  onProgress?: (progress: Progress) => void,
): Tracker {
  const totalBytes = files.reduce((sum, [, size]) => sum + size, 0);
  const state = { bytes: 0, files: 0, moved: 0, skipped: 0, moving: 0 };
  const tell = (file: string) =>
    onProgress?.({
      file,
      bytes: state.bytes,
      totalBytes,
      files: state.files,
      totalFiles: files.length,
    });
  return {
    bytes(file: string, n: number) {
      state.bytes += n;
      state.moving += n;
      tell(file);
    },
    fileDone(file: string, moved: boolean) {
      state.files++;
      if (moved) state.moved++;
      else state.skipped++;
      tell(file);
    },
    summary(): TransferSummary {
      return { moved: state.moved, skipped: state.skipped, bytes: state.moving };
    },
  };
}

/** The folder part of `path` ("." for a bare name). */
export function dirOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash <= 0 ? "." : path.slice(0, slash);
}
