/**
 * A list server secured as README says: TLS (and mutual TLS), tokens proven by HMAC
 * challenge-response, an admin token, the allow-list, the per-address limit, the idle timeout
 * and the handshake deadline — each seen from a real client against a real `typenet server`
 * process, with certificates made in the test.
 */
import assert from "node:assert/strict";
import { List } from "../mod.ts";
import { connect } from "../lib/net/connect.ts";
import { nonce, proofOf, tokenKey } from "../lib/net/auth.ts";
import { AuthError, LimitExceeded, ProtocolError, TypenetError } from "../lib/wire/errors.ts";
import { Kind } from "../lib/wire/messages.ts";
import { RawClient } from "./support/raw_client.ts";
import { type ServerProcess, startServer } from "./support/process.ts";
import { makeSecrets, type Secrets } from "./support/secrets.ts";
import { waitFor } from "./support/wait.ts";

/** `typenet server 127.0.0.1 0 …flags`, allowed to read the secrets and nothing else. */
function secured(secrets: Secrets, ...flags: string[]): Promise<ServerProcess> {
  return startServer(["127.0.0.1", "0", ...flags], {
    permissions: ["--allow-net=127.0.0.1", `--allow-read=${secrets.dir}`],
  });
}

const SIZES = [1, 1000, 16 * 1024, 64 * 1024, 1024 * 1024, 8 * 1024 * 1024];

Deno.test("a list over TLS with a token carries values of 1 B to 8 MiB", async () => {
  await using secrets = await makeSecrets();
  await using server = await secured(
    secrets,
    ...["--tls-cert", secrets.path("server.pem"), "--tls-key", secrets.path("server.key")],
    ...["--token-file", secrets.path("token")],
  );
  const list = await List.open("sizes", {
    nodes: [server.address],
    tls: { caFile: secrets.path("ca.pem") },
    tokenFile: secrets.path("token"),
  });
  try {
    const values = SIZES.map((size) => new Uint8Array(size).fill(size % 251));
    for (const value of values) await list.append(value);
    for (let i = 0; i < values.length; i++) assert.deepEqual(await list.at(i), values[i]);
    assert.deepEqual(await list.slice(), values);
  } finally {
    await list.close();
  }
});

Deno.test("TLS refuses a certificate from another CA, an expired one, and plain clients", async () => {
  await using secrets = await makeSecrets();
  const trustOurs = { caFile: secrets.path("ca.pem") };
  for (const name of ["foreign", "expired"]) {
    await using server = await secured(
      secrets,
      ...["--tls-cert", secrets.path(`${name}.pem`), "--tls-key", secrets.path(`${name}.key`)],
    );
    await assert.rejects(
      connect(server.address, { tls: trustOurs }),
      (error: Error) =>
        error instanceof AuthError && /certificate|issuer|expired/i.test(error.message),
      name,
    );
  }
  await using server = await secured(
    secrets,
    ...["--tls-cert", secrets.path("server.pem"), "--tls-key", secrets.path("server.key")],
  );
  // A client that does not speak TLS gets no typenet answer; the server stays up for others.
  await assert.rejects(connect(server.address, { connectTimeoutMs: 2000 }), TypenetError);
  const session = await connect(server.address, { tls: trustOurs });
  assert.equal(await session.request("ping", []), "pong");
  session.close();
  // A TLS client to a plain server fails too, rather than talking in the clear.
  await using plain = await secured(secrets);
  await assert.rejects(
    connect(plain.address, { tls: trustOurs, connectTimeoutMs: 2000 }),
    (error: Error) => error instanceof ProtocolError && /does not speak TLS/.test(error.message),
  );
});

Deno.test("mutual TLS demands a client certificate from the right CA", async () => {
  await using secrets = await makeSecrets();
  await using server = await secured(
    secrets,
    ...["--tls-cert", secrets.path("server.pem"), "--tls-key", secrets.path("server.key")],
    ...["--tls-client-ca", secrets.path("ca.pem")],
  );
  const ca = secrets.path("ca.pem");
  await assert.rejects(connect(server.address, { tls: { caFile: ca }, connectTimeoutMs: 3000 }));
  await assert.rejects(connect(server.address, {
    tls: {
      caFile: ca,
      certFile: secrets.path("foreign.pem"),
      keyFile: secrets.path("foreign.key"),
    },
    connectTimeoutMs: 3000,
  }));
  const session = await connect(server.address, {
    tls: { caFile: ca, certFile: secrets.path("client.pem"), keyFile: secrets.path("client.key") },
  });
  const big = new Uint8Array(8 * 1024 * 1024).fill(3);
  assert.deepEqual(await session.request("ping", []), "pong");
  const list = await List.open("mtls", {
    nodes: [server.address],
    tls: { caFile: ca, certFile: secrets.path("client.pem"), keyFile: secrets.path("client.key") },
  });
  await list.append(big);
  assert.deepEqual(await list.at(0), big);
  await list.close();
  session.close();
});

Deno.test("a token: none, a wrong one and a server without one are refused; refusals are logged once", async () => {
  await using secrets = await makeSecrets();
  await using server = await secured(secrets, "--token-file", secrets.path("token"));
  await assert.rejects(
    connect(server.address),
    (error: Error) => error instanceof AuthError && /requires a token/.test(error.message),
  );
  for (let i = 0; i < 5; i++) {
    await assert.rejects(
      connect(server.address, { token: "not-the-token-at-all-0123" }),
      (error: Error) => error instanceof AuthError && /wrong token/.test(error.message),
    );
  }
  const session = await connect(server.address, { token: secrets.token });
  assert.equal(await session.request("ping", []), "pong");
  session.close();
  // Six refusals from 127.0.0.1 within a minute: one line.
  await waitFor(() => server.stderr.some((line) => /refused/.test(line)));
  assert.equal(
    server.stderr.filter((line) => /refused/.test(line)).length,
    1,
    server.stderr.join("\n"),
  );

  await using open = await secured(secrets);
  await assert.rejects(
    connect(open.address, { token: secrets.token }),
    (error: Error) => error instanceof AuthError && /does not ask for a token/.test(error.message),
  );
});

Deno.test("a recorded proof cannot be replayed, and nothing but the proof is taken before the welcome", async () => {
  await using secrets = await makeSecrets();
  await using server = await secured(secrets, "--token-file", secrets.path("token"));
  const key = await tokenKey(secrets.token);
  const clientNonce = nonce();

  await using first = await RawClient.connect(server.address);
  const challenge = await first.hello({ nonce: clientNonce });
  assert.equal(challenge?.[0], Kind.Challenge);
  const serverNonce = (challenge![1] as { nonce: Uint8Array }).nonce;
  const proof = await proofOf(key, "client", clientNonce, serverNonce);
  await first.send([Kind.Proof, { proof }]);
  assert.equal((await first.read())?.[0], Kind.Welcome);

  // The same hello and proof on a new connection: the server's nonce differs, so the proof fails.
  await using replay = await RawClient.connect(server.address);
  const second = await replay.hello({ nonce: clientNonce });
  assert.notDeepEqual((second![1] as { nonce: Uint8Array }).nonce, serverNonce);
  await replay.send([Kind.Proof, { proof }]);
  assert.deepEqual((await replay.read())?.slice(0, 3), [Kind.Error, 0, "AUTH"]);
  assert.equal(await replay.read(), null);

  // A request instead of the proof is a protocol error, and is not run.
  await using eager = await RawClient.connect(server.address);
  await eager.hello({ nonce: nonce() });
  await eager.send([Kind.Request, 1, "ping", []]);
  const refused = await eager.read();
  assert.deepEqual(refused?.slice(0, 3), [Kind.Error, 0, "PROTOCOL"]);
  assert.match(String(refused?.[3]), /expected a PROOF/);
});

Deno.test("dropping a list needs the admin token", async () => {
  await using secrets = await makeSecrets();
  await using server = await secured(
    secrets,
    ...["--token-file", secrets.path("token"), "--admin-token-file", secrets.path("admin-token")],
  );
  const user = await List.open("kept", { nodes: [server.address], token: secrets.token });
  await user.append(1);
  await assert.rejects(
    user.destroy(),
    (error: Error) => error instanceof AuthError && /admin token/.test(error.message),
  );
  const again = await List.open("kept", { nodes: [server.address], token: secrets.token });
  assert.equal(await again.length(), 1);
  await again.close();
  const admin = await List.open("kept", { nodes: [server.address], token: secrets.adminToken });
  assert.equal(await admin.destroy(), 1);
  await admin.close();
});

Deno.test("--allow closes other addresses unread; 127.0.0.0/8 lets this machine in", async () => {
  await using secrets = await makeSecrets();
  await using elsewhere = await secured(secrets, "--allow", "10.0.0.0/8", "--allow", "fd00::/8");
  await assert.rejects(connect(elsewhere.address, { connectTimeoutMs: 2000 }));
  await waitFor(() => elsewhere.stderr.some((line) => /not in the allow-list/.test(line)));
  await using here = await secured(secrets, "--allow", "127.0.0.0/8");
  const session = await connect(here.address);
  assert.equal(await session.request("ping", []), "pong");
  session.close();
});

Deno.test("connections per address are limited; idle ones and silent ones are closed", async () => {
  await using secrets = await makeSecrets();
  await using server = await secured(
    secrets,
    ...["--max-connections-per-address", "2", "--idle-timeout-ms", "400"],
    ...["--handshake-timeout-ms", "300"],
  );
  const a = await connect(server.address);
  const b = await connect(server.address);
  await assert.rejects(
    connect(server.address),
    (error: Error) => error instanceof LimitExceeded && /from 127\.0\.0\.1/.test(error.message),
  );
  a.close();
  b.close();
  await waitFor(() =>
    connect(server.address).then((s) => {
      s.close();
      return true;
    }, () => false), { what: "the two connections to close" });

  // Silent before the hello: closed at the handshake deadline.
  await using silent = await RawClient.connect(server.address);
  assert.deepEqual((await silent.readWithin(5000) as unknown[])?.slice(0, 3), [
    Kind.Error,
    0,
    "TIMEOUT",
  ]);
  // Idle after the hello: told TIMEOUT and closed.
  await using idle = await RawClient.connect(server.address);
  assert.equal((await idle.hello())?.[0], Kind.Welcome);
  const told = await idle.readWithin(5000) as unknown[];
  assert.deepEqual(told.slice(0, 3), [Kind.Error, 0, "TIMEOUT"]);
  assert.match(String(told[3]), /idle for 400 ms/);

  // The reference client closes its own idle connection first and reconnects when used.
  const list = await List.open("idle", { nodes: [server.address] });
  await list.append(1);
  await waitFor(async () => {
    const stats = await connect(server.address).then(async (s) => {
      const answer = await s.request("server.stats", []) as { connections: number };
      s.close();
      return answer;
    });
    return stats.connections === 1; // only the probe itself
  }, { deadlineMs: 5000, intervalMs: 100, what: "the idle list connection to close" });
  assert.equal(await list.append(2), 1);
  assert.equal(server.stderr.filter((l) => /idle/.test(l)).length, 0);
  await list.close();
});

Deno.test("a TLS handshake that never comes is cut at the deadline", async () => {
  await using secrets = await makeSecrets();
  await using server = await secured(
    secrets,
    ...["--tls-cert", secrets.path("server.pem"), "--tls-key", secrets.path("server.key")],
    ...["--handshake-timeout-ms", "300"],
  );
  await using silent = await RawClient.connect(server.address);
  assert.equal(await silent.readWithin(5000), null);
});
