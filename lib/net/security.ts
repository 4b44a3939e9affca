/**
 * The security options every listening role takes (the list server, a cluster node, the
 * gateway), and what they mean for its listener and for the links it opens to its peers.
 *
 * - A token (`token`, `tokenFile`, else `TYPENET_TOKEN`) is demanded from every client and
 *   proven on every link the role opens itself; an admin token also unlocks admin operations.
 * - TLS (`tls.certFile`/`keyFile`) serves TLS; the role's own links trust `tls.caFile` and,
 *   under mutual TLS (`tls.clientCaFile`), present the role's certificate.
 * - Protected mode: beyond loopback, with no token and no `insecure`, only clients on the same
 *   machine are accepted.
 *
 * @example
 * ```ts
 * import { listenerSecurity, linkSecurity } from "./security.ts";
 * const options = { tokenFile: "/etc/typenet/token", tls: { certFile: "a.pem", keyFile: "a.key", caFile: "ca.pem" } };
 * const listen = listenerSecurity(options, "0.0.0.0"); // for Server.listen
 * const links = linkSecurity(options); // for connect / ConnectionPool
 * ```
 * @module
 */
import { isLoopback } from "../wire/address.ts";
import { readToken, resolveToken, type TokenOptions } from "./auth.ts";
import type { TlsOptions } from "./tls.ts";

/** What a listening role accepts; see the module docs. */
export interface SecurityOptions extends TokenOptions {
  /** Serve (and link over) TLS. */
  tls?: TlsOptions;
  /** The admin token, granting admin operations (closing a gateway, dropping a list). */
  adminToken?: string;
  /** A file holding the admin token. */
  adminTokenFile?: string;
  /** Accept only these address blocks (`"192.168.1.0/24"`, `"fd00::/8"`); others closed unread. */
  allow?: string[];
  /** Beyond loopback with no token: accept anyone anyway (no protected mode). */
  insecure?: boolean;
}

/** The listener's part of {@link SecurityOptions}, resolved. */
export interface ListenerSecurity {
  tls?: TlsOptions;
  token?: string;
  adminToken?: string;
  allow?: string[];
  protectedMode: boolean;
}

/**
 * Resolve tokens (reading files and `TYPENET_TOKEN`) for a listener on `hostname`. Throws
 * `BadArgument` for an unreadable or too-short token.
 *
 * @example
 * ```ts
 * import { listenerSecurity } from "./security.ts";
 * listenerSecurity({}, "0.0.0.0").protectedMode; // true
 * ```
 */
export function listenerSecurity(options: SecurityOptions, hostname: string): ListenerSecurity {
  const token = resolveToken(options);
  const adminToken = options.adminToken ??
    (options.adminTokenFile === undefined ? undefined : readToken(options.adminTokenFile));
  const authenticated = token !== undefined || adminToken !== undefined;
  return {
    tls: options.tls,
    token,
    adminToken,
    allow: options.allow,
    protectedMode: !authenticated && !options.insecure && !isLoopback(hostname),
  };
}

/** What a role's own links to its peers use. */
export interface LinkSecurity {
  token?: string;
  tls?: TlsOptions;
}

/**
 * The token and TLS settings for links a role opens to others of its kind. Pass the token
 * {@link listenerSecurity} resolved, so that its file is read once.
 *
 * @example
 * ```ts
 * import { linkSecurity } from "./security.ts";
 * linkSecurity({ token: "0123456789abcdef0123" }); // { token: "0123456789abcdef0123", tls: undefined }
 * ```
 */
export function linkSecurity(
  options: SecurityOptions,
  token: string | undefined = resolveToken(options),
): LinkSecurity {
  const tls = options.tls;
  return {
    token,
    tls: tls && {
      ca: tls.ca,
      caFile: tls.caFile,
      serverName: tls.serverName,
      // Under mutual TLS our peers demand a certificate: ours.
      ...(tls.clientCaFile !== undefined || tls.clientCa !== undefined
        ? { cert: tls.cert, certFile: tls.certFile, key: tls.key, keyFile: tls.keyFile }
        : {}),
    },
  };
}
