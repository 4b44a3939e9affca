/**
 * What a server writes to its data directory's log: each change of its state as one record, a
 * msgpack array `[kind, …arguments]`, so that replaying the records in order rebuilds the state
 * exactly (docs/PROTOCOL.md says nothing about it: it never leaves the machine). A service calls
 * {@link Journal.write} as it changes its state and answers the client only once
 * {@link Journal.durable} resolves.
 *
 * @example
 * ```ts
 * import { Journal } from "./journal.ts";
 * // const journal = new Journal(dataDir.log);
 * // journal.write(["d.del", "users", keyBytes]);
 * // await journal.durable();
 * ```
 * @module
 */
import { decodeBounded, encodeMessageShared } from "../wire/codec.ts";
import type { DecodeBounds } from "../wire/decode_bounds.ts";
import type { RecordLog } from "./record_log.ts";

/**
 * Bounds for reading back our own records (checked by their CRC first): the nesting and counts
 * a record can have, without the tight memory ratio that protects a server from its clients.
 */
const JOURNAL_BOUNDS: Readonly<DecodeBounds> = Object.freeze({
  maxDepth: 8,
  maxValues: 1 << 24,
  maxObjects: 1 << 24,
  maxExpansion: 64,
  expansionAllowance: 64 * 1024 * 1024,
  copiesBinary: false,
  what: "log record",
});

/** See the module docs. */
export class Journal {
  readonly #log: RecordLog;

  /** A journal writing to `log`. */
  constructor(log: RecordLog) {
    this.#log = log;
  }

  /**
   * Record one change (written with the next batch). After the log failed to write, this
   * throws its error: the change is not durable and must not be answered as if it were.
   */
  write(record: unknown[]): void {
    this.#log.append(encodeMessageShared(record));
  }

  /**
   * Resolves (to `value`, if given) once every record written so far is durable (as the fsync
   * mode promises).
   */
  durable(): Promise<void>;
  durable<T>(value: T): Promise<T>;
  durable<T>(value?: T): Promise<T | undefined> {
    return this.#log.durable(value);
  }

  /**
   * A record read back from the log.
   *
   * @example
   * ```ts
   * import { Journal } from "./journal.ts";
   * // for (const payload of dataDir.records) apply(Journal.decode(payload));
   * ```
   */
  static decode(payload: Uint8Array): unknown[] {
    const record = decodeBounded(payload, JOURNAL_BOUNDS);
    if (!Array.isArray(record) || typeof record[0] !== "string") {
      throw new Error("a log record is not [kind, …]");
    }
    return record;
  }
}
