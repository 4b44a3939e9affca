/**
 * A deliberately dumb client for bad-input tests: it writes whatever bytes it is told to and
 * reads back raw frames, with none of the real client's checks.
 *
 * @example
 * ```ts
 * import { RawClient } from "./raw_client.ts";
 * await using raw = await RawClient.connect("127.0.0.1:4444");
 * await raw.write(new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n"));
 * console.log(await raw.read()); // [4, 0, "FRAME_TOO_LARGE", "…"]
 * ```
 * @module
 */
import { parseAddress } from "../../lib/wire/address.ts";
import { decodeMessage, encodeMessageShared } from "../../lib/wire/codec.ts";
import { FrameBatch, FrameDecoder } from "../../lib/wire/frame.ts";
import { MAGIC } from "../../lib/wire/messages.ts";
import { PROTOCOL_VERSION } from "../../lib/version.ts";

/** See the module docs. */
export class RawClient implements AsyncDisposable {
  readonly #conn: Deno.TcpConn;
  readonly #decoder = new FrameDecoder(64 * 1024 * 1024);
  #closed = false;
  #reading: Promise<unknown[] | null> | undefined;

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  /** Open a TCP connection and say nothing yet. */
  static async connect(address: string): Promise<RawClient> {
    const { hostname, port } = parseAddress(address);
    return new RawClient(await Deno.connect({ hostname, port }));
  }

  /** Write bytes as they are. */
  async write(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) offset += await this.#conn.write(bytes.subarray(offset));
  }

  /** Write one frame holding `body` encoded as msgpack. */
  async send(body: unknown): Promise<void> {
    const batch = new FrameBatch();
    batch.add(encodeMessageShared(body));
    await this.write(batch.take().slice());
  }

  /** Send a HELLO (fields may be overridden) and return the answer. */
  async hello(fields: Record<string, unknown> = {}): Promise<unknown[] | null> {
    await this.send([0, {
      magic: MAGIC,
      version: PROTOCOL_VERSION,
      role: "client",
      agent: "raw",
      maxFrameBytes: 64 * 1024 * 1024,
      ...fields,
    }]);
    return await this.read();
  }

  /** The next frame's decoded body, or null once the server has closed the connection. */
  async read(): Promise<unknown[] | null> {
    while (true) {
      const body = this.#decoder.next();
      if (body) return decodeMessage(body) as unknown[];
      let n: number | null;
      try {
        n = await this.#conn.read(this.#decoder.readTarget());
      } catch (error) {
        if (error instanceof Deno.errors.ConnectionReset) return null;
        throw error;
      }
      if (n === null) return null;
      this.#decoder.commit(n);
    }
  }

  /**
   * The next frame's decoded body, `null` once the server has closed, or `"timeout"` if none
   * came within `ms` (the read goes on, and the next call picks it up).
   */
  readWithin(ms: number): Promise<unknown[] | null | "timeout"> {
    if (!this.#reading) {
      const reading = this.read().finally(() => this.#reading = undefined);
      reading.catch(() => {}); // a read still waiting when we close is no failure
      this.#reading = reading;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((resolve) => timer = setTimeout(resolve, ms, "timeout"));
    return Promise.race([this.#reading, timeout]).finally(() => clearTimeout(timer));
  }

  /** Shut our sending side (the server sees end of input) but keep reading. */
  async closeWrite(): Promise<void> {
    await this.#conn.closeWrite();
  }

  /** Close the connection. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#conn.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}
