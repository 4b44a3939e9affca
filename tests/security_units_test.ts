/** The small pieces of the security layer: address blocks, proofs, the refusal log, tokens. */
import assert from "node:assert/strict";
import { parseCidr } from "../lib/net/ip.ts";
import { checkProof, newToken, nonce, proofOf, resolveToken, tokenKey } from "../lib/net/auth.ts";
import { RefusalLog } from "../lib/net/refusal_log.ts";
import { BadArgument } from "../lib/wire/errors.ts";

Deno.test("address blocks: IPv4, IPv6, mapped IPv4, bare addresses, mistakes", () => {
  const lan = parseCidr("192.168.1.0/24");
  assert.ok(lan.contains("192.168.1.0") && lan.contains("192.168.1.255"));
  assert.ok(lan.contains("::ffff:192.168.1.7"));
  assert.ok(!lan.contains("192.168.2.1") && !lan.contains("::1") && !lan.contains("host"));
  const odd = parseCidr("10.0.0.0/9");
  assert.ok(odd.contains("10.127.255.255") && !odd.contains("10.128.0.0"));
  assert.ok(parseCidr("0.0.0.0/0").contains("8.8.8.8"));
  const v6 = parseCidr("fd00::/8");
  assert.ok(v6.contains("fd12:3456::1") && !v6.contains("fe80::1") && !v6.contains("10.0.0.1"));
  assert.ok(parseCidr("::1").contains("::1") && !parseCidr("::1").contains("::2"));
  assert.ok(parseCidr("2001:db8::/32").contains("[2001:db8:0:0:0:0:0:9]"));
  assert.ok(parseCidr("127.0.0.1").contains("127.0.0.1"));
  for (
    const bad of [
      "10.0.0.0/33",
      "::/129",
      "300.1.1.1/8",
      "10.0.0/8",
      "a.b.c.d",
      "1::2::3",
      "10.0.0.0/8/1",
      "10.0.0.0/x",
    ]
  ) {
    assert.throws(() => parseCidr(bad), RangeError, bad);
  }
});

Deno.test("proofs: each side's differs, and a wrong token, nonce or side fails", async () => {
  const key = await tokenKey(newToken());
  const other = await tokenKey(newToken());
  const [c, s] = [nonce(), nonce()];
  const client = await proofOf(key, "client", c, s);
  assert.equal(client.length, 32);
  assert.ok(await checkProof(key, "client", c, s, client));
  assert.ok(!await checkProof(key, "server", c, s, client));
  assert.ok(!await checkProof(other, "client", c, s, client));
  assert.ok(!await checkProof(key, "client", c, nonce(), client));
  assert.ok(!await checkProof(key, "client", s, c, client));
});

Deno.test("the proofs of PROTOCOL.md's worked example", async () => {
  const key = await tokenKey("0123456789abcdef0123");
  const hex = (bytes: Uint8Array) =>
    [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  const [c, s] = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)];
  const spec = await Deno.readTextFile(new URL("../docs/PROTOCOL.md", import.meta.url));
  assert.ok(spec.includes(`Pc = ${hex(await proofOf(key, "client", c, s))}`));
  assert.ok(spec.includes(`Ps = ${hex(await proofOf(key, "server", c, s))}`));
});

Deno.test("tokens: short ones are refused; files are trimmed; the option wins", async () => {
  assert.throws(() => resolveToken({ token: "short" }, false), BadArgument);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/t`, "  0123456789abcdef0123\n");
    assert.equal(resolveToken({ tokenFile: `${dir}/t` }, false), "0123456789abcdef0123");
    assert.equal(
      resolveToken({ token: "abcdefghijklmnopqrst", tokenFile: `${dir}/t` }, false),
      "abcdefghijklmnopqrst",
    );
    assert.throws(
      () => resolveToken({ tokenFile: `${dir}/missing` }, false),
      /cannot read the token file/,
    );
    assert.equal(resolveToken({}, false), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  assert.match(newToken(), /^[A-Za-z0-9_-]{43}$/);
});

Deno.test("the refusal log reports an address once per period, with a count of the rest", () => {
  const lines: string[] = [];
  let now = 1_000_000;
  const realNow = Date.now;
  Date.now = () => now;
  try {
    const log = new RefusalLog((address, what) => lines.push(`${address} ${what}`), 60_000);
    for (let i = 0; i < 100; i++) log.note("10.0.0.9", "wrong token");
    log.note("10.0.0.8", "wrong token");
    assert.deepEqual(lines, ["10.0.0.9 wrong token", "10.0.0.8 wrong token"]);
    now += 60_000;
    log.note("10.0.0.9", "wrong token");
    assert.equal(lines[2], "10.0.0.9 wrong token (and 99 more refused since the last report)");
    // Memory is bounded: many addresses push out the oldest.
    for (let i = 0; i < 10_000; i++) log.note(`10.1.${i >> 8}.${i & 255}`, "junk");
    assert.equal(lines.length, 3 + 10_000);
  } finally {
    Date.now = realNow;
  }
});
