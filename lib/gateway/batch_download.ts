/**
 * Small files by the batch: one `gw.files.readMany` stream carries up to 256 whole files with
 * their checksums, so a folder of many small files costs neither a round trip per file nor a
 * stream per file. Each arrives checked (SHA-256), is written under its hidden partial name in
 * one operation, then given its mode and mtime and renamed into place.
 *
 * @example
 * ```ts ignore
 * import { batchable, downloadBatch } from "./batch_download.ts";
 * const fresh = await batchable(files, destDir, local);
 * await downloadBatch(session, fresh.slice(0, 256), destDir, local, progress);
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import { BadArgument, ProtocolError } from "../wire/errors.ts";
import { FileOp } from "../wire/gateway_protocol.ts";
import type { Session } from "../net/session.ts";
import { partialsOf, READ_MANY_FILE_BYTES, READ_MANY_PATHS } from "./file_service.ts";
import type { LocalIndex } from "./local_index.ts";
import {
  dirOf,
  downloadOne,
  localPath,
  placeFile,
  type RemoteFile,
  type Tracker,
} from "./transfer.ts";

/** Files per `gw.files.readMany` stream. */
export const BATCH_FILES = 256;

/** Batches in flight at once on one connection. */
export const BATCHES_IN_FLIGHT = 2;

/** Files of a batch being written at once (each is a few file operations). */
const WRITES_IN_FLIGHT = 32;

/**
 * The files of `files` a batch can bring: small, with nothing here to compare or resume (no
 * file of that size, no partial).
 */
export async function batchable(
  files: RemoteFile[],
  destDir: string,
  local: LocalIndex,
): Promise<RemoteFile[]> {
  const fresh: RemoteFile[] = [];
  for (const file of files) {
    if (file.size > READ_MANY_FILE_BYTES) continue;
    const dest = localPath(destDir, file.local);
    if (await local.sizeOf(partialsOf(dest).partial) !== undefined) continue;
    if (await local.sizeOf(dest) === file.size) continue;
    fresh.push(file);
  }
  return fresh;
}

/** `files` cut into batches for `gw.files.readMany`. */
export function batchesOf(files: RemoteFile[]): RemoteFile[][] {
  const size = Math.min(BATCH_FILES, READ_MANY_PATHS);
  const batches: RemoteFile[][] = [];
  for (let k = 0; k < files.length; k += size) batches.push(files.slice(k, k + size));
  return batches;
}

/**
 * Download one batch of small files over `session`. A file the gateway sends no bytes for (it
 * changed, grew, or is not a plain file any more) is downloaded on its own, which says why if
 * it fails.
 */
export async function downloadBatch(
  session: Session,
  files: RemoteFile[],
  destDir: string,
  local: LocalIndex,
  progress: Tracker,
): Promise<void> {
  const alone: RemoteFile[] = [];
  const writing = new Set<Promise<void>>();
  let failure: unknown;
  const items = session.stream(FileOp.ReadMany, [files.map((file) => file.source)], {
    window: 16,
    grow: {
      maxWindow: BATCH_FILES,
      bytesAhead: 4 * 1024 * 1024,
      sizeOf: (item) => ((item as unknown[])[1] as Uint8Array | null)?.length ?? 0,
    },
  });
  for await (const item of items) {
    const [index, bytes, sha256] = item as [number, Uint8Array | null, string | null];
    const file = Number.isInteger(index) ? files[index] : undefined;
    if (!file) throw new ProtocolError(`the gateway answered for file ${index} of ${files.length}`);
    if (!(bytes instanceof Uint8Array) || bytes.length !== file.size) {
      alone.push(file);
      continue;
    }
    const task = place(file, bytes, sha256, destDir, local).then(
      () => {
        progress.bytes(file.source, bytes.length);
        progress.fileDone(file.source, true);
      },
      (error) => failure ??= error,
    ).finally(() => writing.delete(task));
    writing.add(task);
    if (writing.size >= WRITES_IN_FLIGHT) await Promise.race(writing);
    if (failure) break;
  }
  await Promise.all(writing);
  if (failure) throw failure;
  for (const file of alone) await downloadOne(session, file, destDir, progress, local);
}

async function place(
  file: RemoteFile,
  bytes: Uint8Array,
  sha256: string | null,
  destDir: string,
  local: LocalIndex,
): Promise<void> {
  if (createHash("sha256").update(bytes).digest("hex") !== sha256) {
    throw new BadArgument(
      `'${file.source}' arrived with another checksum than the gateway's; nothing was written`,
    );
  }
  const dest = localPath(destDir, file.local);
  const { partial } = partialsOf(dest);
  await local.makeFolder(dirOf(partial));
  // Deno applies `mode` exactly (umask aside): one operation fewer than a chmod after.
  await Deno.writeFile(partial, bytes, { mode: file.mode & 0o7777 });
  await placeFile(partial, dest, file, true);
}
