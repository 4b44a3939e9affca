/**
 * The security flags: the ones every listening role takes (`typenet server`, `node`, `gateway`)
 * and the ones every client command takes (`get`, `put`, `call`, `members`, `emit`, `listen`),
 * with their help text and what they become.
 *
 * @example
 * ```ts
 * import { parse } from "./usage.ts";
 * import { SECURITY_FLAGS, securityFrom } from "./security_flags.ts";
 * const { values } = parse(["--token-file", "/etc/typenet/token"], SECURITY_FLAGS);
 * securityFrom(values); // { tokenFile: "/etc/typenet/token", … }
 * ```
 * @module
 */
import { isLoopback } from "../wire/address.ts";
import { parseCidr } from "../net/ip.ts";
import type { SecurityOptions } from "../net/security.ts";
import type { TlsOptions } from "../net/tls.ts";
import type { TokenOptions } from "../net/auth.ts";
import { type ParseOptions, UsageError } from "./usage.ts";

/** Flags of the commands that connect to a role. */
export const CLIENT_SECURITY_FLAGS: ParseOptions = {
  "token-file": { type: "string" },
  "tls-ca": { type: "string" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "tls": { type: "boolean" },
};

/** Flags of the listening roles. */
export const SECURITY_FLAGS: ParseOptions = {
  ...CLIENT_SECURITY_FLAGS,
  "tls-client-ca": { type: "string" },
  "admin-token-file": { type: "string" },
  "allow": { type: "string", multiple: true },
  "insecure": { type: "boolean" },
};

/** `--help` text for {@link CLIENT_SECURITY_FLAGS}. */
export const CLIENT_SECURITY_HELP =
  `  --token-file FILE          prove the token in FILE (default: $TYPENET_TOKEN, if set)
  --tls                      speak TLS, trusting the system's CAs
  --tls-ca FILE              speak TLS, trusting servers whose certificate FILE's CA signed
  --tls-cert FILE            under mutual TLS: this client's certificate (with --tls-key)
  --tls-key FILE             its private key`;

/** `--help` text for {@link SECURITY_FLAGS}. */
export const SECURITY_HELP =
  `  --token-file FILE          demand the token in FILE from every client, and prove it to
                             peers (default: $TYPENET_TOKEN, if set); make one with
                             'typenet token new FILE'
  --admin-token-file FILE    a second token that also unlocks admin operations
  --tls-cert FILE            serve TLS with this certificate (PEM) ...
  --tls-key FILE             ... and its private key (PEM, unencrypted)
  --tls-ca FILE              trust this CA for links to peers (nodes, other servers)
  --tls-client-ca FILE       mutual TLS: demand client certificates signed by this CA
  --allow CIDR               accept only these addresses (repeatable; 10.0.0.0/8, fd00::/8);
                             others are closed before a byte is read
  --insecure                 beyond loopback with no token, accept anyone (without it, such a
                             server accepts clients on its own machine only)`;

/**
 * A listening role's {@link SecurityOptions} from parsed flags. Throws `UsageError` for a bad
 * `--allow` block or a TLS flag without its partner.
 *
 * @example
 * ```ts
 * import { securityFrom } from "./security_flags.ts";
 * securityFrom({ allow: ["10.0.0.0/8"], insecure: false }); // { allow: ["10.0.0.0/8"], … }
 * ```
 */
export function securityFrom(values: Record<string, unknown>): SecurityOptions {
  const allow = values.allow as string[] | undefined;
  for (const block of allow ?? []) {
    try {
      parseCidr(block);
    } catch (error) {
      throw new UsageError(`--allow: ${(error as Error).message}`);
    }
  }
  const tls = tlsFrom(values);
  if (tls && (tls.certFile === undefined || tls.keyFile === undefined)) {
    throw new UsageError("a server's TLS needs --tls-cert and --tls-key");
  }
  return {
    tokenFile: values["token-file"] as string | undefined,
    adminTokenFile: values["admin-token-file"] as string | undefined,
    tls,
    allow,
    insecure: values.insecure === true,
  };
}

/**
 * A client command's token and TLS options from parsed flags.
 *
 * @example
 * ```ts
 * import { clientSecurityFrom } from "./security_flags.ts";
 * clientSecurityFrom({ "tls-ca": "ca.pem" }); // { tokenFile: undefined, tls: { caFile: "ca.pem" } }
 * ```
 */
export function clientSecurityFrom(
  values: Record<string, unknown>,
): TokenOptions & { tls?: TlsOptions } {
  return { tokenFile: values["token-file"] as string | undefined, tls: tlsFrom(values) };
}

function tlsFrom(values: Record<string, unknown>): TlsOptions | undefined {
  const file = (flag: string) => values[flag] as string | undefined;
  const tls: TlsOptions = {
    certFile: file("tls-cert"),
    keyFile: file("tls-key"),
    caFile: file("tls-ca"),
    clientCaFile: file("tls-client-ca"),
  };
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    throw new UsageError("--tls-cert and --tls-key go together");
  }
  const any = Object.values(tls).some((v) => v !== undefined) || values.tls === true;
  return any ? tls : undefined;
}

/**
 * The line a listening role prints about who may connect: protected mode, or a warning that
 * anyone may, or nothing when a token guards it.
 *
 * @example
 * ```ts
 * import { exposureNotice } from "./security_flags.ts";
 * exposureNotice("server", "0.0.0.0", 4444, { protectedMode: true, authenticated: false, tls: false });
 * ```
 */
export function exposureNotice(
  command: string,
  host: string,
  port: number,
  state: { protectedMode: boolean; authenticated: boolean; tls: boolean },
): string | undefined {
  if (state.protectedMode) {
    return `typenet ${command}: protected mode: listening on ${host} without a token, so only ` +
      `clients on this machine are accepted; --token-file FILE accepts clients that prove ` +
      `the token, --insecure accepts anyone who can reach it`;
  }
  if (isLoopback(host)) return undefined;
  if (!state.authenticated) {
    return `typenet ${command}: warning: --insecure: anyone who can reach ${host}:${port} ` +
      `can use this server (no token${state.tls ? "" : ", no encryption"})`;
  }
  if (!state.tls) {
    return `typenet ${command}: warning: no TLS: clients prove the token, but what they send ` +
      `can be read on the network (--tls-cert and --tls-key encrypt it)`;
  }
  return undefined;
}
