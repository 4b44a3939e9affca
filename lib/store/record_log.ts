/**
 * An append-only log of records, each `[length: u32 LE][crc32: u32 LE][payload]`, written with
 * group commit: records appended while a write (and, with `fsync: "always"`, its sync) is under
 * way are framed into one buffer and written together next, and {@link RecordLog.durable}
 * resolves once everything appended before it is as durable as the fsync mode promises — so a
 * server answers a write only after that.
 *
 * | fsync      | an append resolves after                    | a process crash loses | power loss loses |
 * | ---------- | ------------------------------------------- | --------------------- | ---------------- |
 * | `always`   | its batch is written and `fdatasync`ed       | nothing answered      | nothing answered |
 * | `everysec` | its batch is written (synced within ~1 s)    | nothing answered      | up to ~1 s       |
 * | `no`       | its batch is written (the OS syncs when it likes) | nothing answered | up to the OS's delay (~30 s) |
 *
 * Reading back ({@link readRecords}) tells a *torn tail* — the last record cut short by a crash
 * mid-write, or zeros where the file was extended but not written — which it reports so the
 * caller can cut it off, from corruption anywhere else, which is an error.
 *
 * @example
 * ```ts
 * import { RecordLog } from "./record_log.ts";
 * const file = await Deno.open("/tmp/example.log", { create: true, append: true });
 * const log = new RecordLog(file, "always");
 * log.append(new Uint8Array([1, 2, 3]));
 * await log.durable(); // written and synced
 * await log.close();
 * ```
 * @module
 */
import zlib from "node:zlib";

/** How hard {@link RecordLog.append} waits: Redis's `appendfsync` modes. */
export type FsyncMode = "always" | "everysec" | "no";

/** Bytes before each record's payload: its length and its CRC-32. */
export const RECORD_HEADER_BYTES = 8;

/** The largest payload one record may hold (a record is read back whole). */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;

/** How often `everysec` syncs. */
export const EVERYSEC_MS = 1000;

/** CRC-32 (IEEE) of `bytes`, native in node:zlib (~7 GB/s here). */
export function crc32(bytes: Uint8Array): number {
  return (zlib as unknown as { crc32(data: Uint8Array): number }).crc32(bytes);
}

/** See the module docs. */
export class RecordLog {
  readonly #fsync: FsyncMode;
  /** Records waiting for the next write, framed back to back, and where each starts. */
  #pending: Uint8Array = new Uint8Array(64 * 1024);
  #pendingBytes = 0;
  #starts: number[] = [];
  /** A buffer written before, kept for the next batch. */
  #spare: Uint8Array | undefined;
  /** The number the next record appended gets (the pending ones end just before it). */
  #nextSeq = 0;
  /** While compacting: records numbered from `from` on, copied as they are written. */
  #capture: { from: number; records: Uint8Array[] } | undefined;
  #file: Deno.FsFile;
  #waiters: { resolve(): void; reject(error: unknown): void }[] = [];
  #writing = false;
  #failed: unknown;
  #dirty = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** Bytes in the file (what was there when opened, plus what was written since). */
  size: number;

  /** A log appending to `file` (opened for append), `size` bytes long now. */
  constructor(file: Deno.FsFile, fsync: FsyncMode, size = 0) {
    this.#file = file;
    this.#fsync = fsync;
    this.size = size;
    if (fsync === "everysec") {
      this.#timer = setInterval(() => this.#syncSoon(), EVERYSEC_MS);
      Deno.unrefTimer(this.#timer);
    }
  }

  /**
   * Add a record, framed straight into the next batch: {@link durable} says when it is written
   * (and synced, with `always`). Records are written in the order they were appended. After a
   * write fails, nothing more is accepted: the log can no longer promise anything.
   */
  append(payload: Uint8Array): void {
    if (this.#failed !== undefined) throw this.#failed;
    if (payload.length > MAX_RECORD_BYTES) {
      throw new RangeError(`a record of ${payload.length} bytes is too big`);
    }
    const needed = this.#pendingBytes + RECORD_HEADER_BYTES + payload.length;
    if (needed > this.#pending.length) {
      const bigger = new Uint8Array(Math.max(needed, this.#pending.length * 2));
      bigger.set(this.#pending.subarray(0, this.#pendingBytes));
      this.#pending = bigger;
    }
    this.#starts.push(this.#pendingBytes);
    writeFrame(this.#pending, this.#pendingBytes, payload);
    this.#pendingBytes = needed;
    this.#nextSeq++;
    if (!this.#writing) this.#flush();
  }

  /** Resolves once everything appended so far is as durable as the mode promises. */
  durable(): Promise<void> {
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    if (!this.#writing) return Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /**
   * Replace the log with a shorter one that says the same: `snapshot` (records that rebuild the
   * state as it is now — take it and call this in the same turn) followed by every record
   * appended from now on. The snapshot is written to `tmpPath` beside the log while writes go on
   * to the old log; then, with writes held for a moment, the records written meanwhile are
   * copied after it, it is synced and renamed over `path`, the directory is synced, and writes
   * go on in the new file. A crash at any point leaves the old log or the new one, whole.
   */
  async compact(snapshot: Uint8Array[], path: string, tmpPath: string): Promise<void> {
    const capture = { from: this.#nextSeq, records: [] as Uint8Array[] };
    this.#capture = capture;
    const tmp = await Deno.open(tmpPath, {
      create: true,
      write: true,
      truncate: true,
      mode: 0o600,
    });
    let size = 0;
    try {
      const framed = snapshot.map(frame);
      for (const bytes of framed) {
        for (let at = 0; at < bytes.length;) at += await tmp.write(bytes.subarray(at));
        size += bytes.length;
      }
      // Hold writes: wait for the one under way, then keep the log to ourselves.
      while (this.#writing) await new Promise((resolve) => setTimeout(resolve, 1));
      this.#writing = true;
      try {
        for (const bytes of capture.records) {
          for (let at = 0; at < bytes.length;) at += await tmp.write(bytes.subarray(at));
          size += bytes.length;
        }
        await tmp.syncData();
        tmp.close();
        await Deno.rename(tmpPath, path);
        await syncDirectory(path.slice(0, path.lastIndexOf("/")) || ".");
        const old = this.#file;
        this.#file = await Deno.open(path, { append: true });
        old.close();
        this.size = size;
        this.#dirty = false;
      } finally {
        this.#writing = false;
        if (this.#pendingBytes > 0 || this.#waiters.length > 0) this.#flush();
      }
    } catch (error) {
      try {
        tmp.close();
      } catch {
        // Closed already.
      }
      await Deno.remove(tmpPath).catch(() => {});
      throw error;
    } finally {
      this.#capture = undefined;
    }
  }

  /** Write what is pending, sync it, and close the file. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.durable().catch(() => {});
    while (this.#writing) await new Promise((r) => setTimeout(r, 1));
    if (this.#dirty && this.#failed === undefined) await this.#file.syncData().catch(() => {});
    this.#file.close();
  }

  /** Group commit: write everything pending in one go, then answer all of it. */
  async #flush(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#pendingBytes > 0 || this.#waiters.length > 0) {
        // Take the batch; appends from now on go into the other buffer.
        const bytes = this.#pending.subarray(0, this.#pendingBytes);
        const starts = this.#starts;
        const firstSeq = this.#nextSeq - starts.length;
        const waiters = this.#waiters;
        this.#pending = this.#spare ?? new Uint8Array(64 * 1024);
        this.#spare = undefined;
        this.#pendingBytes = 0;
        this.#starts = [];
        this.#waiters = [];
        try {
          for (let at = 0; at < bytes.length;) at += await this.#file.write(bytes.subarray(at));
          this.size += bytes.length;
          const capture = this.#capture;
          for (let k = 0; capture && k < starts.length; k++) {
            if (firstSeq + k >= capture.from) {
              capture.records.push(bytes.slice(starts[k], starts[k + 1] ?? bytes.length));
            }
          }
          if (this.#fsync === "always") await this.#file.syncData();
          else this.#dirty = true;
        } catch (error) {
          this.#failed = error;
          for (const waiter of [...waiters, ...this.#waiters]) waiter.reject(error);
          this.#waiters = [];
          return;
        }
        // Written: its buffer takes the next batch after this one (a huge one is let go).
        if (bytes.buffer.byteLength <= 1024 * 1024) this.#spare = new Uint8Array(bytes.buffer);
        for (const waiter of waiters) waiter.resolve();
      }
    } finally {
      this.#writing = false;
    }
  }

  /** `everysec`: sync what was written since the last sync, off the write path. */
  #syncSoon(): void {
    if (!this.#dirty || this.#failed !== undefined) return;
    this.#dirty = false;
    this.#file.syncData().catch((error) => {
      this.#failed = error;
    });
  }
}

/** Write `payload` with its header (length and CRC-32) into `out` at `at`. */
function writeFrame(out: Uint8Array, at: number, payload: Uint8Array): void {
  const view = new DataView(out.buffer, out.byteOffset + at, RECORD_HEADER_BYTES);
  view.setUint32(0, payload.length, true);
  view.setUint32(4, crc32(payload), true);
  out.set(payload, at + RECORD_HEADER_BYTES);
}

/** A payload with its header. */
function frame(payload: Uint8Array): Uint8Array {
  const record = new Uint8Array(RECORD_HEADER_BYTES + payload.length);
  writeFrame(record, 0, payload);
  return record;
}

/**
 * Make a directory's entries (a new or renamed file) durable.
 *
 * @example
 * ```ts
 * import { syncDirectory } from "./record_log.ts";
 * await syncDirectory("/tmp");
 * ```
 */
export async function syncDirectory(path: string): Promise<void> {
  const dir = await Deno.open(path, { read: true });
  try {
    await dir.sync();
  } finally {
    dir.close();
  }
}

/** What {@link readRecords} found in a log file. */
export interface LogContents {
  /** The payloads of the good records, in order (views into the file's bytes). */
  records: Uint8Array[];
  /** Where the good records end: a torn tail starts here (equals the file's length if none). */
  goodBytes: number;
  /** Bytes after the good records that a crash left: cut them off (0 if none). */
  tornBytes: number;
}

/**
 * The records of a log file's bytes. A last record that runs past the end, or a tail of zeros,
 * is a torn tail (`tornBytes`). A record whose CRC does not match, with anything but zeros after
 * it, is corruption: `Error` naming its offset.
 *
 * @example
 * ```ts
 * import { readRecords } from "./record_log.ts";
 * readRecords(new Uint8Array(0)).records.length; // 0
 * ```
 */
export function readRecords(bytes: Uint8Array): LogContents {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: Uint8Array[] = [];
  let at = 0;
  while (at < bytes.length) {
    const torn = { records, goodBytes: at, tornBytes: bytes.length - at };
    if (bytes.length - at < RECORD_HEADER_BYTES) return torn;
    const length = view.getUint32(at, true);
    const end = at + RECORD_HEADER_BYTES + length;
    if (length === 0 && allZero(bytes, at)) return torn;
    if (end > bytes.length) {
      if (length > MAX_RECORD_BYTES && !allZero(bytes, at + 4)) {
        throw new Error(`the log is corrupt at byte ${at}: a record claims ${length} bytes`);
      }
      return torn;
    }
    const payload = bytes.subarray(at + RECORD_HEADER_BYTES, end);
    if (crc32(payload) !== view.getUint32(at + 4, true)) {
      // Cut short and then overwritten? Only if nothing but zeros follows; else it is damage.
      if (end === bytes.length || allZero(bytes, end)) return torn;
      throw new Error(`the log is corrupt at byte ${at}: a record's checksum does not match`);
    }
    records.push(payload);
    at = end;
  }
  return { records, goodBytes: at, tornBytes: 0 };
}

function allZero(bytes: Uint8Array, from: number): boolean {
  for (let i = from; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}
