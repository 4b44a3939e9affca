/**
 * Frames an attacker would send, built byte by byte (no encoder would write most of them):
 * deep nesting, containers that expand far beyond their size, headers that lie. Tests,
 * the fuzzer and the budget benchmark all use these, so they stay the same frames everywhere.
 *
 * @example
 * ```ts
 * import { deepArrays, framed } from "./hostile_frames.ts";
 * const frame = framed(deepArrays(4 << 20)); // 4 MiB of `91 91 91 … c0`, with its header
 * ```
 * @module
 */

/** `body` behind its 4-byte big-endian length. */
export function framed(body: Uint8Array): Uint8Array {
  const frame = new Uint8Array(4 + body.length);
  new DataView(frame.buffer).setUint32(0, body.length);
  frame.set(body, 4);
  return frame;
}

/** `bytes` bytes of single-element arrays nested inside each other, around a nil. */
export function deepArrays(bytes: number): Uint8Array {
  const body = new Uint8Array(bytes).fill(0x91);
  body[bytes - 1] = 0xc0;
  return body;
}

/** About `bytes` bytes of maps nested inside each other (`{"": {"": … nil}}`). */
export function deepMaps(bytes: number): Uint8Array {
  const levels = Math.floor((bytes - 1) / 2);
  const body = new Uint8Array(levels * 2 + 1);
  for (let k = 0; k < levels; k++) body.set([0x81, 0xa0], k * 2);
  body[levels * 2] = 0xc0;
  return body;
}

/** A map of `count` distinct short keys (`k0` … `kz`, `k10`, …: base 36), each mapped to 0. */
export function manyKeys(count: number): Uint8Array {
  const body = new Uint8Array(5 + count * 9);
  body.set(header(0xdf, count));
  let at = 5;
  for (let k = 0; k < count; k++) {
    const key = `k${k.toString(36)}`;
    body[at++] = 0xa0 | key.length;
    for (let c = 0; c < key.length; c++) body[at++] = key.charCodeAt(c);
    body[at++] = 0;
  }
  return body.slice(0, at);
}

/** An array of `count` distinct two-character strings (`a2 xx yy`: V8 spends ~30 bytes on each). */
export function shortStrings(count: number): Uint8Array {
  const body = new Uint8Array(5 + count * 3);
  body.set(header(0xdd, count));
  for (let k = 0; k < count; k++) {
    body.set([0xa2, 0x21 + (k % 94), 0x21 + Math.floor(k / 94) % 94], 5 + k * 3);
  }
  return body;
}

/** An array of `bytes - 5` one-byte values `element` (tiny integers: 0x01; empty maps: 0x80). */
export function wideArray(bytes: number, element: number): Uint8Array {
  const body = new Uint8Array(bytes).fill(element);
  body.set(header(0xdd, bytes - 5));
  return body;
}

/** An array that announces `count` elements and then holds only `present` fixints. */
export function lyingArray(count: number, present = 3): Uint8Array {
  return concat([header(0xdd, count), new Uint8Array(present).fill(1)]);
}

/** A `ping` request (id 1) whose one argument is the msgpack value `argument`. */
export function pingWith(argument: Uint8Array): Uint8Array {
  // [2, 1, "ping", [argument]]
  return concat([new Uint8Array([0x94, 0x02, 0x01, 0xa4, 0x70, 0x69, 0x6e, 0x67, 0x91]), argument]);
}

/** A msgpack array32 or map32 header (`type` 0xdd or 0xdf) announcing `count`. */
function header(type: number, count: number): Uint8Array {
  const bytes = new Uint8Array(5);
  bytes[0] = type;
  new DataView(bytes.buffer).setUint32(1, count);
  return bytes;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * Hex as the issue tracker writes frames (`0000003f9200…`) into bytes.
 *
 * @example
 * ```ts
 * import { fromHex } from "./hostile_frames.ts";
 * fromHex("0000000192"); // Uint8Array [0, 0, 0, 1, 0x92]
 * ```
 */
export function fromHex(hex: string): Uint8Array {
  return new Uint8Array(hex.match(/../g)!.map((pair) => parseInt(pair, 16)));
}
