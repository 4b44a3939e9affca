/**
 * A temporary folder of what a secured deployment needs: a CA, a server certificate for
 * 127.0.0.1/::1/localhost, a client certificate, a certificate from another CA, an expired
 * one, and token files. Made in the test with WebCrypto (no openssl).
 *
 * @example
 * ```ts
 * import { makeSecrets } from "./secrets.ts";
 * await using secrets = await makeSecrets();
 * console.log(secrets.path("ca.pem"));
 * ```
 * @module
 */
import { newAuthority, newCertificate } from "../../lib/net/certificates.ts";
import { newToken } from "../../lib/net/auth.ts";

const DAY_MS = 86_400_000;
const LOCAL_HOSTS = ["127.0.0.1", "::1", "localhost"];

/** The folder and its files; removed on dispose. */
export interface Secrets extends AsyncDisposable {
  /** The folder. */
  dir: string;
  /** A file in it: ca.pem, server.pem/.key, client.pem/.key, foreign.pem/.key (another CA),
   * expired.pem/.key, token, admin-token. */
  path(name: string): string;
  /** The user token. */
  token: string;
  /** The admin token. */
  adminToken: string;
}

/** Make the folder (see the module docs). */
export async function makeSecrets(): Promise<Secrets> {
  const dir = await Deno.makeTempDir({ prefix: "typenet-secrets-" });
  const path = (name: string) => `${dir}/${name}`;
  const ca = await newAuthority("typenet test CA");
  const foreignCa = await newAuthority("someone else's CA");
  const now = Date.now();
  const files: Record<string, string> = { "ca.pem": ca.certPem };
  const issue = async (
    name: string,
    authority: typeof ca,
    validity: { notBefore?: Date; notAfter?: Date } = {},
  ) => {
    const issued = await newCertificate(authority, { name, hosts: LOCAL_HOSTS, ...validity });
    files[`${name}.pem`] = issued.certPem;
    files[`${name}.key`] = issued.keyPem;
  };
  await issue("server", ca);
  await issue("client", ca);
  await issue("foreign", foreignCa);
  await issue("expired", ca, {
    notBefore: new Date(now - 3 * DAY_MS),
    notAfter: new Date(now - DAY_MS),
  });
  const token = newToken();
  const adminToken = newToken();
  files["token"] = `${token}\n`;
  files["admin-token"] = `${adminToken}\n`;
  for (const [name, text] of Object.entries(files)) {
    await Deno.writeTextFile(path(name), text, { mode: 0o600 });
  }
  return {
    dir,
    path,
    token,
    adminToken,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}
