/**
 * A dict whose keys are spread over several list servers by rendezvous hashing: each key lives
 * on one server, and every client that names the same servers (in any order) agrees which.
 *
 * Keys are strings, numbers, bigints or `Uint8Array`s (`1` and `1n` are one key); values are
 * anything a `List` holds. Each write of a key gives it a new version: `getEntry` reads it, and
 * `set(k, v, { ifVersion })` writes only if nobody wrote in between (compare-and-set), so
 * writers can read-modify-write without losing updates. `setMany`, `getMany` and iteration move
 * entries in batches, one round trip per server, never one per key.
 *
 * @example
 * ```ts
 * import { Dict } from "./dict.ts";
 * const d = await Dict.open("users", { nodes: ["127.0.0.1:4444", "127.0.0.1:4445"] });
 * await d.set("ada", { age: 36 });
 * const { value, version } = (await d.getEntry("ada"))!;
 * await d.set("ada", { age: 37 }, { ifVersion: version }); // true unless someone wrote first
 * for await (const [name, user] of d) console.log(name, user);
 * await d.close();
 * ```
 * @module
 */
import { Connection } from "../net/connection.ts";
import { type ClientOptions, linkOptions } from "./client_options.ts";
import { decodeValue, decodeValueAt, encodeValue } from "../wire/codec.ts";
import { batchToWire, checkBatch, type ValueBatch, ValueBatchWriter } from "../wire/value_batch.ts";
import {
  canonicalKey,
  type DictKey,
  DictOp,
  encodeKey,
  MAX_BATCH_KEYS,
  MAX_KEY_BYTES,
  nodeSeeds,
  ownerOfKey,
} from "../wire/dict_protocol.ts";
import { BadArgument, ProtocolError } from "../wire/errors.ts";
import { checkLayout } from "../wire/list_protocol.ts";

/** Where a dict lives and how to reach it. */
export interface DictOptions extends ClientOptions {
  /** The servers, as `host:port`; every client of a dict must name the same ones. */
  nodes: string[];
}

/** Value bytes per `dict.setMany` request, about. */
const BATCH_BYTES = 1024 * 1024;

/** A value and the version its last write gave it. */
export interface DictEntry {
  /** The value. */
  value: unknown;
  /** Changes on every write of the key; pass it to `set`'s `ifVersion`. */
  version: number;
}

/** Per-call options of {@link Dict.set}. */
export interface SetOptions {
  /** Write only if the key's version is still this one (compare-and-set). */
  ifVersion?: number;
}

/** See the module docs. */
export class Dict implements AsyncIterable<[DictKey, unknown]>, AsyncDisposable {
  /** The dict's name. */
  readonly name: string;
  /** Its servers. */
  readonly nodes: readonly string[];
  readonly #links: Connection[];
  readonly #seeds: number[];

  private constructor(name: string, nodes: string[], links: Connection[]) {
    this.name = name;
    this.nodes = nodes;
    this.#links = links;
    this.#seeds = nodeSeeds(nodes);
  }

  /**
   * Connect to the servers of dict `name` (made on its first write). Throws `BadArgument` for
   * a bad name or node list, `Unavailable`/`AuthError` when a server cannot be used.
   *
   * @example
   * ```ts
   * const d = await Dict.open("users", { nodes: ["127.0.0.1:4444"] });
   * ```
   */
  static async open(name: string, options: DictOptions): Promise<Dict> {
    if (typeof name !== "string" || name.length === 0 || name.length > 1024) {
      throw new BadArgument("a dict name must be a string of 1 to 1024 characters");
    }
    const { nodes } = checkLayout({ nodes: options.nodes, partitionSize: 1 });
    const links = nodes.map((address) => new Connection(address, linkOptions(options)));
    try {
      await Promise.all(links.map((link) => link.session()));
    } catch (error) {
      for (const link of links) link.close();
      throw error;
    }
    return new Dict(name, [...nodes], links);
  }

  /**
   * Set `key` to `value`. With `ifVersion`, only if the key's version is still that one: false
   * if someone wrote it first (or deleted it). Resolves to true when written.
   *
   * @example
   * ```ts
   * await d.set("ada", { age: 36 }); // true
   * ```
   */
  async set(key: DictKey, value: unknown, options: SetOptions = {}): Promise<boolean> {
    const condition = options.ifVersion;
    if (condition !== undefined && !(Number.isSafeInteger(condition) && condition > 0)) {
      throw new BadArgument("ifVersion must be a version from getEntry (a positive integer)");
    }
    return await this.#write(key, value, condition ?? null) !== false;
  }

  /**
   * Set `key` only if it is absent: false if it exists.
   *
   * @example
   * ```ts
   * await d.setIfAbsent("b", 3); // false: "b" exists
   * ```
   */
  async setIfAbsent(key: DictKey, value: unknown): Promise<boolean> {
    return await this.#write(key, value, 0) !== false;
  }

  /**
   * The value of `key`, or `undefined` if it is absent.
   *
   * @example
   * ```ts
   * await d.get("ada"); // { age: 36 }
   * ```
   */
  async get(key: DictKey): Promise<unknown> {
    return (await this.getEntry(key))?.value;
  }

  /**
   * The value of `key` and its version, or `undefined` if it is absent.
   *
   * @example
   * ```ts
   * const { value, version } = (await d.getEntry("ada"))!;
   * ```
   */
  async getEntry(key: DictKey): Promise<DictEntry | undefined> {
    const bytes = encodeKey(key);
    const answer = await this.#linkFor(bytes).request(DictOp.Get, [this.name, bytes]);
    if (answer === null) return undefined;
    if (!Array.isArray(answer) || !(answer[0] instanceof Uint8Array)) {
      throw new ProtocolError(`${DictOp.Get} answered something else than [value, version]`);
    }
    return { value: decodeValue(answer[0]), version: answer[1] as number };
  }

  /**
   * Whether `key` is present.
   *
   * @example
   * ```ts
   * await d.has("ada"); // true
   * ```
   */
  async has(key: DictKey): Promise<boolean> {
    return (await this.getEntry(key)) !== undefined;
  }

  /**
   * Remove `key`; true if it was there.
   *
   * @example
   * ```ts
   * await d.delete("ada"); // true
   * ```
   */
  delete(key: DictKey): Promise<boolean> {
    const bytes = encodeKey(key);
    return this.#linkFor(bytes).request(DictOp.Delete, [this.name, bytes]) as Promise<boolean>;
  }

  /**
   * Keys held, over every server.
   *
   * @example
   * ```ts
   * await d.size(); // 2
   * ```
   */
  async size(): Promise<number> {
    const sizes = await this.#everyNode(DictOp.Size);
    return sizes.reduce<number>((sum, n) => sum + (n as number), 0);
  }

  /**
   * Set many entries: one request per server (per 4,096 keys), all servers at once. A key named
   * twice takes its last value.
   *
   * @example
   * ```ts
   * await d.setMany([["a", 1], ["b", 2]]);
   * ```
   */
  async setMany(entries: Iterable<[DictKey, unknown]>): Promise<void> {
    // Per server, batches of up to MAX_BATCH_KEYS keys and about BATCH_BYTES of values. Keys
    // are encoded once into a scratch batch and copied to their server's (no object per key).
    const open = this.nodes.map(() => ({
      keys: new ValueBatchWriter(),
      values: new ValueBatchWriter(),
    }));
    const scratch = new ValueBatchWriter();
    const requests: Promise<unknown>[] = [];
    const send = (node: number) => {
      const { keys, values } = open[node];
      requests.push(this.#links[node].request(DictOp.SetMany, [
        this.name,
        batchToWire(keys.take()),
        batchToWire(values.take()),
      ]));
    };
    for (const [key, value] of entries) {
      const [node, start, end] = this.#placeInto(scratch, key);
      const share = open[node];
      share.keys.addEncoded(scratch.bytes, start, end);
      share.values.add(value);
      if (share.keys.count >= MAX_BATCH_KEYS || share.values.byteLength >= BATCH_BYTES) send(node);
      if (scratch.byteLength > BATCH_BYTES) scratch.take();
    }
    open.forEach((share, node) => {
      if (share.keys.count > 0) send(node);
    });
    await Promise.all(requests);
  }

  /**
   * The values of `keys`, in order (`undefined` for absent ones): one request per server.
   *
   * @example
   * ```ts
   * await d.getMany(["a", "b", "zzz"]); // [1, 2, undefined]
   * ```
   */
  async getMany(keys: Iterable<DictKey>): Promise<unknown[]> {
    const scratch = new ValueBatchWriter();
    const open = this.nodes.map(() => ({ keys: new ValueBatchWriter(), at: [] as number[] }));
    const requests: Promise<void>[] = [];
    const out: unknown[] = [];
    const send = (node: number) => {
      const share = open[node];
      requests.push(this.#fetch(node, share.keys.take(), share.at, out));
      share.at = [];
    };
    for (const key of keys) {
      const [node, start, end] = this.#placeInto(scratch, key);
      open[node].keys.addEncoded(scratch.bytes, start, end);
      open[node].at.push(out.length);
      out.push(undefined);
      if (open[node].keys.count >= MAX_BATCH_KEYS) send(node);
      if (scratch.byteLength > BATCH_BYTES) scratch.take();
    }
    open.forEach((share, node) => {
      if (share.keys.count > 0) send(node);
    });
    await Promise.all(requests);
    return out;
  }

  /**
   * Remove every key; resolves to how many there were.
   *
   * @example
   * ```ts
   * await d.clear(); // 2
   * ```
   */
  async clear(): Promise<number> {
    const removed = await this.#everyNode(DictOp.Clear);
    return removed.reduce<number>((sum, n) => sum + (n as number), 0);
  }

  /**
   * Every entry, server by server, fetched in batches. Keys present for the whole loop come
   * once each; keys written or deleted during it may or may not.
   *
   * @example
   * ```ts
   * for await (const [key, value] of d.entries()) console.log(key, value);
   * ```
   */
  async *entries(): AsyncGenerator<[DictKey, unknown]> {
    for (const link of this.#links) {
      for await (const chunk of await link.stream(DictOp.Scan, [this.name], { window: 4 })) {
        let keys, values;
        try {
          [keys, values] = [
            checkBatch((chunk as unknown[])[0], "keys"),
            checkBatch((chunk as unknown[])[1], "values"),
          ];
        } catch (error) {
          throw new ProtocolError(
            `${DictOp.Scan} sent a malformed chunk: ${(error as Error).message}`,
          );
        }
        if (keys.lengths.length !== values.lengths.length) {
          throw new ProtocolError(`${DictOp.Scan} sent a malformed chunk`);
        }
        let [k, v] = [0, 0];
        for (let i = 0; i < keys.lengths.length; i++) {
          yield [
            decodeValueAt(keys.bytes, k, k += keys.lengths[i]) as DictKey,
            decodeValueAt(values.bytes, v, v += values.lengths[i]),
          ];
        }
      }
    }
  }

  /**
   * Every key (see {@link entries}).
   *
   * @example
   * ```ts
   * for await (const key of d.keys()) console.log(key);
   * ```
   */
  async *keys(): AsyncGenerator<DictKey> {
    for await (const [key] of this.entries()) yield key;
  }

  /**
   * Every value (see {@link entries}).
   *
   * @example
   * ```ts
   * for await (const value of d.values()) console.log(value);
   * ```
   */
  async *values(): AsyncGenerator<unknown> {
    for await (const [, value] of this.entries()) yield value;
  }

  /** `for await (const [key, value] of d)`: {@link entries}. */
  [Symbol.asyncIterator](): AsyncIterator<[DictKey, unknown]> {
    return this.entries();
  }

  /**
   * What each server holds of the dict, one line each.
   *
   * @example
   * ```ts
   * console.log(await d.nodeDebug());
   * ```
   */
  async nodeDebug(): Promise<string> {
    const stats = await this.#everyNode(DictOp.Stats) as { count: number; bytes: number }[];
    const lines = stats.map((s, k) =>
      `Dict(name=${this.name}, host=${this.nodes[k]}, len=${s.count}, bytes=${s.bytes})`
    );
    return ["---- node info ----", ...lines].join("\n");
  }

  /**
   * Close the connections.
   *
   * @example
   * ```ts
   * await d.close();
   * ```
   */
  async close(): Promise<void> {
    for (const link of this.#links) link.close();
    await Promise.all(this.#links.map((link) => link.idle()));
  }

  /** `await using d = await Dict.open(…)`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * `dict.getMany` of `keys` on `node`, values into `out` at `at`; again for those the server
   * left out (-1: more than fit one of our frames), until none is left.
   */
  async #fetch(node: number, keys: ValueBatch, at: number[], out: unknown[]): Promise<void> {
    while (keys.lengths.length > 0) {
      const answer = await this.#links[node].request(DictOp.GetMany, [
        this.name,
        batchToWire(keys),
      ]);
      const [bytes, lengths] = (answer ?? []) as [Uint8Array, number[]];
      if (!(bytes instanceof Uint8Array) || lengths?.length !== keys.lengths.length) {
        throw new ProtocolError(`${DictOp.GetMany} answered the wrong number of values`);
      }
      const later = new ValueBatchWriter();
      const laterAt: number[] = [];
      let [offset, keyOffset] = [0, 0];
      lengths.forEach((length, j) => {
        const keyEnd = keyOffset + keys.lengths[j];
        if (length > 0) out[at[j]] = decodeValueAt(bytes, offset, offset += length);
        else if (length < 0) {
          later.addEncoded(keys.bytes, keyOffset, keyEnd);
          laterAt.push(at[j]);
        }
        keyOffset = keyEnd;
      });
      if (later.count === keys.lengths.length) {
        throw new ProtocolError(`${DictOp.GetMany} sent none of the values asked for`);
      }
      [keys, at] = [
        later.count > 0 ? later.take() : { bytes: new Uint8Array(0), lengths: [] },
        laterAt,
      ];
    }
  }

  /** Encode `key` at the end of `scratch`; its server and where its bytes are. */
  #placeInto(scratch: ValueBatchWriter, key: DictKey): [number, number, number] {
    const start = scratch.byteLength;
    const size = scratch.add(canonicalKey(key));
    if (size > MAX_KEY_BYTES) {
      throw new BadArgument(`a dict key takes at most ${MAX_KEY_BYTES} bytes encoded`);
    }
    const end = start + size;
    return [ownerOfKey(this.nodes, scratch.bytes, this.#seeds, start, end), start, end];
  }

  #linkFor(key: Uint8Array): Connection {
    return this.#links[ownerOfKey(this.nodes, key, this.#seeds)];
  }

  #write(key: DictKey, value: unknown, condition: number | null): Promise<unknown> {
    const bytes = encodeKey(key);
    return this.#linkFor(bytes).request(DictOp.Set, [
      this.name,
      bytes,
      encodeValue(value),
      condition,
    ]);
  }

  #everyNode(op: string): Promise<unknown[]> {
    return Promise.all(this.#links.map((link) => link.request(op, [this.name])));
  }
}
