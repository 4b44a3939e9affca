/**
 * What every `typenet` command shares: strict parsing (a mistake is one line and exit code 2),
 * positive integers, ports, and the listener-limit flags every role takes.
 *
 * @example
 * ```ts
 * import { parse, UsageError } from "./usage.ts";
 * const { values } = parse(["--port", "7946"], { port: { type: "string" } });
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { parseAddress, parsePort } from "../wire/address.ts";
import { DEFAULT_LIMITS, type Limits } from "../net/limits.ts";
import { readConfig } from "./config_file.ts";

/** A mistake in the command line: one line on stderr, exit code 2. */
export class UsageError extends Error {}

/** Option definitions as `node:util`'s `parseArgs` takes them. */
export type ParseOptions = NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>["options"]>;

/**
 * Parse `args` strictly against `options`; positionals allowed. Every command also takes
 * `--config FILE` (see config_file.ts): values from the file fill in the flags not given.
 *
 * @example
 * ```ts
 * import { parse } from "./usage.ts";
 * parse(["a", "--insecure"], { insecure: { type: "boolean" } }).positionals; // ["a"]
 * ```
 */
export function parse(
  args: string[],
  options: ParseOptions,
): {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
} {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { ...options, config: { type: "string" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message.split("\n")[0]);
  }
  const values = parsed.values as Record<string, string | boolean | (string | boolean)[]>;
  const path = values.config as string | undefined;
  if (path !== undefined) {
    let fromFile;
    try {
      fromFile = readConfig(path, options);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    for (const [key, value] of Object.entries(fromFile)) {
      if (values[key] === undefined) values[key] = value;
    }
  }
  return { values, positionals: parsed.positionals };
}

/**
 * A flag's value as a positive safe integer, or undefined if the flag is absent.
 *
 * @example
 * ```ts
 * import { positiveInteger } from "./usage.ts";
 * positiveInteger("10", "--max-streams"); // 10
 * ```
 */
export function positiveInteger(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[0-9]+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`${flag} must be a positive integer, got '${text}'`);
  }
  return Number(text);
}

/**
 * A port (0 to 65535), or `fallback` if `text` is absent.
 *
 * @example
 * ```ts
 * import { port } from "./usage.ts";
 * port("0", 7946, "--port"); // 0
 * ```
 */
export function port(text: string | undefined, fallback: number, what: string): number {
  if (text === undefined) return fallback;
  const value = parsePort(text);
  if (value === undefined) {
    throw new UsageError(`${what} must be a number from 0 to 65535, got '${text}'`);
  }
  return value;
}

/** Frames must hold a hello (64 KiB before it) and fit the 4-byte length header comfortably. */
const MIN_MAX_FRAME_BYTES = 64 * 1024;
const MAX_MAX_FRAME_BYTES = 1024 * 1024 * 1024;

/** The listener-limit flags, for `parse`. */
export const LIMIT_FLAGS: ParseOptions = {
  "max-frame-bytes": { type: "string" },
  "max-connections": { type: "string" },
  "max-connections-per-address": { type: "string" },
  "max-in-flight": { type: "string" },
  "max-streams": { type: "string" },
  "handshake-timeout-ms": { type: "string" },
  "idle-timeout-ms": { type: "string" },
};

/** `--config FILE`, which every command takes, for `--help`. */
export const CONFIG_HELP =
  "  --config FILE              read flags from a JSON or JSONC file (flags given here win)";

/** The listener-limit flags, for `--help`. */
export const LIMIT_HELP =
  `  --max-frame-bytes N        largest frame accepted (default ${DEFAULT_LIMITS.maxFrameBytes})
  --max-connections N        open connections at once (default ${DEFAULT_LIMITS.maxConnections})
  --max-connections-per-address N
                             open connections from one address (default ${DEFAULT_LIMITS.maxConnectionsPerAddress})
  --max-in-flight N          requests one connection may have waiting (default ${DEFAULT_LIMITS.maxInFlight})
  --max-streams N            streams one connection may have open (default ${DEFAULT_LIMITS.maxStreams})
  --handshake-timeout-ms N   time a new connection has for TLS and hello (default ${DEFAULT_LIMITS.handshakeTimeoutMs})
  --idle-timeout-ms N        close connections idle this long; 0: never (default ${DEFAULT_LIMITS.idleTimeoutMs})`;

/**
 * The limits the flags in `values` set (absent ones left out).
 *
 * @example
 * ```ts
 * import { limitsFrom } from "./usage.ts";
 * limitsFrom({ "max-streams": "8" }); // { maxStreams: 8 }
 * ```
 */
export function limitsFrom(values: Record<string, unknown>): Partial<Limits> {
  const flag = (name: string) => values[name] as string | undefined;
  const limits: Partial<Limits> = {
    maxFrameBytes: positiveInteger(flag("max-frame-bytes"), "--max-frame-bytes"),
    maxConnections: positiveInteger(flag("max-connections"), "--max-connections"),
    maxConnectionsPerAddress: positiveInteger(
      flag("max-connections-per-address"),
      "--max-connections-per-address",
    ),
    maxInFlight: positiveInteger(flag("max-in-flight"), "--max-in-flight"),
    maxStreams: positiveInteger(flag("max-streams"), "--max-streams"),
    handshakeTimeoutMs: positiveInteger(flag("handshake-timeout-ms"), "--handshake-timeout-ms"),
    idleTimeoutMs: flag("idle-timeout-ms") === "0"
      ? 0
      : positiveInteger(flag("idle-timeout-ms"), "--idle-timeout-ms"),
  };
  if (
    limits.maxFrameBytes !== undefined &&
    (limits.maxFrameBytes < MIN_MAX_FRAME_BYTES || limits.maxFrameBytes > MAX_MAX_FRAME_BYTES)
  ) {
    throw new UsageError(
      `--max-frame-bytes must be from ${MIN_MAX_FRAME_BYTES} to ${MAX_MAX_FRAME_BYTES}`,
    );
  }
  for (const key of Object.keys(limits) as (keyof Limits)[]) {
    if (limits[key] === undefined) delete limits[key];
  }
  return limits;
}

/**
 * An error in a few words, for one line on stderr.
 *
 * @example
 * ```ts
 * import { describe } from "./usage.ts";
 * describe(new Error("boom")); // "boom"
 * ```
 */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Resolve on SIGINT or SIGTERM.
 *
 * @example
 * ```ts
 * import { untilSignal } from "./usage.ts";
 * await untilSignal();
 * ```
 */
export function untilSignal(): Promise<void> {
  return new Promise<void>((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, resolve);
  });
}

/**
 * Check that `text` is `HOST:PORT`; a `UsageError` names `flag` if given.
 *
 * @example
 * ```ts
 * import { checkAddress } from "./usage.ts";
 * checkAddress("127.0.0.1:1857");
 * checkAddress("nowhere", "--join"); // UsageError: --join must be HOST:PORT, got 'nowhere'
 * ```
 */
export function checkAddress(text: string, flag?: string): void {
  try {
    parseAddress(text);
  } catch {
    throw new UsageError(
      flag ? `${flag} must be HOST:PORT, got '${text}'` : `expected HOST:PORT, got '${text}'`,
    );
  }
}

/**
 * The one `HOST:PORT` a command takes as its positional argument.
 *
 * @example
 * ```ts
 * import { oneAddress } from "./usage.ts";
 * oneAddress(["127.0.0.1:7946"], "members"); // "127.0.0.1:7946"
 * ```
 */
export function oneAddress(positionals: string[], command: string): string {
  if (positionals.length !== 1) throw new UsageError(`${command} takes one HOST:PORT`);
  checkAddress(positionals[0]);
  return positionals[0];
}
