/**
 * Checks for request arguments: each returns the argument with its type narrowed, or throws
 * `BadArgument` naming the argument and what was received. Servers call these before touching
 * any state, so a wrong type never gets further than the check.
 *
 * @example
 * ```ts
 * import { argInt, argString } from "./args.ts";
 * const args: unknown[] = ["my-list", 3];
 * const name = argString(args, 0, "name"); // "my-list"
 * const index = argInt(args, 1, "index"); // 3
 * ```
 * @module
 */
import { BadArgument } from "./errors.ts";
import { checkBatch, type ValueBatch } from "./value_batch.ts";

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (value instanceof Uint8Array) return "bytes";
  return typeof value;
}

function bad(what: string, expected: string, value: unknown): never {
  throw new BadArgument(`${what} must be ${expected}, got ${describe(value)}`);
}

/**
 * Require exactly `n` arguments.
 *
 * @example
 * ```ts
 * import { argCount } from "./args.ts";
 * argCount(["a"], 1, "list.len"); // ok
 * ```
 */
export function argCount(args: unknown[], n: number, op: string): void {
  if (args.length !== n) {
    throw new BadArgument(`${op} takes ${n} argument(s), got ${args.length}`);
  }
}

/**
 * A non-empty string (or, with `allowEmpty`, any string) of at most `maxLength` characters.
 *
 * @example
 * ```ts
 * import { argString } from "./args.ts";
 * argString(["x"], 0, "name"); // "x"
 * ```
 */
export function argString(
  args: unknown[],
  i: number,
  what: string,
  maxLength = 1024,
  allowEmpty = false,
): string {
  const value = args[i];
  if (typeof value !== "string" || (value.length === 0 && !allowEmpty)) {
    bad(what, allowEmpty ? "a string" : "a non-empty string", value);
  }
  if (value.length > maxLength) {
    throw new BadArgument(`${what} is longer than ${maxLength} characters`);
  }
  return value;
}

/**
 * A safe integer (|n| < 2^53), optionally at least `min`.
 *
 * @example
 * ```ts
 * import { argInt } from "./args.ts";
 * argInt([-1], 0, "index"); // -1
 * ```
 */
export function argInt(args: unknown[], i: number, what: string, min = -Infinity): number {
  const value = args[i];
  if (!Number.isSafeInteger(value)) bad(what, "an integer", value);
  if ((value as number) < min) throw new BadArgument(`${what} must be at least ${min}`);
  return value as number;
}

/**
 * A byte string.
 *
 * @example
 * ```ts
 * import { argBytes } from "./args.ts";
 * argBytes([new Uint8Array([1])], 0, "value"); // Uint8Array [1]
 * ```
 */
/**
 * Argument `i` as an integer, a msgpack int 64 (a bigint here) included, clamped to
 * ±(2^53−1): for bounds and steps, where every value beyond that behaves the same (no list is
 * that long). Throws `BadArgument` for anything but an integer.
 *
 * @example
 * ```ts
 * import { argClampedInt } from "./args.ts";
 * argClampedInt([2n ** 63n - 1n], 0, "step"); // 9007199254740991
 * ```
 */
export function argClampedInt(args: unknown[], i: number, what: string): number {
  const value = args[i];
  const max = Number.MAX_SAFE_INTEGER;
  if (typeof value === "bigint") {
    return value > BigInt(max) ? max : value < BigInt(-max) ? -max : Number(value);
  }
  if (typeof value !== "number" || !Number.isInteger(value)) bad(what, "an integer", value);
  return Math.max(-max, Math.min(max, value as number));
}

export function argBytes(args: unknown[], i: number, what: string): Uint8Array {
  const value = args[i];
  if (!(value instanceof Uint8Array)) bad(what, "bytes", value);
  return value;
}

/**
 * A value batch `[bytes, lengths]` (see value_batch.ts).
 *
 * @example
 * ```ts
 * import { argBatch } from "./args.ts";
 * argBatch([[new Uint8Array([1, 2]), [1, 1]]], 0, "values").lengths; // [1, 1]
 * ```
 */
export function argBatch(args: unknown[], i: number, what: string): ValueBatch {
  return checkBatch(args[i], what);
}

/**
 * A map (plain object) — its fields are checked by the caller.
 *
 * @example
 * ```ts
 * import { argRecord } from "./args.ts";
 * argRecord([{ a: 1 }], 0, "layout"); // { a: 1 }
 * ```
 */
export function argRecord(args: unknown[], i: number, what: string): Record<string, unknown> {
  const value = args[i];
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    bad(what, "a map", value);
  }
  return value as Record<string, unknown>;
}
