/**
 * Subroutines for the gateway tests: batch functions, generators (endless, finite, slow, with a
 * `finally` that reports), a function that receives a buffer, and misbehaving ones (one that
 * throws, one that never returns, one that kills its Worker).
 * @module
 */

let calls = 0;

/** The original tutorial's disk usage (a stand-in number that depends on the argument). */
export function mountUsage(requestId: number): number {
  return requestId % 100;
}

/** Counts calls on this Worker: module state lives as long as the Worker. */
export function countCalls(): number {
  return ++calls;
}

/** Adds its arguments (async). */
export async function sum(...numbers: number[]): Promise<number> {
  await Promise.resolve();
  return numbers.reduce((a, b) => a + b, 0);
}

/** Echoes what it was given, bytes and all. */
export function echo(value: unknown): unknown {
  return value;
}

/** Receives a buffer: returns its length and first byte, with the folder it was told. */
export function removeLogs(dir: string, opts: { buffer?: Uint8Array }): unknown {
  return { dir, length: opts.buffer?.length ?? -1, first: opts.buffer?.[0] ?? -1 };
}

/** Throws what it is told to. */
export function fail(message: string): never {
  throw new RangeError(message);
}

/** Never returns: a loop only terminating the Worker can stop. */
export function spin(): never {
  while (true) {
    // busy
  }
}

/** How many readings of `sensor` were produced and how many `finally` blocks ran, on this Worker. */
const sensorState = { produced: 0, finished: 0 };

/** Readings `[ident, bytes]` forever (or `count` of them). */
export async function* sensor(count = Infinity): AsyncGenerator<[number, Uint8Array]> {
  try {
    for (let ident = 0; ident < count; ident++) {
      sensorState.produced++;
      await Promise.resolve();
      yield [ident, new Uint8Array([ident & 255, 1, 2, 3])];
    }
  } finally {
    sensorState.finished++;
  }
}

/** What `sensor` did on this Worker. */
export function sensorStats(): { produced: number; finished: number } {
  return { ...sensorState };
}

/** A frame every `intervalMs`, numbered: a camera for `{ latest: true }`. */
export async function* camera(intervalMs = 1): AsyncGenerator<[number, string]> {
  for (let ident = 0;; ident++) {
    await new Promise((resume) => setTimeout(resume, intervalMs));
    yield [ident, `frame ${ident}`];
  }
}

/** A generator that fails after two items. */
export function* brittle(): Generator<[number, string]> {
  yield [0, "a"];
  yield [1, "b"];
  throw new Error("the sensor fell off");
}

/** Kills its own Worker (an uncaught error outside any call). */
export function crash(): string {
  setTimeout(() => {
    throw new Error("boom");
  }, 0);
  return "crashing";
}

/** Reads a text file: what the subroutines may read depends on the gateway's grants. */
export async function readText(path: string): Promise<string> {
  return await Deno.readTextFile(path);
}
