/**
 * Every role secured the same way, by the shared transport: list servers that link to each
 * other over TLS with the token, cluster nodes that join over TLS with the token (and one
 * without it that cannot), and a gateway whose close needs the admin token.
 */
import assert from "node:assert/strict";
import { Controller, Dict, List, Node } from "../mod.ts";
import { AuthError } from "../lib/wire/errors.ts";
import { connect } from "../lib/net/connect.ts";
import { startGateway } from "./support/gateway.ts";
import { startNode } from "./support/nodes.ts";
import { repoPath, runScript, type ServerProcess, startServer } from "./support/process.ts";
import { makeSecrets, type Secrets } from "./support/secrets.ts";
import { waitFor } from "./support/wait.ts";

function tlsFlags(secrets: Secrets): string[] {
  return [
    ...["--tls-cert", secrets.path("server.pem"), "--tls-key", secrets.path("server.key")],
    ...["--tls-ca", secrets.path("ca.pem"), "--token-file", secrets.path("token")],
  ];
}

function securedServer(secrets: Secrets): Promise<ServerProcess> {
  return startServer(["127.0.0.1", "0", ...tlsFlags(secrets)], {
    permissions: ["--allow-net=127.0.0.1", `--allow-read=${secrets.dir}`],
  });
}

Deno.test("list servers link to each other over TLS, proving the token", async () => {
  await using secrets = await makeSecrets();
  await using a = await securedServer(secrets);
  await using b = await securedServer(secrets);
  const list = await List.open("spread", {
    nodes: [a.address, b.address],
    partitionSize: 2,
    tls: { caFile: secrets.path("ca.pem") },
    token: secrets.token,
  });
  try {
    const values = [1, 300, 70_000, 2 * 1024 * 1024].map((n) => new Uint8Array(n).fill(n % 7));
    // extend goes through the home, which stores the second block on b over its peer link.
    await list.extend(values);
    assert.deepEqual(await list.slice(), values);
    assert.equal(await list.length(), 4);
    // A Dict on the same servers takes the same token and TLS settings.
    await using users = await Dict.open("users", {
      nodes: [a.address, b.address],
      tls: { caFile: secrets.path("ca.pem") },
      token: secrets.token,
    });
    await users.setMany(values.map((v, i) => [`k${i}`, v]));
    assert.deepEqual(await users.getMany(values.map((_, i) => `k${i}`)), values);
    await assert.rejects(
      Dict.open("users", { nodes: [a.address], tls: { caFile: secrets.path("ca.pem") } }),
      AuthError,
    );
  } finally {
    await list.close();
  }
});

Deno.test("cluster nodes join over TLS with the token; a node without it stays out", async () => {
  await using secrets = await makeSecrets();
  const security = {
    tls: {
      certFile: secrets.path("server.pem"),
      keyFile: secrets.path("server.key"),
      caFile: secrets.path("ca.pem"),
    },
    token: secrets.token,
  };
  await using first = await Node.start({ port: 0, name: "first", ...security });
  await using second = await startNode(
    ["--join", first.clusterPort, "--name", "second", ...tlsFlags(secrets)],
    "cli.ts",
    ["--allow-net=127.0.0.1", `--allow-read=${secrets.dir}`],
  );
  await waitFor(() => first.members().some((m) => m.name === "second" && m.state === "alive"), {
    what: "the secured node to join",
  });
  await using outsider = await Node.start({
    port: 0,
    name: "outsider",
    join: first.clusterPort,
    tls: security.tls,
    connectTimeoutMs: 1000,
  });
  // Events of 1 B to 8 MiB between members over TLS.
  await using echo = await Node.start({
    port: 0,
    name: "echo",
    join: first.clusterPort,
    ...security,
  });
  echo.on("echo", (data) => data);
  await waitFor(() => first.members().some((m) => m.id === echo.id && m.state === "alive"));
  for (const size of [1, 16 * 1024, 64 * 1024, 1024 * 1024, 8 * 1024 * 1024]) {
    const data = new Uint8Array(size).fill(size % 13);
    assert.deepEqual(await first.request(echo.id, "echo", data), data);
  }
  assert.equal(outsider.startedNewCluster, true);
  assert.ok(!first.members().some((m) => m.name === "outsider"));
  assert.equal(second.membersAtStart, 2);
});

Deno.test("a gateway over TLS with a token; closing it needs the admin token", async () => {
  await using secrets = await makeSecrets();
  await using gateway = await startGateway({
    extra: [...tlsFlags(secrets), "--admin-token-file", secrets.path("admin-token")],
    readable: [secrets.dir],
  });
  const tls = { caFile: secrets.path("ca.pem") };
  await assert.rejects(Controller.connect(gateway.address, { tls }), AuthError);
  const user = await Controller.connect(gateway.address, { tls, token: secrets.token });
  const client = await user.getClient();
  const big = new Uint8Array(8 * 1024 * 1024).fill(5);
  assert.deepEqual(await client.batch("echo", [big]), big);
  await assert.rejects(
    user.closeGateway(),
    (error: Error) => error instanceof AuthError && /admin token/.test(error.message),
  );
  await user.close();
  const admin = await Controller.connect(gateway.address, { tls, token: secrets.adminToken });
  await admin.closeGateway();
  await admin.close();
  assert.equal((await gateway.status).code, 0);
});

Deno.test("removing a failed member needs the admin token; a live one cannot be removed", async () => {
  await using secrets = await makeSecrets();
  const flags = [
    "--token-file",
    secrets.path("token"),
    "--admin-token-file",
    secrets.path("admin-token"),
  ];
  const permissions = ["--allow-net=127.0.0.1", `--allow-read=${secrets.dir}`];
  await using first = await startNode(flags, "cli.ts", permissions);
  await using second = await startNode(["--join", first.address, ...flags], "cli.ts", permissions);
  const run = async (...args: string[]) => {
    await using child = runScript(repoPath("cli.ts"), args, { permissions });
    const status = await child.status;
    return { code: status.code, out: [...child.stdout, ...child.stderr].join("\n") };
  };
  const members = async () => {
    const listed = await run(
      "members",
      first.address,
      "--json",
      "--token-file",
      secrets.path("token"),
    );
    return JSON.parse(listed.out) as { id: string; state: string }[];
  };
  await waitFor(async () => (await members()).length === 2, { what: "the second node to join" });
  const removeAs = (tokenName: string) =>
    run("members", first.address, "--remove", second.id, "--token-file", secrets.path(tokenName));
  const live = await removeAs("admin-token");
  assert.equal(live.code, 1);
  assert.match(live.out, /is alive: only a failed member can be removed/);
  await second.stop("SIGKILL");
  await waitFor(
    async () => (await members()).some((m) => m.id === second.id && m.state === "dead"),
    { what: "the killed node to be marked failed", deadlineMs: 20_000, intervalMs: 200 },
  );
  const user = await removeAs("token");
  assert.equal(user.code, 1);
  assert.match(user.out, /node\.remove needs the admin token/);
  const admin = await removeAs("admin-token");
  assert.equal(admin.code, 0, admin.out);
  assert.ok((await members()).some((m) => m.id === second.id && m.state === "left"));
});

Deno.test("a controller idle past the gateway's idle timeout still closes it", async () => {
  await using gateway = await startGateway({ extra: ["--idle-timeout-ms", "300"] });
  await using ctl = await Controller.connect(gateway.address);
  // The controller's own connection closes itself before the gateway would (at ¾ of 300 ms).
  await waitFor(async () => {
    const probe = await connect(gateway.address);
    try {
      const stats = await probe.request("server.stats", []) as { connections: number };
      return stats.connections === 1; // the probe alone
    } finally {
      probe.close();
    }
  }, { what: "the idle controller connection to close", intervalMs: 50 });
  await ctl.closeGateway();
  assert.equal((await gateway.status).code, 0);
});
