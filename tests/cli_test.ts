/** The `typenet` command line, run as a real process. */
import assert from "node:assert/strict";
import { VERSION } from "../lib/version.ts";
import { List } from "../mod.ts";
import { repoPath, runScript, startServer } from "./support/process.ts";
import { freePort } from "./support/wait.ts";

async function run(...args: string[]) {
  await using child = runScript(repoPath("cli.ts"), args);
  const status = await child.status;
  await child.stop();
  return { code: status.code, stdout: child.stdout, stderr: child.stderr };
}

Deno.test("--version and --help print and exit 0", async () => {
  const version = await run("--version");
  assert.equal(version.code, 0);
  assert.deepEqual(version.stdout, [`typenet ${VERSION} (protocol 2)`]);
  const help = await run("--help");
  assert.equal(help.code, 0);
  assert.ok(help.stdout.join("\n").includes("typenet server [HOST] [PORT]"));
  const serverHelp = await run("server", "--help");
  assert.equal(serverHelp.code, 0);
  assert.ok(serverHelp.stdout.join("\n").includes("--max-frame-bytes"));
});

Deno.test("the version in lib/version.ts is the one in deno.json", async () => {
  const config = JSON.parse(await Deno.readTextFile(repoPath("deno.json")));
  assert.equal(config.version, VERSION);
});

Deno.test("usage mistakes are one line on stderr and exit 2", async () => {
  const cases: [string[], string][] = [
    [["server", "--frobnicate"], "typenet: Unknown option '--frobnicate'"],
    [["server", "127.0.0.1", "http"], "PORT must be a number from 0 to 65535, got 'http'"],
    [["server", "127.0.0.1", "70000"], "PORT must be a number from 0 to 65535"],
    [["server", "127.0.0.1", "-1"], "typenet: "],
    [["server", "a", "1", "extra"], "at most HOST and PORT"],
    [["server", "--max-frame-bytes", "10"], "--max-frame-bytes must be from 65536"],
    [["server", "--max-connections", "zero"], "--max-connections must be a positive integer"],
    [["frobnicate"], "unknown command 'frobnicate'"],
    [["--frobnicate"], "unknown option '--frobnicate'"],
  ];
  for (const [args, message] of cases) {
    const result = await run(...args);
    assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr.join("\n")}`);
    assert.equal(result.stderr.length, 1, `${args.join(" ")}: ${result.stderr.join("\n")}`);
    assert.ok(result.stderr[0].startsWith("typenet: "), result.stderr[0]);
    assert.ok(result.stderr[0].includes(message), `${result.stderr[0]} should say ${message}`);
    assert.deepEqual(result.stdout, []);
  }
});

Deno.test("the server prints exactly one ready line with its real port", async () => {
  const port = await freePort();
  const server = await startServer(["127.0.0.1", String(port)]);
  try {
    assert.deepEqual(server.stdout, [`typenet server listening on 127.0.0.1:${port}`]);
  } finally {
    await server.stop();
  }
  const any = await startServer(["127.0.0.1", "0"]);
  try {
    assert.ok(any.port > 0);
    assert.deepEqual(any.stdout, [`typenet server listening on ${any.address}`]);
  } finally {
    await any.stop();
  }
});

Deno.test("SIGTERM and SIGINT stop the server cleanly, even with clients connected", async () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    const server = await startServer();
    const li = await List.open("signals", { nodes: [server.address] });
    await li.append(1);
    const status = await server.stop(signal);
    assert.equal(status.code, 0, `${signal}: ${server.stderr.join("\n")}`);
    await li.close();
  }
});

Deno.test("a port in use is a one-line error and exit 1", async () => {
  const server = await startServer();
  try {
    const clash = await run("server", "127.0.0.1", String(server.port));
    assert.equal(clash.code, 1);
    assert.equal(clash.stderr.length, 1);
    assert.ok(clash.stderr[0].includes(`cannot listen on 127.0.0.1:${server.port}`));
  } finally {
    await server.stop();
  }
});

Deno.test("every command takes --help", async () => {
  const commands = [
    "server",
    "node",
    "gateway",
    "members",
    "emit",
    "listen",
    "get",
    "put",
    "call",
    "stats",
    "token",
    "cert",
    "systemd",
  ];
  for (const command of commands) {
    const help = await run(command, "--help");
    assert.equal(help.code, 0, command);
    assert.match(help.stdout.join("\n"), new RegExp(`Usage:[\\s\\S]*typenet ${command}`), command);
  }
});
