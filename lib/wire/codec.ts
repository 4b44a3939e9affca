/**
 * msgpack, wrapped once: the only module that names the msgpack dependency.
 *
 * Two codecs live here, for two kinds of data:
 * - *messages* (frame bodies): the protocol's own arrays and maps. Binary fields decode as views
 *   into the frame's buffer (no copy); whoever keeps one must copy it.
 * - *values* (what users store): encoded on the client into bytes that servers keep as opaque
 *   bytes and never decode. bigints travel as msgpack int64/uint64; binary values decode into
 *   their own memory, so a kept `Uint8Array` never pins a network buffer.
 *
 * Encoders and decoders are reused (about 3× faster than msgpack's one-shot functions). Every
 * decode is checked first against the bounds of decode_bounds.ts (depth, counts, memory), so
 * no input can make decoding cost more than a small multiple of its size.
 *
 * @example
 * ```ts
 * import { decodeValue, encodeValue } from "./codec.ts";
 * const bytes = encodeValue({ n: 1n, at: new Date(0) });
 * console.log(decodeValue(bytes)); // { n: 1n, at: 1970-01-01T00:00:00.000Z }
 * ```
 * @module
 */
import { Decoder, Encoder, ExtData, ExtensionCodec } from "npm:@msgpack/msgpack@3.1.3";
import {
  checkDecodeBounds,
  type DecodeBounds,
  MESSAGE_BOUNDS,
  VALUE_BOUNDS,
} from "./decode_bounds.ts";
import { BadArgument, LimitExceeded, ProtocolError } from "./errors.ts";
import { NOT_SCALAR, readScalar, ScalarWriter } from "./scalars.ts";

/**
 * A msgpack extension value of a type this codec does not know; written back unchanged.
 *
 * @example
 * ```ts
 * import { ExtData } from "./codec.ts";
 * const raw = new ExtData(42, new Uint8Array([1]));
 * ```
 */
export { ExtData };

const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

/** Refuse objects msgpack would silently flatten (Map → {}, Uint16Array → bytes, class → map). */
function refuseLossyObjects(object: unknown): null {
  if (typeof object !== "object" || object === null) return null;
  if (object instanceof Uint8Array || Array.isArray(object) || object instanceof ExtData) {
    return null;
  }
  const proto = Object.getPrototypeOf(object);
  if (proto === Object.prototype || proto === null) return null;
  const kind = Object.prototype.toString.call(object).slice(8, -1);
  throw new BadArgument(
    `cannot encode a ${kind}: values may be null, booleans, numbers, bigints, strings, ` +
      `Uint8Array, Date, arrays and plain objects`,
  );
}

const valueExtensions = new ExtensionCodec();
// The guard sits in slot 0 but never writes type 0: it returns null (encode normally) or
// throws. Values of extension type 0 from other writers decode as ExtData, like any type this
// codec does not know, and can be written back unchanged.
valueExtensions.register({
  type: 0,
  encode: refuseLossyObjects,
  decode: (data, type) => new ExtData(type, data.slice()),
});

/** The parts of msgpack's classes we extend; they are private in its type declarations. */
interface EncoderInternals {
  encodeBigInt64(value: bigint): void;
}
interface DecoderInternals {
  decodeBinary(byteLength: number, headOffset: number): Uint8Array;
}

class ValueEncoder extends Encoder {}
Object.defineProperty(ValueEncoder.prototype, "encodeBigInt64", {
  value(this: EncoderInternals, value: bigint) {
    if (value < INT64_MIN || value > UINT64_MAX) {
      throw new BadArgument(`bigint ${value} is outside msgpack's 64-bit integer range`);
    }
    (Encoder.prototype as unknown as EncoderInternals).encodeBigInt64.call(this, value);
  },
});

class OwningDecoder extends Decoder {}
Object.defineProperty(OwningDecoder.prototype, "decodeBinary", {
  value(this: DecoderInternals, byteLength: number, headOffset: number) {
    const view = (Decoder.prototype as unknown as DecoderInternals).decodeBinary.call(
      this,
      byteLength,
      headOffset,
    );
    return view.slice();
  },
});

const valueEncoder = new ValueEncoder({ useBigInt64: true, extensionCodec: valueExtensions });
const valueDecoder = new OwningDecoder({ useBigInt64: true, extensionCodec: valueExtensions });

const messageEncoder = new Encoder();
const messageDecoder = new Decoder();

/** Encodes top-level scalars on the fast path; reused, taken after each value. */
const scalarWriter = new ScalarWriter();

/**
 * Encode a user value into bytes of its own (a copy, safe to keep).
 * Throws `BadArgument` for what msgpack cannot carry without loss (functions, symbols, Map,
 * Set, class instances, typed arrays other than Uint8Array, bigints beyond 64 bits), and for
 * what no reader would decode (nested over 100 deep, or expanding over `VALUE_BOUNDS`).
 *
 * @example
 * ```ts
 * import { encodeValue } from "./codec.ts";
 * encodeValue("test"); // Uint8Array [164, 116, 101, 115, 116]
 * ```
 */
export function encodeValue(value: unknown): Uint8Array {
  if (scalarWriter.write(value)) return scalarWriter.take();
  return encodeValueShared(value).slice();
}

/**
 * Encode a user value with the msgpack library into its shared buffer: the result is valid
 * until the next call. Prefer {@link encodeValue}, or `ValueBatchWriter` for many values.
 *
 * @example
 * ```ts
 * import { encodeValueShared } from "./codec.ts";
 * const copy = encodeValueShared({ a: 1 }).slice();
 * ```
 */
export function encodeValueShared(value: unknown): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = valueEncoder.encodeSharedRef(value);
    // What readers would refuse to decode is refused here, when the writer can still act.
    checkDecodeBounds(bytes, VALUE_BOUNDS);
  } catch (error) {
    if (error instanceof BadArgument) throw error;
    throw new BadArgument(`cannot encode value: ${(error as Error).message}`);
  }
  return bytes;
}

/**
 * Decode bytes made by {@link encodeValue}. Binary values in the result own their memory.
 *
 * @example
 * ```ts
 * import { decodeValue, encodeValue } from "./codec.ts";
 * decodeValue(encodeValue([1, "a"])); // [1, "a"]
 * ```
 */
export function decodeValue(bytes: Uint8Array): unknown {
  return decodeValueAt(bytes, 0, bytes.length);
}

/**
 * Decode the one value in `bytes[start:end]` (a value inside a batch) without a view per call
 * on the fast path. Malformed input raises `ProtocolError`; a value past `VALUE_BOUNDS`
 * (too deep, or a "bomb" that would expand far beyond its size) raises `LimitExceeded`.
 *
 * @example
 * ```ts
 * import { decodeValueAt } from "./codec.ts";
 * decodeValueAt(new Uint8Array([0xc0, 0x01]), 1, 2); // 1
 * ```
 */
export function decodeValueAt(bytes: Uint8Array, start: number, end: number): unknown {
  const scalar = readScalar(bytes, start, end);
  if (scalar !== NOT_SCALAR) return scalar;
  try {
    checkDecodeBounds(bytes, VALUE_BOUNDS, start, end);
    return valueDecoder.decode(bytes.subarray(start, end));
  } catch (error) {
    if (error instanceof LimitExceeded) throw error;
    throw new ProtocolError(`stored value is not valid msgpack: ${(error as Error).message}`);
  }
}

/**
 * Encode a protocol message. The result is a view into a shared buffer that the next call
 * overwrites: copy it (the frame writer does) before encoding again.
 *
 * @example
 * ```ts
 * import { encodeMessageShared } from "./codec.ts";
 * const bytes = encodeMessageShared([2, 1, "ping", []]).slice();
 * ```
 */
export function encodeMessageShared(message: unknown): Uint8Array {
  return messageEncoder.encodeSharedRef(message);
}

/**
 * Decode a protocol message. Binary fields are views into `bytes`; copy what you keep.
 * Malformed input raises `ProtocolError`, and input past `MESSAGE_BOUNDS` (nested over 32
 * deep, over 2^20 values or 2^15 objects, or over 4× its size + 64 KiB once decoded)
 * raises `LimitExceeded` before anything is built.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessageShared } from "./codec.ts";
 * decodeMessage(encodeMessageShared([3, 1, "pong"])); // [3, 1, "pong"]
 * ```
 */
export function decodeMessage(bytes: Uint8Array): unknown {
  checkDecodeBounds(bytes, MESSAGE_BOUNDS);
  try {
    return messageDecoder.decode(bytes);
  } catch (error) {
    throw new ProtocolError(`malformed message: ${(error as Error).message}`);
  }
}

/**
 * Decode protocol data that travels as a `bin` inside a message (a role's bulk structures, such
 * as a cluster's membership packets) within `bounds` of its own. Like a message: binary fields
 * are views into `bytes`, and 64-bit integers become numbers. Malformed input raises
 * `ProtocolError`, input past `bounds` raises `LimitExceeded`.
 *
 * @example
 * ```ts
 * import { decodeBounded, encodeMessageShared } from "./codec.ts";
 * import { MESSAGE_BOUNDS } from "./decode_bounds.ts";
 * decodeBounded(encodeMessageShared({ a: [1, 2] }).slice(), MESSAGE_BOUNDS); // { a: [1, 2] }
 * ```
 */
export function decodeBounded(bytes: Uint8Array, bounds: Readonly<DecodeBounds>): unknown {
  checkDecodeBounds(bytes, bounds);
  try {
    return messageDecoder.decode(bytes);
  } catch (error) {
    throw new ProtocolError(`malformed ${bounds.what}: ${(error as Error).message}`);
  }
}
