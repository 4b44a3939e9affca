/**
 * `host:port` addresses, as users write them: `127.0.0.1:4444`, `node01:4445`, `[::1]:4444`.
 *
 * @example
 * ```ts
 * import { formatAddress, parseAddress } from "./address.ts";
 * const a = parseAddress("[::1]:4444"); // { hostname: "::1", port: 4444 }
 * formatAddress(a.hostname, a.port); // "[::1]:4444"
 * ```
 * @module
 */
import { BadArgument, excerpt } from "./errors.ts";

/** A host and a TCP port. */
export interface Address {
  hostname: string;
  port: number;
}

/**
 * Parse a TCP port number (0–65535) written in decimal; `undefined` if it is not one.
 *
 * @example
 * ```ts
 * import { parsePort } from "./address.ts";
 * parsePort("4444"); // 4444
 * parsePort("http"); // undefined
 * ```
 */
export function parsePort(text: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port <= 65535 ? port : undefined;
}

/** The longest `host:port` accepted: a 253-character DNS name, a colon and a port. */
export const MAX_ADDRESS_CHARS = 260;

/**
 * Parse `host:port` (IPv6 hosts in brackets). Throws `BadArgument` saying what is wrong.
 *
 * @example
 * ```ts
 * import { parseAddress } from "./address.ts";
 * parseAddress("node01:4444"); // { hostname: "node01", port: 4444 }
 * ```
 */
export function parseAddress(text: string): Address {
  // A DNS name has at most 253 characters; nothing longer is worth matching.
  const match = text.length > MAX_ADDRESS_CHARS
    ? null
    : /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\[\]\s]+)):([0-9]+)$/.exec(text);
  const port = match ? parsePort(match[3]) : undefined;
  if (!match || port === undefined || port === 0) {
    throw new BadArgument(`${excerpt(text)} is not a host:port address (e.g. 127.0.0.1:4444)`);
  }
  return { hostname: match[1] ?? match[2], port };
}

/**
 * Write an address as `host:port`, bracketing IPv6 hosts.
 *
 * @example
 * ```ts
 * import { formatAddress } from "./address.ts";
 * formatAddress("127.0.0.1", 4444); // "127.0.0.1:4444"
 * ```
 */
export function formatAddress(hostname: string, port: number): string {
  return hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}

/**
 * Whether `hostname` is this machine's loopback: `localhost`, 127.0.0.0/8, `::1` (also as an
 * IPv4-mapped IPv6 address).
 *
 * @example
 * ```ts
 * import { isLoopback } from "./address.ts";
 * isLoopback("127.0.0.1"); // true
 * isLoopback("0.0.0.0"); // false
 * ```
 */
export function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^::ffff:/, "");
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
