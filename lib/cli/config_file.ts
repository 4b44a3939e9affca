/**
 * `--config FILE`: a JSON (or JSONC: comments and trailing commas allowed) object whose keys are
 * a command's long flag names without the dashes. Flags given on the command line win over the
 * file, and the file wins over the defaults.
 *
 * ```jsonc
 * // /etc/typenet/server.jsonc
 * {
 *   "host": "0.0.0.0",
 *   "port": 4444,
 *   "token-file": "/etc/typenet/token",
 *   "allow": ["192.168.1.0/24"],
 *   "max-connections": 256,
 * }
 * ```
 *
 * @example
 * ```ts
 * import { parseConfig } from "./config_file.ts";
 * parseConfig('{ "port": 4444 }', "server.json", { port: { type: "string" } }); // { port: "4444" }
 * ```
 * @module
 */
import type { ParseOptions } from "./usage.ts";

/** A value as `parseArgs` gives it. */
export type FlagValue = string | boolean | (string | boolean)[];

/** Keys a config file may not hold: they make no sense there. */
const NOT_IN_FILES = new Set(["help", "config"]);

/**
 * Read and check config file `path` against a command's `flags`. Throws an `Error` naming the
 * file and the key for an unknown key, a wrong type or bad JSON.
 *
 * @example
 * ```ts
 * import { readConfig } from "./config_file.ts";
 * const values = readConfig("/etc/typenet/server.jsonc", { port: { type: "string" } });
 * ```
 */
export function readConfig(path: string, flags: ParseOptions): Record<string, FlagValue> {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    throw new Error(`cannot read the config file ${path}: ${(error as Error).message}`);
  }
  return parseConfig(text, path, flags);
}

/**
 * Parse and check config `text` (named `path` in errors) against `flags`.
 *
 * @example
 * ```ts
 * import { parseConfig } from "./config_file.ts";
 * parseConfig('{ "insecure": true }', "c.json", { insecure: { type: "boolean" } }); // { insecure: true }
 * ```
 */
export function parseConfig(
  text: string,
  path: string,
  flags: ParseOptions,
): Record<string, FlagValue> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(withoutComments(text));
  } catch (error) {
    throw new Error(`${path} is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error(`${path} must hold one JSON object of flag names and values`);
  }
  const known = Object.keys(flags).filter((name) => !NOT_IN_FILES.has(name));
  const values: Record<string, FlagValue> = {};
  for (const [key, value] of Object.entries(parsed)) {
    const flag = Object.hasOwn(flags, key) && !NOT_IN_FILES.has(key) ? flags[key] : undefined;
    if (!flag) {
      throw new Error(`${path}: unknown key '${key}' (this command takes: ${known.join(", ")})`);
    }
    const one = (item: unknown): string | boolean => {
      if (flag.type === "boolean") {
        if (typeof item !== "boolean") {
          throw new Error(`${path}: '${key}' must be true or false, got ${JSON.stringify(item)}`);
        }
        return item;
      }
      if (typeof item === "string") return item;
      if (typeof item === "number" && Number.isFinite(item)) return String(item);
      throw new Error(
        `${path}: '${key}' must be a string or a number, got ${JSON.stringify(item)}`,
      );
    };
    if (flag.multiple) {
      values[key] = (Array.isArray(value) ? value : [value]).map(one);
    } else if (Array.isArray(value)) {
      throw new Error(`${path}: '${key}' takes one value, got a list`);
    } else {
      values[key] = one(value);
    }
  }
  return values;
}

/** JSONC to JSON: drop `//` and `/* *\/` comments and trailing commas, outside strings. */
function withoutComments(text: string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      const start = i++;
      while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
      out += text.slice(start, ++i);
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 2;
    } else if (c === "," && /^\s*[}\]]/.test(text.slice(i + 1, i + 256))) {
      i++; // a trailing comma
    } else {
      out += c;
      i++;
    }
  }
  return out;
}
