/**
 * Floods of junk connections against each secured role: random bytes where a hello (or a TLS
 * handshake) belongs, from many connections at once. The role stays up, keeps answering a
 * well-behaved client throughout, keeps everything it acknowledged, logs the flood in a line
 * or two rather than thousands, and its memory stays bounded.
 */
import assert from "node:assert/strict";
import { List } from "../mod.ts";
import { connect } from "../lib/net/connect.ts";
import type { ConnectOptions } from "../lib/net/connect.ts";
import { parseAddress } from "../lib/wire/address.ts";
import { startGateway } from "./support/gateway.ts";
import { startNode } from "./support/nodes.ts";
import { type ChildProcess, startServer } from "./support/process.ts";
import { makeSecrets, type Secrets } from "./support/secrets.ts";

const CONCURRENCY = 100;

/** `count` connections, `CONCURRENCY` at a time, each writing up to 300 random bytes. */
async function junkConnections(address: string, count: number): Promise<void> {
  const { hostname, port } = parseAddress(address);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      try {
        const conn = await Deno.connect({ hostname, port });
        const junk = crypto.getRandomValues(new Uint8Array(1 + Math.floor(Math.random() * 300)));
        await conn.write(junk).catch(() => {});
        conn.close();
      } catch {
        // Refused while the server is at a limit: that is the server defending itself.
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

/** Ping `address` back to back until `done`; every ping must be answered. */
async function pingThroughout(
  address: string,
  options: ConnectOptions,
  done: Promise<void>,
): Promise<number> {
  const session = await connect(address, { ...options, requestTimeoutMs: 5000 });
  let finished = false;
  done.finally(() => finished = true);
  let pings = 0;
  try {
    while (!finished) {
      assert.equal(await session.request("ping", []), "pong");
      pings++;
    }
  } finally {
    session.close();
  }
  return pings;
}

async function rssOf(address: string, options: ConnectOptions): Promise<number> {
  const session = await connect(address, options);
  try {
    return (await session.request("server.stats", []) as { rssBytes: number }).rssBytes;
  } finally {
    session.close();
  }
}

async function flood(
  role: ChildProcess & { address: string },
  options: ConnectOptions,
  count: number,
): Promise<void> {
  const flooding = junkConnections(role.address, count);
  const pings = await pingThroughout(role.address, options, flooding);
  await flooding;
  assert.ok(pings > 0);
  const rss = await rssOf(role.address, options);
  assert.ok(rss < 400 * 1024 * 1024, `rss ${rss} bytes after the flood`);
  const refusals = role.stderr.filter((line) => /refused/.test(line));
  assert.ok(refusals.length <= 3, `${refusals.length} refusal lines:\n${refusals.join("\n")}`);
}

function tlsAndToken(secrets: Secrets): string[] {
  return [
    ...["--tls-cert", secrets.path("server.pem"), "--tls-key", secrets.path("server.key")],
    ...["--token-file", secrets.path("token")],
  ];
}

Deno.test("10,000 junk connections: the list server keeps serving and loses nothing", async () => {
  await using secrets = await makeSecrets();
  for (const flags of [["--token-file", secrets.path("token")], tlsAndToken(secrets)]) {
    await using server = await startServer(["127.0.0.1", "0", ...flags], {
      permissions: ["--allow-net=127.0.0.1", `--allow-read=${secrets.dir}`],
    });
    const tls = flags.includes("--tls-cert") ? { caFile: secrets.path("ca.pem") } : undefined;
    const options = { token: secrets.token, tls };
    const list = await List.open("kept", { nodes: [server.address], ...options });
    const count = tls ? 3_000 : 10_000;
    const flooding = junkConnections(server.address, count);
    let appended = 0;
    let finished = false;
    flooding.finally(() => finished = true);
    while (!finished) assert.equal(await list.append(appended), appended++);
    await flooding;
    assert.deepEqual(await list.slice(), Array.from({ length: appended }, (_, i) => i));
    await list.close();
    await flood(server, options, 500);
  }
});

Deno.test("junk connections against a secured node and a secured gateway", async () => {
  await using secrets = await makeSecrets();
  const options = { token: secrets.token, tls: { caFile: secrets.path("ca.pem") } };
  {
    await using node = await startNode(tlsAndToken(secrets), "cli.ts", [
      "--allow-net=127.0.0.1",
      `--allow-read=${secrets.dir}`,
    ]);
    await flood(node, options, 2_000);
  }
  await using gateway = await startGateway({
    extra: tlsAndToken(secrets),
    readable: [secrets.dir],
  });
  await flood(gateway, options, 2_000);
});
