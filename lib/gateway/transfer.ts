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
import { BadArgument } from "../wire/errors.ts";
import { decodeValue } from "../wire/codec.ts";
import { FileOp } from "../wire/gateway_protocol.ts";
import type { Session } from "../net/session.ts";
import { CHUNK_BYTES, type ListedFile, partialsOf, sha256Of } from "./file_service.ts";
import { SharedFolder } from "./shared_folder.ts";

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
  /** Files in flight at once on the connection (default 8). */
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
  await inParallel(files, options.concurrency ?? 8, async (file) => {
    const moved = await downloadOne(session, file, destDir, (n) => progress.bytes(file.source, n));
    progress.fileDone(file.source, moved);
  });
  return progress.summary();
}

/**
 * Download one file into `destDir`: skipped if identical, resumed if a matching partial is
 * there. Resolves to whether bytes were moved (false: it was already identical).
 */
export async function downloadOne(
  session: Session,
  file: RemoteFile,
  destDir: string,
  onBytes: (n: number) => void,
): Promise<boolean> {
  const dest = localPath(destDir, file.local);
  const sha256 = await session.request(FileOp.Hash, [file.source, null]) as string;
  if (await localHashIs(dest, file.size, sha256)) return false;
  const { partial } = partialsOf(dest);
  let offset = await sizeOf(partial) ?? 0;
  if (offset > 0) {
    // Go on from what is there only if it is the start of this very file.
    const remote = offset <= file.size
      ? await session.request(FileOp.Hash, [file.source, offset]) as string
      : "";
    if (remote !== await sha256Of(partial, offset)) offset = 0;
  }
  await Deno.mkdir(dirOf(partial), { recursive: true });
  const out = await Deno.open(partial, { write: true, create: true, truncate: offset === 0 });
  try {
    await out.truncate(offset);
    await out.seek(offset, Deno.SeekMode.Start);
    const chunks = session.stream(FileOp.Read, [file.source, offset, null], { window: 8 });
    for await (const chunk of chunks) {
      const bytes = chunk as Uint8Array;
      let written = 0;
      while (written < bytes.length) written += await out.write(bytes.subarray(written));
      onBytes(bytes.length);
    }
  } finally {
    out.close();
  }
  await finishDownload(dest, file, sha256);
  return true;
}

/** Check a downloaded partial against the source's hash and make it the file. */
export async function finishDownload(
  dest: string,
  file: RemoteFile,
  sha256: string,
): Promise<void> {
  const { partial } = partialsOf(dest);
  if (await sha256Of(partial, Infinity) !== sha256) {
    await Deno.remove(partial).catch(() => {});
    throw new BadArgument(
      `'${file.source}' arrived with another checksum than the gateway's (did it change meanwhile?); ` +
        `the partial file was removed`,
    );
  }
  await Deno.chmod(partial, file.mode & 0o7777);
  const mtime = new Date(file.mtimeMs);
  await Deno.utime(partial, mtime, mtime);
  await Deno.rename(partial, dest);
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
  const prefix = SharedFolder.segments(folder).join("/");
  const files = await Promise.all(paths.map(async (path) => {
    const info = await Deno.stat(path);
    if (!info.isFile) throw new BadArgument(`${path} is not a file`);
    const name = basename(path);
    return { path, remote: prefix ? `${prefix}/${name}` : name, info };
  }));
  const progress = tracker(files.map((f) => [f.remote, f.info.size]), options.onProgress);
  await inParallel(files, options.concurrency ?? 8, async ({ path, remote, info }) => {
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

async function localHashIs(path: string, size: number, sha256: string): Promise<boolean> {
  return await sizeOf(path) === size && await sha256Of(path, size) === sha256;
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    const info = await Deno.stat(path);
    return info.isFile ? info.size : undefined;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

function dirOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash <= 0 ? "." : path.slice(0, slash);
}
