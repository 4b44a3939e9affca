/**
 * A server's data directory (`typenet server … --data DIR`): a `FORMAT` file that says what the
 * directory is, a `lock` that one server at a time holds, and `log`, the record log
 * (record_log.ts) the server replays at start and appends to while it runs.
 *
 * Opening refuses, with an error that says why: a directory already used by another running
 * server, one written by a newer typenet, one that holds files but is not a typenet data
 * directory, and a log corrupted anywhere but at its very end. A torn tail — the end of the last
 * record cut short by a crash — is cut off and reported, as Redis does with
 * `aof-load-truncated yes`.
 *
 * @example
 * ```ts
 * import { openDataDir } from "./data_dir.ts";
 * const data = await openDataDir("/tmp/example-data", "everysec");
 * for (const record of data.records) console.log(record.length);
 * await data.close();
 * ```
 * @module
 */
import { type FsyncMode, readRecords, RecordLog, syncDirectory } from "./record_log.ts";

/**
 * A data directory that cannot be used: in use, foreign, newer, corrupt, or unreadable.
 *
 * @example
 * ```ts
 * import { DataDirError } from "./data_dir.ts";
 * new DataDirError("/var/lib/typenet is in use by another typenet server");
 * ```
 */
export class DataDirError extends Error {
  override name = "DataDirError";
}

/** The first line of `FORMAT`, and the format this release writes. */
export const FORMAT_NAME = "typenet-data";
export const FORMAT_VERSION = 1;

/** How long to wait for the lock before deciding another server holds it. */
const LOCK_WAIT_MS = 300;

/** An open data directory: what its log held, and the log to append to. */
export interface DataDir {
  readonly path: string;
  /** The records found at start, oldest first (views into the file's bytes). */
  readonly records: Uint8Array[];
  /** Bytes of a torn tail cut off at start (0 if none). */
  readonly tornBytes: number;
  /** Appends to the log. */
  readonly log: RecordLog;
  /** Flush and sync the log, release the lock. */
  close(): Promise<void>;
}

/**
 * Open (or make) the data directory at `path`, holding its lock until {@link DataDir.close}.
 *
 * @example
 * ```ts
 * import { openDataDir } from "./data_dir.ts";
 * const data = await openDataDir("/tmp/example-data", "always");
 * await data.close();
 * ```
 */
export async function openDataDir(path: string, fsync: FsyncMode): Promise<DataDir> {
  await Deno.mkdir(path, { recursive: true, mode: 0o700 });
  const lock = await Deno.open(`${path}/lock`, { create: true, write: true, mode: 0o600 });
  try {
    await lockOrRefuse(lock, path);
    const log = `${path}/log`;
    await checkFormat(path);
    // A compaction cut short by a crash: the log it was to replace is still whole.
    await Deno.remove(`${log}.compact`).catch(() => {});
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(log);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
      bytes = new Uint8Array(0);
    }
    let contents;
    try {
      contents = readRecords(bytes);
    } catch (error) {
      throw new DataDirError(`${log}: ${(error as Error).message}; refusing to start over it`);
    }
    if (contents.tornBytes > 0) await Deno.truncate(log, contents.goodBytes);
    const file = await Deno.open(log, { create: true, append: true, mode: 0o600 });
    if (bytes.length === 0) await syncDirectory(path);
    const recordLog = new RecordLog(file, fsync, contents.goodBytes);
    return {
      path,
      records: contents.records,
      tornBytes: contents.tornBytes,
      log: recordLog,
      async close() {
        await recordLog.close();
        lock.close();
      },
    };
  } catch (error) {
    lock.close();
    throw error instanceof DataDirError
      ? error
      : new DataDirError(`${path}: ${(error as Error).message ?? error}`);
  }
}

/** Take the directory's lock, or say that another server has it. */
async function lockOrRefuse(lock: Deno.FsFile, path: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const held = await Promise.race([
    lock.lock(true).then(() => false),
    new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(true), LOCK_WAIT_MS)),
  ]);
  clearTimeout(timer);
  if (held) {
    throw new DataDirError(
      `the data directory ${path} is in use by another typenet server (it holds ${path}/lock)`,
    );
  }
}

/**
 * A new directory gets a `FORMAT`; an existing one must have ours, of a version this release
 * reads. Files other than ours in a directory without `FORMAT` mean it is someone else's.
 */
async function checkFormat(path: string): Promise<void> {
  const formatFile = `${path}/FORMAT`;
  let text: string | undefined;
  try {
    text = await Deno.readTextFile(formatFile);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  if (text === undefined) {
    const others = [];
    for await (const entry of Deno.readDir(path)) {
      if (entry.name !== "lock") others.push(entry.name);
    }
    if (others.length > 0) {
      throw new DataDirError(
        `${path} is not a typenet data directory (it has no FORMAT file but holds ` +
          `${others.slice(0, 3).join(", ")}${others.length > 3 ? ", …" : ""}); ` +
          `give --data an empty or new directory`,
      );
    }
    await Deno.writeTextFile(`${formatFile}.tmp`, `${FORMAT_NAME} ${FORMAT_VERSION}\n`, {
      mode: 0o600,
    });
    const tmp = await Deno.open(`${formatFile}.tmp`, { write: true });
    await tmp.syncData();
    tmp.close();
    await Deno.rename(`${formatFile}.tmp`, formatFile);
    await syncDirectory(path);
    return;
  }
  const match = /^typenet-data (\d+)\n?$/.exec(text);
  if (!match) {
    throw new DataDirError(
      `${formatFile} does not describe a typenet data directory; refusing to use ${path}`,
    );
  }
  const version = Number(match[1]);
  if (version > FORMAT_VERSION) {
    throw new DataDirError(
      `${path} was written by a newer typenet (data format ${version}; this release reads ` +
        `${FORMAT_VERSION}); start that release instead`,
    );
  }
}
