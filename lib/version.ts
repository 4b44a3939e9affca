/**
 * typenet's release version and the wire protocol version it speaks.
 *
 * `VERSION` follows semver and must match `deno.json` (a test checks it).
 * `PROTOCOL_VERSION` changes only when the wire format changes incompatibly;
 * a peer speaking another protocol version is refused at the hello.
 *
 * @example
 * ```ts
 * import { PROTOCOL_VERSION, VERSION } from "./version.ts";
 * console.log(`typenet ${VERSION} (protocol ${PROTOCOL_VERSION})`);
 * ```
 * @module
 */

/** The typenet release version. */
export const VERSION = "0.1.0";

/** The wire protocol version sent in every hello. */
export const PROTOCOL_VERSION = 2;
