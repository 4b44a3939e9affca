/**
 * The gateway's file operations on its shared folder (`--root`), on the main thread (file I/O
 * is asynchronous; no Worker hop is needed): list a folder, stat and hash files, read byte
 * ranges as a stream, and take uploads that can be resumed.
 *
 * An upload is written to a hidden partial file beside its target (`.NAME.typenet-partial`, with
 * what it should become in `.NAME.typenet-partial.json`), appended to in order, and renamed over
 * the target only once its SHA-256 matches — with its mtime and mode set — so an interrupted
 * transfer never leaves a file that looks whole, and the next attempt goes on where it stopped.
 *
 * @example
 * ```ts
 * import { FileService } from "./file_service.ts";
 * import { SharedFolder } from "./shared_folder.ts";
 * const files = new FileService(await SharedFolder.open("./shared-files"));
 * // Server.listen({ handlers: mergeHandlers(files.handlers, …) })
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import { argBytes, argCount, argInt, argString } from "../wire/args.ts";
import { encodeValue } from "../wire/codec.ts";
import { BadArgument, LimitExceeded, NotFound, Unavailable } from "../wire/errors.ts";
import { FileOp } from "../wire/gateway_protocol.ts";
import { defineHandlers, type Handlers } from "../net/handlers.ts";
import { writeAll } from "../net/write_all.ts";
import type { SharedFolder } from "./shared_folder.ts";

/** Bytes per chunk of a read stream (less if the reader's frame limit is small). */
export const CHUNK_BYTES = 1024 * 1024;
/** The most entries one listing returns. */
export const MAX_LISTED = 100_000;
/** Suffix of the hidden file an upload is written to until it is whole. */
export const PARTIAL_SUFFIX = ".typenet-partial";

/** Paths one `gw.files.readMany` may name. */
export const READ_MANY_PATHS = 1024;

/** Files a `gw.files.readMany` reads ahead of what it has sent. */
const READ_MANY_AHEAD = 16;

/** The largest file `gw.files.readMany` sends (bigger ones are read on their own). */
export const READ_MANY_FILE_BYTES = 256 * 1024;

/** One file of a listing: its path relative to the folder listed, size, mtime and mode. */
export type ListedFile = [path: string, size: number, mtimeMs: number, mode: number];

/** What an upload should become. */
interface Expected {
  size: number;
  mtimeMs: number;
  mode: number;
  sha256: string;
}

/** See the module docs. */
export class FileService {
  /** The operations, ready to merge into a server's. */
  readonly handlers: Handlers;
  readonly #folder: SharedFolder;
  /** Per target path, the writes of its upload, one after another. */
  readonly #uploads = new Map<string, Promise<unknown>>();

  /** File operations on `folder`. */
  constructor(folder: SharedFolder) {
    this.#folder = folder;
    this.handlers = defineHandlers({
      requests: {
        [FileOp.List]: async (args) => {
          argCount(args, 1, FileOp.List);
          return encodeValue(await this.#list(argString(args, 0, "folder", 4096, true)));
        },
        [FileOp.Stat]: async (args) => {
          argCount(args, 1, FileOp.Stat);
          const real = await this.#file(argString(args, 0, "path", 4096));
          const info = await Deno.stat(real);
          return { size: info.size, mtimeMs: info.mtime?.getTime() ?? 0, mode: info.mode ?? 0o644 };
        },
        [FileOp.Hash]: async (args) => {
          argCount(args, 2, FileOp.Hash);
          const real = await this.#file(argString(args, 0, "path", 4096));
          const length = args[1] === null ? Infinity : argInt(args, 1, "length", 0);
          return await sha256Of(real, length);
        },
        [FileOp.Put]: (args) => this.#put(args),
        [FileOp.Write]: (args) => this.#write(args),
        [FileOp.Commit]: (args) => this.#commit(args),
      },
      streams: {
        [FileOp.Read]: (args, call) => {
          if (args.length !== 3 && args.length !== 4) {
            throw new BadArgument(`${FileOp.Read} takes 3 or 4 arguments, got ${args.length}`);
          }
          const path = argString(args, 0, "path", 4096);
          const offset = argInt(args, 1, "offset", 0);
          const length = args[2] === null ? Infinity : argInt(args, 2, "length", 0);
          const withSha256 = args[3] === true;
          if (withSha256 && (offset !== 0 || length !== Infinity)) {
            throw new BadArgument(
              "a read with its SHA-256 reads a whole file (offset 0, length nil)",
            );
          }
          const chunk = Math.min(CHUNK_BYTES, Math.floor(call.session.peerMaxFrameBytes / 2));
          return this.#read(path, offset, length, chunk, withSha256);
        },
        [FileOp.ReadMany]: (args) => {
          argCount(args, 1, FileOp.ReadMany);
          const paths = args[0];
          if (
            !Array.isArray(paths) || paths.length > READ_MANY_PATHS ||
            !paths.every((path) => typeof path === "string" && path.length <= 4096)
          ) {
            throw new BadArgument(
              `${FileOp.ReadMany} takes an array of at most ${READ_MANY_PATHS} paths`,
            );
          }
          return this.#readMany(paths as string[]);
        },
      },
    });
  }

  /** Every file under `folder` (recursively), links followed only where they stay inside. */
  async #list(folder: string): Promise<ListedFile[]> {
    const base = await this.#folder.resolveExisting(folder);
    if (!(await Deno.stat(base)).isDirectory) throw new BadArgument(`'${folder}' is not a folder`);
    const found: ListedFile[] = [];
    const walk = async (dir: string, prefix: string): Promise<void> => {
      for await (const entry of Deno.readDir(dir)) {
        if (entry.name.includes(PARTIAL_SUFFIX)) continue;
        const path = `${dir}/${entry.name}`;
        const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
        let real = path;
        if (entry.isSymlink) {
          try {
            real = await this.#folder.resolveExisting(this.#folder.relative(path));
          } catch {
            continue; // a link that leads out (or nowhere) is not shared
          }
        }
        const info = await Deno.stat(real);
        if (info.isDirectory) {
          if (!entry.isSymlink) await walk(real, relative);
          continue;
        }
        if (!info.isFile) continue;
        if (found.length >= MAX_LISTED) {
          throw new LimitExceeded(
            `'${folder}' holds more than ${MAX_LISTED} files; list a subfolder`,
          );
        }
        found.push([relative, info.size, info.mtime?.getTime() ?? 0, info.mode ?? 0o644]);
      }
    };
    await walk(base, "");
    return found.sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
  }

  /** An existing regular file's real path. */
  async #file(path: string): Promise<string> {
    return (await this.#fileInfo(path)).real;
  }

  /** An existing regular file's real path and what `stat` says of it. */
  async #fileInfo(path: string): Promise<{ real: string; info: Deno.FileInfo }> {
    const real = await this.#folder.resolveExisting(path);
    const info = await Deno.stat(real);
    if (!info.isFile) throw new BadArgument(`'${path}' is not a file`);
    return { real, info };
  }

  /**
   * Bytes `offset…offset+length` of `path`, as chunks; with `withSha256`, then the SHA-256 of
   * everything sent, hashed as it was read (one pass over the file, not two). The file must not
   * change meanwhile: its size and mtime are compared before and after.
   */
  async *#read(path: string, offset: number, length: number, chunk: number, withSha256: boolean) {
    const { real, info: before } = await this.#fileInfo(path);
    const hash = withSha256 ? createHash("sha256") : undefined;
    const file = await Deno.open(real, { read: true });
    try {
      if (offset > 0) await file.seek(offset, Deno.SeekMode.Start);
      // One buffer for the whole read, no bigger than the file: the session encodes (copies)
      // each chunk as soon as it is yielded, before asking for the next.
      const buffer = new Uint8Array(
        Math.max(1, Math.min(chunk, length, before.size - Math.min(offset, before.size))),
      );
      let left = length;
      let sent = 0;
      while (left > 0) {
        const target = buffer.subarray(0, Math.min(buffer.length, left));
        let filled = 0;
        while (filled < target.length) {
          const n = await file.read(target.subarray(filled));
          if (n === null) break;
          filled += n;
        }
        if (filled === 0) break;
        const bytes = target.subarray(0, filled);
        hash?.update(bytes);
        yield bytes;
        left -= filled;
        sent += filled;
        // A whole-file read stops at the size it began with (a change shows in the check below).
        if (filled < target.length || (hash && sent >= before.size)) break;
      }
    } finally {
      file.close();
    }
    if (hash) {
      const after = await Deno.stat(real);
      if (after.size !== before.size || after.mtime?.getTime() !== before.mtime?.getTime()) {
        throw new Unavailable(`'${path}' changed while it was being read; read it again`);
      }
      yield hash.digest("hex");
    }
  }

  /**
   * Many small files, each whole with its SHA-256, as `[index, bytes, sha256]`; a path that is
   * not a regular file of at most {@link READ_MANY_FILE_BYTES} — or that changed while read —
   * gets `[index, nil, nil]` (read it on its own, which says what is wrong with it).
   */
  async *#readMany(paths: string[]) {
    // A few files are read at once (each read is several waits on the file system), and sent
    // in order: at most READ_MANY_AHEAD files' bytes are held beyond what was sent.
    const read = (path: string) => this.#readSmall(path).catch(() => undefined);
    const ahead: Promise<Uint8Array | undefined>[] = [];
    let next = 0;
    for (let index = 0; index < paths.length; index++) {
      while (next < paths.length && ahead.length < READ_MANY_AHEAD) ahead.push(read(paths[next++]));
      const bytes = await ahead.shift();
      yield bytes
        ? [index, bytes, createHash("sha256").update(bytes).digest("hex")]
        : [index, null, null];
    }
  }

  /** A whole small file, or undefined if it is not one (or changed while read). */
  async #readSmall(path: string): Promise<Uint8Array | undefined> {
    const real = await this.#folder.resolveExisting(path);
    const file = await Deno.open(real, { read: true });
    try {
      const info = await file.stat();
      if (!info.isFile || info.size > READ_MANY_FILE_BYTES) return undefined;
      // What stat said, no more: a file that grows meanwhile is never read past it (and the
      // client, which compares with the listing's size, reads a changed file on its own).
      const buffer = new Uint8Array(info.size);
      let filled = 0;
      while (filled < buffer.length) {
        const n = await file.read(buffer.subarray(filled));
        if (n === null) break;
        filled += n;
      }
      return filled === info.size ? buffer : undefined;
    } finally {
      file.close();
    }
  }

  /**
   * `[path, size, mtimeMs, mode, sha256, restart]` → `{ done, have, haveSha256 }`: done if the
   * target is already identical; otherwise how many bytes of a matching partial are there (and
   * their hash, for the client to check), or 0 with a fresh partial (always, with `restart`).
   */
  async #put(args: unknown[]) {
    argCount(args, 6, FileOp.Put);
    const path = argString(args, 0, "path", 4096);
    const expected: Expected = {
      size: argInt(args, 1, "size", 0),
      mtimeMs: argInt(args, 2, "mtime", 0),
      mode: argInt(args, 3, "mode", 0),
      sha256: argString(args, 4, "sha256", 64),
    };
    if (!/^[0-9a-f]{64}$/.test(expected.sha256)) {
      throw new BadArgument("sha256 must be 64 hex digits");
    }
    const restart = args[5] === true;
    const target = await this.#folder.resolveForWrite(path);
    const { partial, sidecar } = partialsOf(target);
    if (!restart && await sameFile(target, expected)) return { done: true, have: expected.size };
    if (!restart) {
      const promised = await readJson(sidecar);
      const partialSize = await fileSize(partial);
      if (
        promised && promised.size === expected.size && promised.sha256 === expected.sha256 &&
        partialSize !== undefined && partialSize <= expected.size
      ) {
        await Deno.writeTextFile(sidecar, JSON.stringify(expected));
        return { done: false, have: partialSize, haveSha256: await sha256Of(partial, partialSize) };
      }
    }
    await Deno.writeFile(partial, new Uint8Array(0));
    await Deno.writeTextFile(sidecar, JSON.stringify(expected));
    return { done: false, have: 0, haveSha256: await sha256Of(partial, 0) };
  }

  /** `[path, offset, bytes]`: append to the partial (writes of one path, in order). */
  #write(args: unknown[]): Promise<unknown> {
    argCount(args, 3, FileOp.Write);
    const path = argString(args, 0, "path", 4096);
    const offset = argInt(args, 1, "offset", 0);
    const bytes = argBytes(args, 2, "bytes").slice();
    return this.#inOrder(path, async () => {
      const { partial, sidecar } = partialsOf(await this.#folder.resolveForWrite(path));
      const expected = await readJson(sidecar);
      if (!expected) throw new NotFound(`no upload of '${path}' in progress (start it with put)`);
      const have = await fileSize(partial) ?? 0;
      if (offset !== have) {
        throw new BadArgument(
          `'${path}' has ${have} bytes; a write must go on from there, not ${offset}`,
        );
      }
      if (have + bytes.length > expected.size) {
        throw new BadArgument(`'${path}' would grow past its announced ${expected.size} bytes`);
      }
      const file = await Deno.open(partial, { append: true });
      try {
        await writeAll(file, bytes);
      } finally {
        file.close();
      }
      return null;
    });
  }

  /** `[path]`: check the partial against its hash, then make it the file (mtime and mode kept). */
  #commit(args: unknown[]): Promise<unknown> {
    argCount(args, 1, FileOp.Commit);
    const path = argString(args, 0, "path", 4096);
    return this.#inOrder(path, async () => {
      const target = await this.#folder.resolveForWrite(path);
      const { partial, sidecar } = partialsOf(target);
      const expected = await readJson(sidecar);
      if (!expected) throw new NotFound(`no upload of '${path}' in progress`);
      const size = await fileSize(partial) ?? -1;
      const sha256 = size === expected.size ? await sha256Of(partial, size) : "";
      if (sha256 !== expected.sha256) {
        await Deno.remove(partial).catch(() => {});
        await Deno.remove(sidecar).catch(() => {});
        throw new BadArgument(
          `'${path}' arrived with ${size} bytes and another checksum than announced; ` +
            `the partial file was removed (send it again)`,
        );
      }
      await Deno.chmod(partial, expected.mode & 0o7777);
      const mtime = new Date(expected.mtimeMs);
      await Deno.utime(partial, mtime, mtime);
      await Deno.rename(partial, target);
      await Deno.remove(sidecar).catch(() => {});
      return null;
    });
  }

  /** Run `work` after every earlier write or commit of `path` has finished. */
  #inOrder(path: string, work: () => Promise<unknown>): Promise<unknown> {
    const before = this.#uploads.get(path) ?? Promise.resolve();
    const mine = before.catch(() => {}).then(work);
    const tail = mine.catch(() => {});
    this.#uploads.set(path, tail);
    tail.then(() => {
      if (this.#uploads.get(path) === tail) this.#uploads.delete(path);
    });
    return mine;
  }
}

/** The hidden partial file and its sidecar, beside `target`. */
export function partialsOf(target: string): { partial: string; sidecar: string } {
  const slash = target.lastIndexOf("/");
  const partial = `${target.slice(0, slash + 1)}.${target.slice(slash + 1)}${PARTIAL_SUFFIX}`;
  return { partial, sidecar: `${partial}.json` };
}

/**
 * The SHA-256 (hex) of the first `length` bytes of the file at `path` (all of it for Infinity).
 *
 * @example
 * ```ts
 * import { sha256Of } from "./file_service.ts";
 * await sha256Of("/etc/hostname", Infinity);
 * ```
 */
export async function sha256Of(path: string, length: number): Promise<string> {
  const hash = createHash("sha256");
  const file = await Deno.open(path, { read: true });
  try {
    const buffer = new Uint8Array(CHUNK_BYTES);
    let left = length;
    while (left > 0) {
      const n = await file.read(buffer.subarray(0, Math.min(buffer.length, left)));
      if (n === null) break;
      hash.update(buffer.subarray(0, n));
      left -= n;
    }
  } finally {
    file.close();
  }
  return hash.digest("hex");
}

async function sameFile(path: string, expected: Expected): Promise<boolean> {
  const size = await fileSize(path);
  return size === expected.size && await sha256Of(path, size) === expected.sha256;
}

/**
 * The size of the regular file at `path`, or undefined if there is none.
 *
 * @example
 * ```ts
 * import { fileSize } from "./file_service.ts";
 * await fileSize("/etc/hostname"); // e.g. 9
 * ```
 */
export async function fileSize(path: string): Promise<number | undefined> {
  try {
    const info = await Deno.stat(path);
    return info.isFile ? info.size : undefined;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

async function readJson(path: string): Promise<Expected | undefined> {
  try {
    const value = JSON.parse(await Deno.readTextFile(path));
    return typeof value?.size === "number" && typeof value?.sha256 === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}
