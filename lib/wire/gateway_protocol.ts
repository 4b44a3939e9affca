/**
 * What a gateway and its clients agree on: operation names and the shapes of their arguments.
 * User values (arguments, results, stream payloads, pings) travel as `bin`s holding encoded
 * values, so the gateway never decodes them — the Worker that runs the subroutine does.
 *
 * docs/PROTOCOL.md §17 is the specification.
 *
 * @example
 * ```ts
 * import { GatewayOp } from "./gateway_protocol.ts";
 * GatewayOp.Call; // "gw.call"
 * ```
 * @module
 */

/** The role a gateway announces in its WELCOME. */
export const GATEWAY_ROLE = "gateway";

/** The default gateway port (pynetwork's). */
export const DEFAULT_GATEWAY_PORT = 1857;

/** Operation names. */
export const GatewayOp = {
  /** `[waitMs]` → `{ handler, subroutines }`: take a handler (a Worker) for this connection. */
  Acquire: "gw.acquire",
  /** `[handler]`: give it back. */
  Release: "gw.release",
  /** `[payload]` → the same `payload` (a bin): an echo, on the main thread. */
  Ping: "gw.ping",
  /** `[handler, name, args]` → the encoded result of `name(...args)`. */
  Call: "gw.call",
  /** `[handler, name, args, buffer]` → the encoded result of `name(...args, { buffer })`. */
  Send: "gw.send",
  /** Stream `[handler, name, args, latest]` → items `[ident, payload, skipped]`. */
  Stream: "gw.stream",
  /** `[]`: stop the gateway (admin). */
  Close: "gw.close",
} as const;

/** The file operations, on the gateway's shared folder (`--root`). */
export const FileOp = {
  /** `[folder]` → a bin: every file under it, `[path, size, mtimeMs, mode]`, path relative. */
  List: "gw.files.list",
  /** `[path]` → `{ size, mtimeMs, mode }`. */
  Stat: "gw.files.stat",
  /** `[path, length | nil]` → the SHA-256 (hex) of its first `length` bytes (nil: all). */
  Hash: "gw.files.hash",
  /** Stream `[path, offset, length | nil, withSha256?]` → chunks of its bytes. */
  Read: "gw.files.read",
  /** Stream `[paths]` → `[index, bytes | nil, sha256 | nil]` per path: small files whole. */
  ReadMany: "gw.files.readMany",
  /** `[path, size, mtimeMs, mode, sha256, restart]` → `{ done, have, haveSha256 }`. */
  Put: "gw.files.put",
  /** `[path, offset, bytes]`: append to the upload. */
  Write: "gw.files.write",
  /** `[path]`: check the upload and make it the file. */
  Commit: "gw.files.commit",
} as const;
