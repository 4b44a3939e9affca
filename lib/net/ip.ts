/**
 * IP addresses as bytes, and CIDR blocks (`--allow 192.168.1.0/24`, `--allow fd00::/8`) that
 * match them. An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, what a dual-stack socket reports)
 * matches as the IPv4 address it carries.
 *
 * @example
 * ```ts
 * import { parseCidr } from "./ip.ts";
 * const lan = parseCidr("192.168.1.0/24");
 * lan.contains("192.168.1.20"); // true
 * lan.contains("::ffff:192.168.1.20"); // true
 * ```
 * @module
 */

/**
 * The 4 or 16 bytes of a literal IPv4 or IPv6 address, or `undefined` if `text` is not one.
 *
 * @example
 * ```ts
 * import { ipBytes } from "./ip.ts";
 * ipBytes("127.0.0.1"); // Uint8Array [127, 0, 0, 1]
 * ipBytes("localhost"); // undefined
 * ```
 */
export function ipBytes(text: string): Uint8Array | undefined {
  const unbracketed = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  return ipv4Bytes(unbracketed) ?? ipv6Bytes(unbracketed.replace(/%.*$/, ""));
}

function ipv4Bytes(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(parts[i]) || Number(parts[i]) > 255) return undefined;
    bytes[i] = Number(parts[i]);
  }
  return bytes;
}

function ipv6Bytes(text: string): Uint8Array | undefined {
  if (!text.includes(":")) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (half: string): number[] | undefined => {
    if (half === "") return [];
    const out: number[] = [];
    const parts = half.split(":");
    for (let i = 0; i < parts.length; i++) {
      const v4 = i === parts.length - 1 ? ipv4Bytes(parts[i]) : undefined;
      if (v4) out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      else if (/^[0-9a-fA-F]{1,4}$/.test(parts[i])) out.push(parseInt(parts[i], 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...new Array(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}

/** The IPv4 address inside `::ffff:a.b.c.d`, else the bytes as they are. */
function unmapped(bytes: Uint8Array): Uint8Array {
  if (bytes.length !== 16) return bytes;
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return bytes;
  if (bytes[10] !== 0xff || bytes[11] !== 0xff) return bytes;
  return bytes.subarray(12);
}

/** A block of addresses. */
export interface Cidr {
  /** The block as given, e.g. `"10.0.0.0/8"`. */
  readonly text: string;
  /** Whether the address (literal IPv4 or IPv6) is in the block. */
  contains(address: string): boolean;
}

/**
 * Parse `A.B.C.D/N`, `X:…:Y/N`, or a bare address (a block of one). Throws `RangeError` naming
 * what is wrong.
 *
 * @example
 * ```ts
 * import { parseCidr } from "./ip.ts";
 * parseCidr("::1").contains("::1"); // true
 * ```
 */
export function parseCidr(text: string): Cidr {
  const [addressText, prefixText, extra] = text.split("/");
  const network = addressText === undefined ? undefined : ipBytes(addressText);
  if (network === undefined || extra !== undefined) {
    throw new RangeError(`'${text}' is not an address block (e.g. 192.168.1.0/24 or fd00::/8)`);
  }
  const width = network.length * 8;
  const prefix = prefixText === undefined ? width : Number(prefixText);
  if (!/^[0-9]+$/.test(prefixText ?? "0") || prefix > width) {
    throw new RangeError(`'${text}': the prefix length must be a number from 0 to ${width}`);
  }
  return {
    text,
    contains(address: string): boolean {
      const bytes = ipBytes(address);
      if (bytes === undefined) return false;
      const candidate = network.length === 4 ? unmapped(bytes) : bytes;
      if (candidate.length !== network.length) return false;
      const whole = Math.floor(prefix / 8);
      for (let i = 0; i < whole; i++) if (candidate[i] !== network[i]) return false;
      const rest = prefix % 8;
      if (rest === 0) return true;
      const mask = (0xff << (8 - rest)) & 0xff;
      return (candidate[whole] & mask) === (network[whole] & mask);
    },
  };
}
