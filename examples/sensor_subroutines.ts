/**
 * The gateway side of examples/sensor_stream.ts: a sensor read in shards (each handler reads
 * every `parts`-th reading, as a board with several channels would) and a camera whose frames
 * a slow viewer should see as they are now, not as a queue of old ones.
 *
 * @example
 * ```sh
 * deno run --allow-net=127.0.0.1 --allow-read cli.ts gateway --subroutines examples/sensor_subroutines.ts
 * ```
 * @module
 */

/** One reading: its time and eight bytes of samples. */
function reading(ident: number): Uint8Array {
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  view.setFloat64(0, Date.now());
  for (let k = 8; k < 16; k++) bytes[k] = (ident * 31 + k) & 255;
  return bytes;
}

/**
 * Readings `part`, `part + parts`, `part + 2 × parts`, … (`count` in all across the parts):
 * `[ident, bytes]` with the reading's number as its ident.
 */
export async function* sensor(
  part: number,
  parts: number,
  count = Infinity,
): AsyncGenerator<[number, Uint8Array]> {
  for (let ident = part; ident < count; ident += parts) {
    await Promise.resolve(); // a real sensor would await its device here
    yield [ident, reading(ident)];
  }
}

/** A frame every `intervalMs` (64 KiB each, numbered): a camera that does not wait for anyone. */
export async function* camera(intervalMs = 5): AsyncGenerator<[number, Uint8Array]> {
  for (let ident = 0;; ident++) {
    await new Promise((resume) => setTimeout(resume, intervalMs));
    yield [ident, new Uint8Array(64 * 1024).fill(ident & 255)];
  }
}
