/**
 * The limits every typenet listener enforces, with their defaults. They bound what one
 * misbehaving or malicious peer can cost a server: memory (frame size, in-flight work),
 * sockets (connections) and time (handshake).
 *
 * @example
 * ```ts
 * import { DEFAULT_LIMITS, type Limits } from "./limits.ts";
 * const limits: Limits = { ...DEFAULT_LIMITS, maxConnections: 64 };
 * ```
 * @module
 */
import { DEFAULT_MAX_FRAME_BYTES } from "../wire/frame.ts";

/** Server-side limits. */
export interface Limits {
  /** Largest frame body accepted after the hello; larger ones close the connection. */
  maxFrameBytes: number;
  /** Open connections at once; more are told `LIMIT` and closed. */
  maxConnections: number;
  /** Open connections from one IP address at once; more are told `LIMIT` and closed. */
  maxConnectionsPerAddress: number;
  /**
   * Requests one connection may have waiting on an answer (async handlers); beyond it the
   * server stops reading that connection until one finishes (backpressure, not an error).
   */
  maxInFlight: number;
  /** Streams one connection may have open; one more is refused with `LIMIT`. */
  maxStreams: number;
  /** Time a new connection has to finish its TLS handshake, and then its hello. */
  handshakeTimeoutMs: number;
  /**
   * A connection that sends nothing and waits for nothing this long after its hello is told
   * `TIMEOUT` and closed; 0 keeps idle connections forever.
   */
  idleTimeoutMs: number;
}

/** Safe defaults for a laptop or a Raspberry Pi. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  maxConnections: 1024,
  maxConnectionsPerAddress: 256,
  maxInFlight: 256,
  maxStreams: 256,
  handshakeTimeoutMs: 10_000,
  idleTimeoutMs: 300_000,
});

/** The frame limit before the hello: a hello is small, and garbage must not cost memory. */
export const HELLO_MAX_FRAME_BYTES = 64 * 1024;

/** Output bytes queued on one connection above which it stops taking more work. */
export const WRITE_HIGH_WATER_BYTES = 8 * 1024 * 1024;

/** A peer that reads none of that output for this long is disconnected. */
export const WRITE_STALL_MS = 30_000;

/** Client-side timeouts. */
export interface Timeouts {
  /** Time to open the TCP connection and finish the hello. */
  connectTimeoutMs: number;
  /** Time a request may wait for its answer (and a stream for its next item). */
  requestTimeoutMs: number;
}

/** Default client timeouts. */
export const DEFAULT_TIMEOUTS: Readonly<Timeouts> = Object.freeze({
  connectTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
});
