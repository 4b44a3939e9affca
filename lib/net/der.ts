/**
 * The few DER (ASN.1) encodings an X.509 certificate needs: enough to write certificates, not
 * to read arbitrary ones.
 *
 * @example
 * ```ts
 * import { der } from "./der.ts";
 * der.sequence(der.oid("2.5.4.3"), der.utf8("typenet")); // bytes of SEQUENCE { OID, UTF8String }
 * ```
 * @module
 */

/** One DER element: tag, length, contents. */
function element(tag: number, contents: Uint8Array): Uint8Array {
  const length = contents.length;
  let header: number[];
  if (length < 0x80) header = [tag, length];
  else {
    const bytes: number[] = [];
    for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
    header = [tag, 0x80 | bytes.length, ...bytes];
  }
  const out = new Uint8Array(header.length + length);
  out.set(header);
  out.set(contents, header.length);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** An unsigned big-endian integer's bytes as a DER INTEGER (a 0 byte added if the top bit is set). */
function unsignedInteger(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return element(0x02, trimmed[0] & 0x80 ? concat([new Uint8Array([0]), trimmed]) : trimmed);
}

function objectIdentifier(dotted: string): Uint8Array {
  const arcs = dotted.split(".").map(Number);
  const bytes = [arcs[0] * 40 + arcs[1]];
  for (const arc of arcs.slice(2)) {
    const base128 = [arc & 0x7f];
    for (let rest = Math.floor(arc / 128); rest > 0; rest = Math.floor(rest / 128)) {
      base128.unshift(0x80 | (rest & 0x7f));
    }
    bytes.push(...base128);
  }
  return element(0x06, new Uint8Array(bytes));
}

/** `YYMMDDHHMMSSZ` before 2050, `YYYYMMDDHHMMSSZ` from then on (RFC 5280 §4.1.2.5). */
function time(date: Date): Uint8Array {
  const iso = date.toISOString().replace(/[-:T]/g, "").slice(0, 14) + "Z";
  const year = date.getUTCFullYear();
  return year < 2050
    ? element(0x17, new TextEncoder().encode(iso.slice(2)))
    : element(0x18, new TextEncoder().encode(iso));
}

/** DER constructors, by ASN.1 type name. */
export const der = {
  sequence: (...parts: Uint8Array[]): Uint8Array => element(0x30, concat(parts)),
  set: (...parts: Uint8Array[]): Uint8Array => element(0x31, concat(parts)),
  integer: unsignedInteger,
  smallInteger: (value: number): Uint8Array => unsignedInteger(new Uint8Array([value])),
  boolean: (value: boolean): Uint8Array => element(0x01, new Uint8Array([value ? 0xff : 0])),
  oid: objectIdentifier,
  utf8: (text: string): Uint8Array => element(0x0c, new TextEncoder().encode(text)),
  octets: (bytes: Uint8Array): Uint8Array => element(0x04, bytes),
  /** A BIT STRING of whole bytes, or with `unusedBits` low bits of the last byte unused. */
  bits: (bytes: Uint8Array, unusedBits = 0): Uint8Array =>
    element(0x03, concat([new Uint8Array([unusedBits]), bytes])),
  time,
  /** `[n] EXPLICIT`: a context-specific constructed wrapper. */
  explicit: (n: number, inner: Uint8Array): Uint8Array => element(0xa0 | n, inner),
  /** `[n] IMPLICIT` of a primitive type: a context-specific primitive element. */
  implicit: (n: number, contents: Uint8Array): Uint8Array => element(0x80 | n, contents),
};
