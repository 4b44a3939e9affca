/**
 * The security commands and flags as a user runs them: `typenet token new`, `--config` files
 * (precedence and errors), `typenet systemd` (checked by `systemd-analyze verify` where it
 * exists), and the client commands' `--token-file`.
 */
import assert from "node:assert/strict";
import { connect } from "../lib/net/connect.ts";
import { AuthError } from "../lib/wire/errors.ts";
import { startNode } from "./support/nodes.ts";
import { repoPath, runScript, startServer } from "./support/process.ts";
import { makeSecrets } from "./support/secrets.ts";

async function run(args: string[], permissions?: string[], cwd?: string) {
  await using child = runScript(repoPath("cli.ts"), args, { permissions, cwd });
  const status = await child.status;
  await child.stop();
  return { code: status.code, stdout: child.stdout, stderr: child.stderr };
}

Deno.test("typenet token new writes a 0600 token once, and again only with --force", async () => {
  const dir = await Deno.makeTempDir({ prefix: "typenet-token-" });
  try {
    const path = `${dir}/token`;
    const rw = [`--allow-read=${dir}`, `--allow-write=${dir}`];
    const made = await run(["token", "new", path], rw);
    assert.equal(made.code, 0, made.stderr.join("\n"));
    assert.match(made.stdout[0], /wrote a new token to .*token \(mode 0600\)/);
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
    const first = await Deno.readTextFile(path);
    assert.match(first, /^[A-Za-z0-9_-]{43}\n$/);
    assert.ok(!made.stdout.join("").includes(first.trim()), "the token is not printed");
    const again = await run(["token", "new", path], rw);
    assert.equal(again.code, 1);
    assert.match(again.stderr.join("\n"), /exists \(--force/);
    assert.equal(await Deno.readTextFile(path), first);
    assert.equal((await run(["token", "new", path, "--force"], rw)).code, 0);
    assert.notEqual(await Deno.readTextFile(path), first);
    assert.equal((await run(["token", "old", path], rw)).code, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--config: the file fills in flags, the command line wins, mistakes are named", async () => {
  await using secrets = await makeSecrets();
  const config = secrets.path("server.jsonc");
  await Deno.writeTextFile(
    config,
    `// a server for the tests
    {
      "host": "127.0.0.1",
      "port": 1, /* overridden below */
      "token-file": "${secrets.path("token")}",
      "max-connections-per-address": 8,
      "allow": ["127.0.0.0/8"],
    }`,
  );
  await using server = await startServer(["--config", config, "--port", "0"], {
    permissions: ["--allow-net=127.0.0.1", `--allow-read=${secrets.dir}`],
  });
  const address = server.address;
  // The token came from the file: a client without it is refused, one with it is let in.
  await assert.rejects(connect(address), AuthError);
  const session = await connect(address, { token: secrets.token });
  assert.equal(await session.request("ping", []), "pong");
  session.close();
  await server.stop();

  const mistakes: [string, RegExp][] = [
    [`{ "prot": 1 }`, /unknown key 'prot' \(this command takes: .*port/],
    [`{ "insecure": "yes" }`, /'insecure' must be true or false/],
    [`{ "port": [1, 2] }`, /'port' takes one value/],
    [`{ "max-connections": { "n": 1 } }`, /'max-connections' must be a string or a number/],
    [`[1]`, /must hold one JSON object/],
    [`{ "port": `, /is not JSON/],
    [`{ "max-connections": "many" }`, /--max-connections must be a positive integer/],
  ];
  for (const [text, expected] of mistakes) {
    await Deno.writeTextFile(config, text);
    const result = await run(["server", "--config", config], [`--allow-read=${secrets.dir}`]);
    assert.equal(result.code, 2, text);
    assert.match(result.stderr.join("\n"), expected);
  }
  const missing = await run(["node", "--config", `${secrets.dir}/nope.json`], ["--allow-read"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr.join("\n"), /cannot read the config file/);
});

Deno.test("typenet systemd prints a hardened unit that systemd-analyze accepts", async () => {
  await using secrets = await makeSecrets();
  const result = await run([
    "systemd",
    "gateway",
    ...["--host", "0.0.0.0", "--port", "1857", "--subroutines", "/opt/subs.ts"],
    ...["--root", "/srv/shared", "--token-file", secrets.path("token")],
    ...["--tls-cert", secrets.path("server.pem"), "--tls-key", secrets.path("server.key")],
  ], ["--allow-read"]);
  assert.equal(result.code, 0, result.stderr.join("\n"));
  const unit = result.stdout.join("\n");
  for (
    const line of [
      "DynamicUser=yes",
      "ProtectSystem=strict",
      "Restart=on-failure",
      "StateDirectory=typenet-gateway",
      `LoadCredential=token-file:${secrets.path("token")}`,
      `LoadCredential=tls-key:${secrets.path("server.key")}`,
      "ReadWritePaths=/srv/shared",
    ]
  ) assert.ok(unit.includes(line), `${line} in\n${unit}`);
  const exec = unit.split("\n").find((l) => l.startsWith("ExecStart="))!;
  assert.match(exec, /--allow-net=0\.0\.0\.0:1857 /);
  assert.match(exec, /--allow-write=\/srv\/shared /);
  assert.match(exec, /--token-file \$\{CREDENTIALS_DIRECTORY\}\/token-file/);
  assert.ok(!exec.includes("--allow-all") && !exec.includes(" -A "));

  // A server with a data directory may write there, and only there.
  const server = await run(
    ["systemd", "server", "--data", "/var/lib/typenet-server", "--fsync", "always"],
    ["--allow-read"],
  );
  assert.equal(server.code, 0, server.stderr.join("\n"));
  const serverUnit = server.stdout.join("\n");
  assert.ok(serverUnit.includes("ReadWritePaths=/var/lib/typenet-server"), serverUnit);
  assert.match(serverUnit, /--allow-write=\/var\/lib\/typenet-server /);
  assert.match(serverUnit, /--data \/var\/lib\/typenet-server --fsync always/);
  const bad = await run(["systemd", "server", "--no-such-flag"], ["--allow-read"]);
  assert.equal(bad.code, 2);
  assert.equal((await run(["systemd", "mainframe"], ["--allow-read"])).code, 2);

  const analyze = await new Deno.Command("systemd-analyze", { args: ["--version"] }).output()
    .catch(() => undefined);
  if (!analyze?.success) {
    console.log("systemd-analyze is not installed here: the unit was not verified");
    return;
  }
  const file = secrets.path("typenet-gateway.service");
  await Deno.writeTextFile(file, unit);
  const verified = await new Deno.Command("systemd-analyze", {
    args: ["verify", file],
    stderr: "piped",
  }).output();
  const complaints = new TextDecoder().decode(verified.stderr);
  assert.ok(verified.success, complaints);
});

Deno.test("client commands prove the token from --token-file", async () => {
  await using secrets = await makeSecrets();
  await using node = await startNode(["--token-file", secrets.path("token")], "cli.ts", [
    "--allow-net=127.0.0.1",
    `--allow-read=${secrets.dir}`,
  ]);
  const permissions = ["--allow-net=127.0.0.1", `--allow-read=${secrets.dir}`];
  const refused = await run(["members", node.address], permissions);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr.join("\n"), /requires a token/);
  const members = await run(
    ["members", node.address, "--token-file", secrets.path("token"), "--json"],
    permissions,
  );
  assert.equal(members.code, 0, members.stderr.join("\n"));
  assert.equal(JSON.parse(members.stdout.join("\n")).length, 1);
});

Deno.test("typenet cert makes a CA and a certificate a server can use at once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "typenet-cert-" });
  try {
    const rw = [`--allow-read=${dir}`, `--allow-write=${dir}`];
    assert.equal((await run(["cert", "ca", dir, "--name", "test deployment"], rw)).code, 0);
    const made = await run(["cert", "new", dir, "box", "127.0.0.1", "localhost"], rw);
    assert.equal(made.code, 0, made.stderr.join("\n"));
    assert.equal((await Deno.stat(`${dir}/box.key`)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(`${dir}/ca.key`)).mode! & 0o777, 0o600);
    const again = await run(["cert", "new", dir, "box", "127.0.0.1"], rw);
    assert.equal(again.code, 1);
    assert.match(again.stderr.join("\n"), /exists; not replacing it/);
    assert.equal((await run(["cert", "new", dir, "../escape", "127.0.0.1"], rw)).code, 2);

    await using server = await startServer(
      ["127.0.0.1", "0", "--tls-cert", `${dir}/box.pem`, "--tls-key", `${dir}/box.key`],
      { permissions: ["--allow-net=127.0.0.1", `--allow-read=${dir}`] },
    );
    const session = await connect(server.address, { tls: { caFile: `${dir}/ca.pem` } });
    assert.equal(await session.request("ping", []), "pong");
    session.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("TYPENET_TOKEN guards a server and proves a client when no token is given", async () => {
  const token = "a-token-from-the-environment";
  await using server = await startServer(["127.0.0.1", "0"], {
    permissions: ["--allow-net=127.0.0.1", "--allow-env=TYPENET_TOKEN"],
    env: { TYPENET_TOKEN: token },
  });
  const address = server.address;
  await assert.rejects(connect(address), AuthError);
  const session = await connect(address, { token });
  assert.equal(await session.request("ping", []), "pong");
  session.close();
  // A client command reads the variable the same way.
  const members = await run(["members", address], ["--allow-net=127.0.0.1"]);
  assert.match(members.stderr.join("\n"), /requires a token/);
  await using probe = runScript(repoPath("tests/support/connect_probe.ts"), [address], {
    permissions: ["--allow-net=127.0.0.1", "--allow-env=TYPENET_TOKEN"],
    env: { TYPENET_TOKEN: token },
  });
  await probe.status;
  assert.deepEqual(probe.stdout, ["welcome list-server"]);
});
