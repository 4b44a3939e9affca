/**
 * Make a private certificate authority and certificates signed by it (ECDSA P-256, X.509 v3),
 * with nothing but WebCrypto: `typenet cert` and the tests use it, so that no machine needs
 * openssl to run typenet over TLS.
 *
 * Leaf certificates carry what TLS libraries insist on: a subjectAltName naming every host
 * (IP addresses and DNS names), `CA:FALSE`, and both server and client use, so one certificate
 * serves a node that listens and connects.
 *
 * @example
 * ```ts
 * import { newAuthority, newCertificate } from "./certificates.ts";
 * const ca = await newAuthority("my cluster");
 * const server = await newCertificate(ca, { name: "pi-1", hosts: ["192.168.1.21", "pi-1.local"] });
 * await Deno.writeTextFile("ca.pem", ca.certPem);
 * await Deno.writeTextFile("pi-1.pem", server.certPem);
 * await Deno.writeTextFile("pi-1.key", server.keyPem);
 * ```
 * @module
 */
import { Buffer } from "node:buffer";
import { X509Certificate } from "node:crypto";
import { der } from "./der.ts";
import { ipBytes } from "./ip.ts";

const ECDSA = { name: "ECDSA", namedCurve: "P-256" } as const;
const OID = {
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  commonName: "2.5.4.3",
  basicConstraints: "2.5.29.19",
  keyUsage: "2.5.29.15",
  extendedKeyUsage: "2.5.29.37",
  subjectAltName: "2.5.29.17",
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
};
const DAY_MS = 86_400_000;

/** A certificate and its private key, both PEM. */
export interface IssuedCertificate {
  /** The certificate, `-----BEGIN CERTIFICATE-----…`. */
  certPem: string;
  /** The private key (PKCS #8, unencrypted), `-----BEGIN PRIVATE KEY-----…`. */
  keyPem: string;
}

/** An authority: its certificate, and what it needs to sign others. */
export interface Authority extends IssuedCertificate {
  /** Its subject, which becomes every issued certificate's issuer. */
  readonly name: Uint8Array;
  /** Its signing key. */
  readonly privateKey: CryptoKey;
}

/** Validity, for tests of expired and not-yet-valid certificates. */
export interface Validity {
  /** Default: an hour ago (clock skew). */
  notBefore?: Date;
  /** Default: `days` from now. */
  notAfter?: Date;
  /** Lifetime when `notAfter` is not given (default 825 days for leaves, 3650 for authorities). */
  days?: number;
}

/** What a leaf certificate names. */
export interface CertificateRequest extends Validity {
  /** The common name (informational). */
  name: string;
  /** The IP addresses and DNS names clients will connect to. */
  hosts: string[];
}

/**
 * A new self-signed authority.
 *
 * @example
 * ```ts
 * import { newAuthority } from "./certificates.ts";
 * const ca = await newAuthority("typenet test CA");
 * ```
 */
export async function newAuthority(name: string, validity: Validity = {}): Promise<Authority> {
  const keys = await crypto.subtle.generateKey(ECDSA, true, ["sign", "verify"]);
  const subject = distinguishedName(name);
  const extensions = [
    extension(OID.basicConstraints, true, der.sequence(der.boolean(true))),
    // keyCertSign and cRLSign: bits 5 and 6.
    extension(OID.keyUsage, true, der.bits(new Uint8Array([0x06]), 1)),
  ];
  const certPem = await sign(subject, subject, keys.publicKey, keys.privateKey, extensions, {
    days: 3650,
    ...validity,
  });
  return { certPem, keyPem: await keyPem(keys.privateKey), name: subject, ...keys };
}

/**
 * A certificate for a server, a client or a node, signed by `authority`. Throws `RangeError`
 * without hosts.
 *
 * @example
 * ```ts
 * import { newAuthority, newCertificate } from "./certificates.ts";
 * const ca = await newAuthority("test");
 * const leaf = await newCertificate(ca, { name: "localhost", hosts: ["127.0.0.1", "localhost"] });
 * ```
 */
export async function newCertificate(
  authority: Authority,
  request: CertificateRequest,
): Promise<IssuedCertificate> {
  if (request.hosts.length === 0) {
    throw new RangeError("a certificate must name at least one host (an IP address or a name)");
  }
  const keys = await crypto.subtle.generateKey(ECDSA, true, ["sign", "verify"]);
  const altNames = request.hosts.map((host) => {
    const ip = ipBytes(host);
    return ip ? der.implicit(7, ip) : der.implicit(2, new TextEncoder().encode(host));
  });
  const extensions = [
    extension(OID.basicConstraints, true, der.sequence()),
    // digitalSignature: bit 0.
    extension(OID.keyUsage, true, der.bits(new Uint8Array([0x80]), 7)),
    extension(
      OID.extendedKeyUsage,
      false,
      der.sequence(der.oid(OID.serverAuth), der.oid(OID.clientAuth)),
    ),
    extension(OID.subjectAltName, false, der.sequence(...altNames)),
  ];
  const certPem = await sign(
    distinguishedName(request.name),
    authority.name,
    keys.publicKey,
    authority.privateKey,
    extensions,
    { days: 825, ...request },
  );
  return { certPem, keyPem: await keyPem(keys.privateKey) };
}

/**
 * An authority made by {@link newAuthority} (and saved as PEM), loaded to sign again. Throws
 * `RangeError` if the key is not an ECDSA P-256 PKCS #8 key or the certificate has no CN.
 *
 * @example
 * ```ts
 * import { loadAuthority } from "./certificates.ts";
 * const ca = await loadAuthority(Deno.readTextFileSync("ca.pem"), Deno.readTextFileSync("ca.key"));
 * ```
 */
export async function loadAuthority(certPem: string, keyPem: string): Promise<Authority> {
  const commonName = new X509Certificate(certPem).subject.match(/^CN=(.*)$/m)?.[1];
  if (commonName === undefined) throw new RangeError("the CA certificate has no common name");
  const body = keyPem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  let privateKey: CryptoKey;
  try {
    privateKey = await crypto.subtle.importKey(
      "pkcs8",
      Buffer.from(body, "base64"),
      ECDSA,
      true,
      ["sign"],
    );
  } catch {
    throw new RangeError("the CA key must be an unencrypted ECDSA P-256 key (PKCS #8 PEM)");
  }
  return {
    certPem,
    keyPem,
    name: distinguishedName(commonName),
    privateKey,
  };
}

function distinguishedName(commonName: string): Uint8Array {
  return der.sequence(der.set(der.sequence(der.oid(OID.commonName), der.utf8(commonName))));
}

function extension(oid: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical
    ? der.sequence(der.oid(oid), der.boolean(true), der.octets(value))
    : der.sequence(der.oid(oid), der.octets(value));
}

async function sign(
  subject: Uint8Array,
  issuer: Uint8Array,
  publicKey: CryptoKey,
  signingKey: CryptoKey,
  extensions: Uint8Array[],
  validity: Validity,
): Promise<string> {
  const now = Date.now();
  const notBefore = validity.notBefore ?? new Date(now - 3_600_000);
  const notAfter = validity.notAfter ?? new Date(now + (validity.days ?? 825) * DAY_MS);
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] &= 0x7f;
  const algorithm = der.sequence(der.oid(OID.ecdsaWithSha256));
  const spki = new Uint8Array(await crypto.subtle.exportKey("spki", publicKey));
  const tbs = der.sequence(
    der.explicit(0, der.smallInteger(2)),
    der.integer(serial),
    algorithm,
    issuer,
    der.sequence(der.time(notBefore), der.time(notAfter)),
    subject,
    spki,
    der.explicit(3, der.sequence(...extensions)),
  );
  const raw = new Uint8Array(
    await crypto.subtle.sign(
      { name: "ECDSA", hash: "SHA-256" },
      signingKey,
      tbs as Uint8Array<ArrayBuffer>,
    ),
  );
  // WebCrypto gives r‖s; X.509 wants SEQUENCE { INTEGER r, INTEGER s }.
  const signature = der.sequence(der.integer(raw.subarray(0, 32)), der.integer(raw.subarray(32)));
  return pem("CERTIFICATE", der.sequence(tbs, algorithm, der.bits(signature)));
}

async function keyPem(privateKey: CryptoKey): Promise<string> {
  return pem("PRIVATE KEY", new Uint8Array(await crypto.subtle.exportKey("pkcs8", privateKey)));
}

function pem(label: string, bytes: Uint8Array): string {
  const lines = Buffer.from(bytes).toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
