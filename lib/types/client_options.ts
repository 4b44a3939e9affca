/**
 * What every data-type client (`List`, `Dict`) takes to reach its servers — timeouts, frame
 * limit, token, TLS — and the connection options they become.
 *
 * @example
 * ```ts
 * import { linkOptions } from "./client_options.ts";
 * linkOptions({ requestTimeoutMs: 2000, tokenFile: "/etc/typenet/token" });
 * ```
 * @module
 */
import type { TokenOptions } from "../net/auth.ts";
import type { ConnectOptions } from "../net/connect.ts";
import type { Timeouts } from "../net/limits.ts";
import type { TlsOptions } from "../net/tls.ts";

/** Options shared by `List.open` and `Dict.open`. */
export interface ClientOptions extends Partial<Timeouts>, TokenOptions {
  /** Speak TLS: `{ caFile }` trusts the CA that signed the servers' certificates. */
  tls?: TlsOptions;
  /**
   * The largest frame this client accepts (default 16 MiB); servers size what they send to
   * it. A small device can ask for less; a single value must still fit.
   */
  maxFrameBytes?: number;
}

/**
 * The connection options for a client's links to its servers.
 *
 * @example
 * ```ts
 * import { linkOptions } from "./client_options.ts";
 * linkOptions({ connectTimeoutMs: 1000 }).connectTimeoutMs; // 1000
 * ```
 */
export function linkOptions(options: ClientOptions): ConnectOptions {
  return {
    connectTimeoutMs: options.connectTimeoutMs,
    requestTimeoutMs: options.requestTimeoutMs,
    maxFrameBytes: options.maxFrameBytes,
    token: options.token,
    tokenFile: options.tokenFile,
    tls: options.tls,
  };
}
