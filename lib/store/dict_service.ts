/**
 * The dict operations of a list server: each server holds the keys of each dict that
 * rendezvous hashing gives it ({@link ownerOfKey}), as msgpack bytes it never decodes, each with
 * a version that changes on every write.
 *
 * Versions come from one counter per server that starts at the clock (milliseconds × 1024), so
 * they keep increasing across a restart: a compare-and-set against a version from before the
 * restart fails rather than matching a new write by chance.
 *
 * Every operation is one deterministic change of this server's state — set, set many, delete,
 * clear — and, with a data directory, is written to its log (journal.ts) before it is answered;
 * {@link DictService.replay} applies it again at start.
 *
 * @example
 * ```ts
 * import { DictService } from "./dict_service.ts";
 * const dicts = new DictService();
 * // Server.listen({ role: "list-server", handlers: dicts.handlers, … })
 * ```
 * @module
 */
import { type CallContext, defineHandlers, type Handlers } from "../net/handlers.ts";
import { argBatch, argBytes, argCount, argString } from "../wire/args.ts";
import { batchToWire, ValueBatchWriter } from "../wire/value_batch.ts";
import { checkKeyBytes, DictOp, MAX_BATCH_KEYS } from "../wire/dict_protocol.ts";
import { BadArgument } from "../wire/errors.ts";
import { RANGE_CHUNK_BYTES, RANGE_CHUNK_ITEMS } from "./list_service.ts";
import type { Journal } from "./journal.ts";

/**
 * One key's value — `bytes[start:end]`, often a slice of a whole `dict.setMany` batch, so an
 * update allocates nothing — and its version.
 */
interface Entry {
  bytes: Uint8Array;
  start: number;
  end: number;
  version: number;
}

/** An entry's value as its own view (for a single answer). */
function valueOf(entry: Entry): Uint8Array {
  return entry.start === 0 && entry.end === entry.bytes.length
    ? entry.bytes
    : entry.bytes.subarray(entry.start, entry.end);
}

/** One dict's share on this server: keys by their bytes (as latin-1 text, a cheap Map key). */
class DictShard {
  readonly entries = new Map<string, Entry>();
  bytes = 0;
}

/** See the module docs. */
export class DictService {
  /** The operations, ready for `Server.listen`. */
  readonly handlers: Handlers;
  readonly #dicts = new Map<string, DictShard>();
  #clock = Date.now() * 1024;
  readonly #journal: Journal | undefined;

  /** A service that writes every change to `journal` before answering, if given. */
  constructor(journal?: Journal) {
    this.#journal = journal;
    this.handlers = defineHandlers({
      requests: {
        [DictOp.Set]: (args) => {
          argCount(args, 4, DictOp.Set);
          const condition = args[3];
          if (
            condition !== null && !(Number.isSafeInteger(condition) && (condition as number) >= 0)
          ) {
            throw new BadArgument("the condition must be nil, 0 (absent) or a version");
          }
          const v = value(args, 2);
          const dict = this.#dict(args, true)!;
          const version = this.#set(dict, key(args, 1), v, 0, v.length, condition as number | null);
          if (version === false) return false;
          return this.#logged(["d.set", args[0], args[1], v, version], version);
        },
        [DictOp.Get]: (args) => {
          argCount(args, 2, DictOp.Get);
          const entry = this.#dict(args)?.entries.get(key(args, 1));
          return entry ? [valueOf(entry), entry.version] : null;
        },
        [DictOp.Delete]: (args) => {
          argCount(args, 2, DictOp.Delete);
          const dict = this.#dict(args);
          if (!dict || !this.#delete(dict, key(args, 1))) return false;
          return this.#logged(["d.del", args[0], args[1]], true);
        },
        [DictOp.SetMany]: (args) => {
          argCount(args, 3, DictOp.SetMany);
          const keys = keyBatch(args, 1);
          const values = argBatch(args, 2, "values");
          if (values.lengths.length !== keys.length) {
            throw new BadArgument("values must hold as many values as keys holds keys");
          }
          const dict = this.#dict(args, true)!;
          // One copy of the batch out of the read buffer; each value is a range of it.
          const bytes = values.bytes.slice();
          const first = this.#setAll(dict, keys, bytes, values.lengths);
          const [keyBytes, keyLengths] = args[1] as [Uint8Array, number[]];
          const record = ["d.setMany", args[0], keyBytes, keyLengths, bytes, values.lengths, first];
          return this.#logged(record, keys.length);
        },
        [DictOp.GetMany]: (args, call) => {
          argCount(args, 2, DictOp.GetMany);
          const keys = keyBatch(args, 1);
          const dict = this.#dict(args);
          const writer = new ValueBatchWriter();
          const lengths: number[] = [];
          const versions: number[] = [];
          // Values that would not fit the client's frames wait for its next request (-1).
          const room = call.session.peerMaxFrameBytes / 2;
          for (const k of keys) {
            const entry = dict?.entries.get(k);
            const size = entry ? entry.end - entry.start : 0;
            if (entry && writer.count > 0 && writer.byteLength + size > room) {
              lengths.push(-1);
              versions.push(0);
              continue;
            }
            if (entry) writer.addEncoded(entry.bytes, entry.start, entry.end);
            lengths.push(size);
            versions.push(entry?.version ?? 0);
          }
          return [writer.count > 0 ? writer.take().bytes : new Uint8Array(0), lengths, versions];
        },
        [DictOp.Size]: (args) => {
          argCount(args, 1, DictOp.Size);
          return this.#dict(args)?.entries.size ?? 0;
        },
        [DictOp.Clear]: (args) => {
          argCount(args, 1, DictOp.Clear);
          const dict = this.#dict(args);
          if (!dict) return 0;
          this.#dicts.delete(argString(args, 0, "name"));
          return this.#logged(["d.clear", args[0]], dict.entries.size);
        },
        [DictOp.Stats]: (args) => {
          argCount(args, 1, DictOp.Stats);
          const dict = this.#dict(args);
          return { count: dict?.entries.size ?? 0, bytes: dict?.bytes ?? 0 };
        },
      },
      streams: {
        [DictOp.Scan]: (args, call) => this.#scan(args, call),
      },
    });
  }

  /**
   * Apply a record read back from the data directory's log (journal.ts): the same change, with
   * the version it had, and the clock moved past it.
   */
  replay(record: unknown[]): void {
    const [kind, name] = record as [string, string];
    if (kind === "d.clock") {
      this.#clock = Math.max(this.#clock, record[1] as number);
      return;
    }
    const dict = () => {
      let shard = this.#dicts.get(name);
      if (!shard) this.#dicts.set(name, shard = new DictShard());
      return shard;
    };
    if (kind === "d.set") {
      const [, , keyBytes, v, version] = record as [string, string, Uint8Array, Uint8Array, number];
      this.#set(dict(), latin1(keyBytes), v.slice(), 0, v.length, null, version);
    } else if (kind === "d.setMany" || kind === "d.load") {
      // Keys and values as batches; versions consecutive from one (setMany) or each its own.
      const [, , keyBytes, keyLengths, bytes, lengths, versions] = record as [
        string,
        string,
        Uint8Array,
        number[],
        Uint8Array,
        number[],
        number | number[],
      ];
      const versionOf = (i: number) => typeof versions === "number" ? versions + i : versions[i];
      const text = latin1(keyBytes);
      const shard = dict();
      const values = bytes.slice();
      let keyAt = 0, valueAt = 0;
      keyLengths.forEach((keyLength, i) => {
        const k = text.substring(keyAt, keyAt += keyLength);
        this.#set(shard, k, values, valueAt, valueAt += lengths[i], null, versionOf(i));
      });
    } else if (kind === "d.del") {
      const shard = this.#dicts.get(name);
      if (shard) this.#delete(shard, latin1(record[2] as Uint8Array));
    } else if (kind === "d.clear") {
      this.#dicts.delete(name);
    } else {
      throw new Error(`unknown dict record '${kind}'`);
    }
  }

  /** Whether `kind` is a record this service replays. */
  static replays(kind: string): boolean {
    return kind.startsWith("d.");
  }

  /**
   * Records that rebuild every dict held here as it is now, versions and all (`d.load`s of at
   * most 4,096 keys), then the clock: for a compacted log. The keys and entries are taken now
   * (two arrays of references per dict: entries are replaced, never changed, so they stay as
   * they are); the records are made only as they are asked for.
   */
  snapshot(): Iterable<unknown[]> {
    const dicts = [...this.#dicts].map(([name, dict]) => ({
      name,
      keys: [...dict.entries.keys()],
      entries: [...dict.entries.values()],
    }));
    const clock = this.#clock;
    return (function* () {
      for (const { name, keys, entries } of dicts) {
        for (let i = 0; i < keys.length; i += MAX_BATCH_KEYS) {
          const keyWriter = new ValueBatchWriter();
          const valueWriter = new ValueBatchWriter();
          const versions: number[] = [];
          for (let k = i; k < Math.min(keys.length, i + MAX_BATCH_KEYS); k++) {
            keyWriter.addEncoded(latin1Bytes(keys[k]));
            valueWriter.addEncoded(entries[k].bytes, entries[k].start, entries[k].end);
            versions.push(entries[k].version);
          }
          const keyBatch = keyWriter.take();
          const valueBatch = valueWriter.take();
          yield [
            "d.load",
            name,
            keyBatch.bytes,
            keyBatch.lengths,
            valueBatch.bytes,
            valueBatch.lengths,
            versions,
          ];
        }
      }
      yield ["d.clock", clock];
    })();
  }

  /** Bytes of keys and values held here. */
  get bytesHeld(): number {
    let bytes = 0;
    for (const dict of this.#dicts.values()) bytes += dict.bytes;
    return bytes;
  }

  /** Counters for `server.stats`. */
  stats(): { dicts: number; dictKeys: number } {
    let keys = 0;
    for (const dict of this.#dicts.values()) keys += dict.entries.size;
    return { dicts: this.#dicts.size, dictKeys: keys };
  }

  /** Each dict this server holds keys of: name, keys and bytes here (the first `max`). */
  holdings(max: number): { name: string; count: number; bytes: number }[] {
    const out = [];
    for (const [name, dict] of this.#dicts) {
      if (out.length >= max) break;
      out.push({ name, count: dict.entries.size, bytes: dict.bytes });
    }
    return out;
  }

  /** The dict `args[0]` names; made on the first write, `undefined` for a read of none. */
  #dict(args: unknown[], create = false): DictShard | undefined {
    const name = argString(args, 0, "name");
    let dict = this.#dicts.get(name);
    if (!dict && create) {
      dict = new DictShard();
      this.#dicts.set(name, dict);
    }
    return dict;
  }

  /**
   * Set `k` to `bytes[start:end]` unless the condition fails: null always, 0 only if absent,
   * n only at version n.
   */
  #set(
    dict: DictShard,
    k: string,
    bytes: Uint8Array,
    start: number,
    end: number,
    condition: number | null,
    replayed?: number,
  ): number | false {
    const entry = dict.entries.get(k);
    if (condition !== null && (entry?.version ?? 0) !== condition) return false;
    // A replayed write keeps the version it had; the clock moves past it.
    const version = replayed ?? ++this.#clock;
    if (replayed !== undefined) this.#clock = Math.max(this.#clock, replayed);
    // A new entry, never a changed one: a compaction's snapshot may hold the old.
    dict.bytes += entry ? end - start - (entry.end - entry.start) : k.length + end - start;
    dict.entries.set(k, { bytes, start, end, version });
    return version;
  }

  /** Set `keys[i]` to the i-th value of `bytes`; returns the first version given. */
  #setAll(dict: DictShard, keys: string[], bytes: Uint8Array, lengths: number[]): number {
    const first = this.#clock + 1;
    let offset = 0;
    for (let i = 0; i < keys.length; i++) {
      this.#set(dict, keys[i], bytes, offset, offset += lengths[i], null);
    }
    return first;
  }

  /** `result`, once `record` is durable (at once without a data directory). */
  #logged<T>(record: unknown[], result: T): T | Promise<T> {
    if (!this.#journal) return result;
    this.#journal.write(record);
    return this.#journal.durable(result);
  }

  #delete(dict: DictShard, k: string): boolean {
    const entry = dict.entries.get(k);
    if (!entry) return false;
    dict.entries.delete(k);
    dict.bytes -= k.length + entry.end - entry.start;
    return true;
  }

  /**
   * `dict.scan [name]`: the entries as chunks `[keys, values]`. The keys are listed when the
   * scan starts (each at most once; one deleted meanwhile is skipped, one added is not seen).
   */
  async *#scan(args: unknown[], call: CallContext): AsyncGenerator<unknown[]> {
    argCount(args, 1, DictOp.Scan);
    const dict = this.#dict(args);
    if (!dict) return;
    const keys = [...dict.entries.keys()];
    let chunkKeys = new ValueBatchWriter();
    let chunkValues = new ValueBatchWriter();
    for (const k of keys) {
      if (call.signal.aborted) return;
      const entry = dict.entries.get(k);
      if (!entry) continue;
      chunkKeys.addEncoded(latin1Bytes(k));
      chunkValues.addEncoded(entry.bytes, entry.start, entry.end);
      if (
        chunkKeys.count >= RANGE_CHUNK_ITEMS ||
        chunkKeys.byteLength + chunkValues.byteLength >= RANGE_CHUNK_BYTES
      ) {
        yield [batchToWire(chunkKeys.take()), batchToWire(chunkValues.take())];
        [chunkKeys, chunkValues] = [new ValueBatchWriter(), new ValueBatchWriter()];
      }
    }
    if (chunkKeys.count > 0) yield [batchToWire(chunkKeys.take()), batchToWire(chunkValues.take())];
  }
}

/** Key `i` of `args`, checked, as the Map key. */
function key(args: unknown[], i: number): string {
  const bytes = argBytes(args, i, "key");
  checkKeyBytes(bytes);
  return latin1(bytes);
}

/** Value `i` of `args`, copied out of the read buffer. */
function value(args: unknown[], i: number): Uint8Array {
  const bytes = argBytes(args, i, "value");
  if (bytes.length === 0) throw new BadArgument("a value must be msgpack bytes, not empty");
  return bytes.slice();
}

/** The keys of batch `args[i]`, checked, as Map keys. */
function keyBatch(args: unknown[], i: number): string[] {
  const batch = argBatch(args, i, "keys");
  if (batch.lengths.length > MAX_BATCH_KEYS) {
    throw new BadArgument(`keys must hold at most ${MAX_BATCH_KEYS} keys`);
  }
  // One string for the whole batch, cut per key: ~25% faster than a string per key (measured).
  const text = latin1(batch.bytes);
  let offset = 0;
  return batch.lengths.map((length) => {
    checkKeyBytes(batch.bytes, offset, offset + length);
    return text.substring(offset, offset += length);
  });
}

/** `bytes[start:end]` as a string of one char per byte (a loop for short keys: fastest). */
function latin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let text = "";
  if (end - start <= 64) {
    for (let i = start; i < end; i++) text += String.fromCharCode(bytes[i]);
    return text;
  }
  for (let i = start; i < end; i += 8192) {
    const chunk = bytes.subarray(i, Math.min(end, i + 8192));
    text += String.fromCharCode.apply(null, chunk as unknown as number[]);
  }
  return text;
}

function latin1Bytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
