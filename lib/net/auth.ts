/**
 * Tokens, and the HMAC challenge-response that proves one without sending it.
 *
 * Both sides send a fresh 32-byte random nonce; each proves the token by an HMAC-SHA256 over
 * both nonces under a label naming its side, so a recorded proof is worthless on the next
 * connection (the other side's nonce differs) and a client knows the server holds the token too.
 * docs/PROTOCOL.md §4.1 gives the exact bytes.
 *
 * @example
 * ```ts
 * import { proofOf, nonce, tokenKey } from "./auth.ts";
 * const key = await tokenKey("correct horse battery staple");
 * const client = nonce(), server = nonce();
 * const proof = await proofOf(key, "client", client, server); // 32 bytes
 * ```
 * @module
 */
import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from "node:crypto";
import { BadArgument } from "../wire/errors.ts";

/** Bytes of each side's nonce. */
export const NONCE_BYTES = 32;

/** Shortest token accepted: shorter ones are guessable. */
export const MIN_TOKEN_CHARS = 16;

/** The environment variable every role and client falls back to. */
export const TOKEN_ENV = "TYPENET_TOKEN";

/** Where a token may come from; the first one given wins, then `TYPENET_TOKEN`. */
export interface TokenOptions {
  /** The token itself. */
  token?: string;
  /** A file holding the token (surrounding whitespace ignored). */
  tokenFile?: string;
}

/** A token ready to prove: an HMAC key. */
export type TokenKey = KeyObject;

/**
 * The token `options` name, else `TYPENET_TOKEN` (when the environment may be read), else
 * `undefined`. Throws `BadArgument` for an unreadable file or a token that is too short.
 *
 * @example
 * ```ts
 * import { resolveToken } from "./auth.ts";
 * const token = resolveToken({ tokenFile: "/etc/typenet/token" });
 * ```
 */
export function resolveToken(options: TokenOptions, useEnvironment = true): string | undefined {
  let token = options.token;
  if (token === undefined && options.tokenFile !== undefined) {
    token = readToken(options.tokenFile);
  }
  if (token === undefined && useEnvironment) token = environmentToken();
  if (token === undefined) return undefined;
  return checkToken(token.trim(), options.tokenFile ?? (options.token ? "the token" : TOKEN_ENV));
}

/**
 * Read a token file. Throws `BadArgument` naming the file.
 *
 * @example
 * ```ts
 * import { readToken } from "./auth.ts";
 * const token = readToken("/etc/typenet/token");
 * ```
 */
export function readToken(path: string): string {
  try {
    return checkToken(Deno.readTextFileSync(path).trim(), path);
  } catch (error) {
    if (error instanceof BadArgument) throw error;
    throw new BadArgument(`cannot read the token file ${path}: ${(error as Error).message}`);
  }
}

function checkToken(token: string, source: string): string {
  if (token.length < MIN_TOKEN_CHARS) {
    throw new BadArgument(
      `the token from ${source} is too short (${token.length} characters; at least ` +
        `${MIN_TOKEN_CHARS}): make one with 'typenet token new FILE'`,
    );
  }
  return token;
}

function environmentToken(): string | undefined {
  // Without --allow-env the variable is simply not consulted (asking would prompt or throw).
  const state = Deno.permissions.querySync({ name: "env", variable: TOKEN_ENV }).state;
  if (state !== "granted") return undefined;
  const value = Deno.env.get(TOKEN_ENV);
  return value === undefined || value.trim() === "" ? undefined : value;
}

/**
 * Import `token` as an HMAC-SHA256 key (its UTF-8 bytes).
 *
 * @example
 * ```ts
 * import { tokenKey } from "./auth.ts";
 * const key = await tokenKey("0123456789abcdef0123");
 * ```
 */
export function tokenKey(token: string): Promise<TokenKey> {
  return Promise.resolve(createSecretKey(new TextEncoder().encode(token)));
}

/**
 * 32 random bytes.
 *
 * @example
 * ```ts
 * import { nonce } from "./auth.ts";
 * nonce().length; // 32
 * ```
 */
export function nonce(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
}

/** `"typenet client proof"` / `"typenet server proof"`, a 0 byte, the client's nonce, the server's. */
function proofInput(side: "client" | "server", clientNonce: Uint8Array, serverNonce: Uint8Array) {
  const label = new TextEncoder().encode(`typenet ${side} proof\0`);
  const input = new Uint8Array(label.length + clientNonce.length + serverNonce.length);
  input.set(label);
  input.set(clientNonce, label.length);
  input.set(serverNonce, label.length + clientNonce.length);
  return input;
}

/**
 * The proof `side` sends: HMAC-SHA256 under the token of the label and both nonces.
 *
 * @example
 * ```ts
 * import { nonce, proofOf, tokenKey } from "./auth.ts";
 * const proof = await proofOf(await tokenKey("0123456789abcdef0123"), "client", nonce(), nonce());
 * ```
 */
export function proofOf(
  key: TokenKey,
  side: "client" | "server",
  clientNonce: Uint8Array,
  serverNonce: Uint8Array,
): Promise<Uint8Array> {
  // node:crypto's HMAC runs in a few microseconds, synchronously; WebCrypto's took a round
  // through a worker thread for each of the handshake's three HMACs (~0.2 ms each here).
  const digest = createHmac("sha256", key).update(proofInput(side, clientNonce, serverNonce));
  return Promise.resolve(new Uint8Array(digest.digest()));
}

/**
 * Whether `proof` is `side`'s proof under `key` (compared in constant time).
 *
 * @example
 * ```ts
 * import { checkProof, nonce, proofOf, tokenKey } from "./auth.ts";
 * const key = await tokenKey("0123456789abcdef0123");
 * const c = nonce(), s = nonce();
 * await checkProof(key, "client", c, s, await proofOf(key, "client", c, s)); // true
 * ```
 */
export function checkProof(
  key: TokenKey,
  side: "client" | "server",
  clientNonce: Uint8Array,
  serverNonce: Uint8Array,
  proof: Uint8Array,
): Promise<boolean> {
  const expected = createHmac("sha256", key).update(proofInput(side, clientNonce, serverNonce))
    .digest();
  return Promise.resolve(proof.length === expected.length && timingSafeEqual(proof, expected));
}

/**
 * A new random token: 32 bytes as 43 URL-safe base64 characters.
 *
 * @example
 * ```ts
 * import { newToken } from "./auth.ts";
 * newToken().length; // 43
 * ```
 */
export function newToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
}
