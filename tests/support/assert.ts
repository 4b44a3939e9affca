/**
 * One assertion node:assert lacks: "this rejects with that class, and the message says so".
 *
 * @example
 * ```ts
 * import { rejectsWith } from "./assert.ts";
 * import { IndexError } from "../../lib/wire/errors.ts";
 * await rejectsWith(() => list.at(99), IndexError, "out of range");
 * ```
 * @module
 */
import assert from "node:assert/strict";

/**
 * Assert that `work()` rejects (or throws) an instance of `ErrorClass` whose message contains
 * `includes`; returns the error for further checks.
 *
 * @example
 * ```ts
 * import { rejectsWith } from "./assert.ts";
 * await rejectsWith(() => Promise.reject(new RangeError("bad")), RangeError, "bad");
 * ```
 */
export async function rejectsWith<E extends Error>(
  work: () => unknown,
  // deno-lint-ignore no-explicit-any
  ErrorClass: new (...args: any[]) => E,
  includes = "",
): Promise<E> {
  let error: unknown;
  try {
    await work();
  } catch (caught) {
    error = caught;
  }
  assert.ok(error !== undefined, `expected ${ErrorClass.name}, but nothing was thrown`);
  assert.ok(
    error instanceof ErrorClass,
    `expected ${ErrorClass.name}, got ${(error as Error)?.name}: ${(error as Error)?.message}`,
  );
  assert.ok(
    error.message.includes(includes),
    `expected the message to contain ${JSON.stringify(includes)}: ${error.message}`,
  );
  return error;
}
