/**
 * Write all of a buffer to a socket or a file: `write` may take less than it is given.
 *
 * @example
 * ```ts
 * import { writeAll } from "./write_all.ts";
 * const file = await Deno.open("/tmp/out.bin", { write: true, create: true });
 * await writeAll(file, new Uint8Array([1, 2, 3]));
 * file.close();
 * ```
 * @module
 */

/** Anything with a `write` that may write part of what it is given (a TCP connection, a file). */
export interface PartialWriter {
  write(bytes: Uint8Array): Promise<number>;
}

/** Write every byte of `bytes` to `to`. */
export async function writeAll(to: PartialWriter, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await to.write(bytes.subarray(offset));
}
