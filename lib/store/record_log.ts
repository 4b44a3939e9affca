/**
 * An append-only log of records, each `[length: u32 LE][crc32: u32 LE][payload]`, written with
 * group commit: the records appended in one turn of the event loop — and, when a sync runs off
 * the loop (`always` on a slow disk), all those appended while it runs — are framed into one
 * buffer and written with one `write`, and {@link RecordLog.durable} resolves once everything
 * appended before it is as durable as the fsync mode promises — so a server answers a write only
 * after that.
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
import { writeAll } from "../net/write_all.ts";

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

/**
 * `always` syncs inline — blocking the event loop, as Redis does — while a sync takes less
 * than this; a slower disk (an SD card) is synced off the loop instead, so it never stalls
 * other clients, at the cost of a thread hop (~70 µs here) per batch.
 */
export const INLINE_SYNC_MS = 1;

/** Someone waiting for what was appended before it to be durable. */
interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

/** See the module docs. */
export class RecordLog {
  readonly #fsync: FsyncMode;
  /** Records waiting for the next write, framed back to back, and where each starts. */
  #pending: Uint8Array = new Uint8Array(64 * 1024);
  #pendingBytes = 0;
  #starts: number[] = [];
  /** The number the next record appended gets (the pending ones end just before it). */
  #nextSeq = 0;
  /** While compacting: records numbered from `from` on, copied as they are written. */
  #capture: { from: number; records: Uint8Array[] } | undefined;
  #file: Deno.FsFile;
  #waiters: Waiter[] = [];
  /** A flush is queued for the end of this turn. */
  #scheduled = false;
  /** A compaction is swapping files: writes wait. */
  #held = false;
  /** `always` on a slow disk: the sync under way off the loop (writes wait for it). */
  #syncing: Promise<void> | undefined;
  #slowDisk = false;
  readonly #inlineSyncMs: number;
  #failed: unknown;
  /** Written since the last sync. */
  #dirty = false;
  #timer: ReturnType<typeof setInterval> | undefined;
  /** Bytes in the file (what was there when opened, plus what was written since). */
  size: number;

  /**
   * A log appending to `file` (opened for append), `size` bytes long now; with `always`, syncs
   * taking over `inlineSyncMs` move off the event loop (0: every sync does).
   */
  constructor(file: Deno.FsFile, fsync: FsyncMode, size = 0, inlineSyncMs = INLINE_SYNC_MS) {
    this.#file = file;
    this.#fsync = fsync;
    this.size = size;
    this.#inlineSyncMs = inlineSyncMs;
    this.#slowDisk = inlineSyncMs <= 0;
    if (fsync === "everysec") {
      this.#timer = setInterval(() => this.#syncSoon(), EVERYSEC_MS);
      Deno.unrefTimer(this.#timer);
    }
  }

  /**
   * Add a record, framed straight into the batch that is written at the end of this turn:
   * {@link durable} says when it is written (and synced, with `always`). Records are written in
   * the order they were appended. After a write fails, nothing more is accepted: the log can no
   * longer promise anything.
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
    this.#schedule();
  }

  /**
   * Resolves (to `value`, if given) once everything appended so far is as durable as the mode
   * promises.
   */
  durable(): Promise<void>;
  durable<T>(value: T): Promise<T>;
  durable<T>(value?: T): Promise<T | undefined> {
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    const synced = !this.#dirty || this.#fsync !== "always";
    if (this.#pendingBytes === 0 && synced && this.#syncing === undefined) {
      return Promise.resolve(value);
    }
    this.#schedule();
    return new Promise((resolve, reject) =>
      this.#waiters.push({ resolve: () => resolve(value), reject })
    );
  }

  /**
   * Replace the log with a shorter one that says the same: `snapshot` (records that rebuild the
   * state as it is now — take it and call this in the same turn) followed by every record
   * appended from now on. The snapshot is written to `tmpPath` beside the log while writes go on
   * to the old log; then, with writes held for a moment, the records written meanwhile are
   * copied after it, it is synced and renamed over `path`, the directory is synced, and writes
   * go on in the new file. A crash at any point leaves the old log or the new one, whole.
   */
  async compact(snapshot: Iterable<Uint8Array>, path: string, tmpPath: string): Promise<void> {
    // Records still pending now are stood for by the snapshot: written to the old log only.
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
      // One record at a time, each written before the next is made: the event loop runs
      // between them, so a big snapshot never holds it for long.
      for (const payload of snapshot) {
        const bytes = frame(payload);
        await writeAll(tmp, bytes);
        size += bytes.length;
      }
      // What is pending now goes to the old log (and the capture) — if a sync off the loop is
      // under way, its end writes it — then writes are held: they collect in the batch and go to
      // the new file. Held first, then the last sync awaited: no new one starts meanwhile, so a
      // steady stream of appends cannot keep the compaction waiting.
      this.#flush();
      if (this.#syncing) await this.#syncing;
      this.#held = true;
      while (this.#syncing) await this.#syncing;
      try {
        for (const bytes of capture.records) {
          await writeAll(tmp, bytes);
          size += bytes.length;
        }
        await tmp.syncData();
        tmp.close();
        await Deno.rename(tmpPath, path);
        try {
          await syncDirectory(path.slice(0, path.lastIndexOf("/")) || ".");
          const old = this.#file;
          this.#file = await Deno.open(path, { append: true });
          old.close();
        } catch (error) {
          // The old file is no longer the log: writing on to it would lose what is answered.
          this.#fail(error, []);
          throw error;
        }
        this.size = size;
        this.#dirty = false;
      } finally {
        this.#held = false;
        this.#capture = undefined;
        this.#flush();
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
    if (this.#dirty && this.#failed === undefined) await this.#file.syncData().catch(() => {});
    this.#file.close();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#flush();
    });
  }

  /**
   * Group commit: write everything pending with one `write` — straight to the page cache, ~1 µs
   * here, where the thread pool's async write costs ~70 µs — sync it with `always`, then
   * answer all of it.
   */
  #flush(): void {
    if (this.#held || this.#syncing || this.#failed !== undefined) return;
    if (this.#pendingBytes === 0 && this.#waiters.length === 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    try {
      if (this.#pendingBytes > 0) this.#writePending();
      if (this.#fsync === "always" && this.#dirty) {
        if (this.#slowDisk) {
          this.#syncing = this.#syncOffLoop(waiters);
          return;
        }
        const start = performance.now();
        this.#file.syncDataSync();
        this.#slowDisk = performance.now() - start > this.#inlineSyncMs;
        this.#dirty = false;
      }
    } catch (error) {
      this.#fail(error, waiters);
      return;
    }
    for (const waiter of waiters) waiter.resolve();
  }

  #writePending(): void {
    const bytes = this.#pending.subarray(0, this.#pendingBytes);
    for (let at = 0; at < bytes.length;) at += this.#file.writeSync(bytes.subarray(at));
    this.size += bytes.length;
    this.#dirty = true;
    const capture = this.#capture;
    if (capture) {
      const starts = this.#starts;
      const firstSeq = this.#nextSeq - starts.length;
      for (let k = Math.max(0, capture.from - firstSeq); k < starts.length; k++) {
        capture.records.push(bytes.slice(starts[k], starts[k + 1] ?? bytes.length));
      }
    }
    // A batch that grew huge lets its buffer go.
    if (this.#pending.length > 1024 * 1024) this.#pending = new Uint8Array(64 * 1024);
    this.#pendingBytes = 0;
    this.#starts = [];
  }

  /** `always` on a slow disk: sync without blocking the loop; the next batch waits for it. */
  async #syncOffLoop(waiters: Waiter[]): Promise<void> {
    const start = performance.now();
    try {
      await this.#file.syncData();
    } catch (error) {
      this.#syncing = undefined;
      this.#fail(error, waiters);
      return;
    }
    this.#slowDisk = performance.now() - start > this.#inlineSyncMs;
    this.#dirty = false;
    this.#syncing = undefined;
    for (const waiter of waiters) waiter.resolve();
    this.#flush();
  }

  #fail(error: unknown, waiters: Waiter[]): void {
    this.#failed = error;
    for (const waiter of [...waiters, ...this.#waiters]) waiter.reject(error);
    this.#waiters = [];
  }

  /** `everysec`: sync what was written since the last sync, off the write path. */
  #syncSoon(): void {
    if (!this.#dirty || this.#failed !== undefined) return;
    this.#dirty = false;
    this.#file.syncData().catch((error) => this.#fail(error, []));
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
