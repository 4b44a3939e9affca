/**
 * What security costs: the List, event and file rows with TLS on, as a ratio to the same rows
 * with TLS off, measured in the same run; and the time to open a connection (TCP, TLS, hello,
 * token round) each way. Both sides demand the token in every row but the handshake ones, so
 * a row's ratio is TLS alone. List and event rows take the better of two runs per side,
 * alternating; every row is a rate (higher is better).
 *
 * ```sh
 * deno run --allow-run --allow-env --allow-read --allow-write --allow-net=127.0.0.1 bench/security.ts
 * ```
 * @module
 */
import { Controller, List, Node } from "../mod.ts";
import { connect, type ConnectOptions } from "../lib/net/connect.ts";
import { defineHandlers, Server } from "../mod.ts";
import { makeSecrets, type Secrets } from "../tests/support/secrets.ts";
import { type ChildProcess, repoPath, runScript, startServer } from "../tests/support/process.ts";
import { startGateway } from "../tests/support/gateway.ts";
import { median } from "./measure.ts";

const APPENDS = 5_000;
const BATCHES = 100;
const ITEMS = 100_000;
const BIG_VALUE = 1024 * 1024;
const BIG_ROUNDS = 30;
const EVENTS = 20_000;
const REQUESTS = 2_000;
const FILE_BYTES = 256 * 1024 * 1024;
const HANDSHAKES = 200;

interface Side {
  label: string;
  serverFlags: string[];
  client: ConnectOptions;
  secretsDir: string;
  tls: boolean;
}

function sides(secrets: Secrets): { off: Side; on: Side } {
  const token = ["--token-file", secrets.path("token")];
  const tls = ["--tls-cert", secrets.path("server.pem"), "--tls-key", secrets.path("server.key")];
  return {
    off: {
      label: "TLS off",
      serverFlags: token,
      client: { token: secrets.token },
      secretsDir: secrets.dir,
      tls: false,
    },
    on: {
      label: "TLS on",
      serverFlags: [...token, ...tls, "--tls-ca", secrets.path("ca.pem")],
      client: { token: secrets.token, tls: { caFile: secrets.path("ca.pem") } },
      secretsDir: secrets.dir,
      tls: true,
    },
  };
}

function listServer(secrets: Secrets, flags: string[]) {
  return startServer(["127.0.0.1", "0", ...flags], {
    permissions: ["--allow-net=127.0.0.1", `--allow-read=${secrets.dir}`],
  });
}

async function listRows(secrets: Secrets, side: Side): Promise<Record<string, number>> {
  await using server = await listServer(secrets, side.serverFlags);
  const list = await List.open("bench", { nodes: [server.address], ...side.client });
  try {
    const rows: Record<string, number> = {};
    let start = performance.now();
    for (let k = 0; k < APPENDS; k++) await list.append(k);
    rows["List append, one at a time (ops/s)"] = APPENDS / ((performance.now() - start) / 1000);
    const batch = Array.from({ length: 1000 }, (_, k) => ({ id: k, name: `item ${k}` }));
    start = performance.now();
    for (let k = 0; k < BATCHES; k++) await list.extend(batch);
    rows["List extend of 1,000 (items/s)"] = BATCHES * 1000 / ((performance.now() - start) / 1000);
    // The best of three reads: the first read in a process is mostly the JIT warming up.
    let best = 0;
    for (let round = 0; round < 3; round++) {
      start = performance.now();
      const read = await list.slice(0, ITEMS);
      if (read.length !== ITEMS) throw new Error(`read ${read.length} items`);
      best = Math.max(best, ITEMS / ((performance.now() - start) / 1000));
    }
    rows["List slice of 100,000 (items/s)"] = best;
    const big = new Uint8Array(BIG_VALUE).fill(7);
    start = performance.now();
    for (let k = 0; k < BIG_ROUNDS; k++) await list.at(await list.append(big));
    rows["List 1 MiB value append + get (MB/s)"] = 2 * BIG_ROUNDS * BIG_VALUE / 1e6 /
      ((performance.now() - start) / 1000);
    return rows;
  } finally {
    await list.close();
  }
}

async function eventRows(side: Side): Promise<Record<string, number>> {
  const child: ChildProcess = runScript(
    repoPath("bench/bench_node.ts"),
    ["", side.secretsDir, side.tls ? "tls" : "plain"],
    { permissions: ["--allow-net=127.0.0.1", `--allow-read=${side.secretsDir}`] },
  );
  await using receiver = child;
  const address = (await receiver.waitForLine(/^typenet node \S+ cluster port (\S+)/))[1];
  const target = receiver.stdout[0].split(" ")[2];
  const secured = side.tls
    ? {
      tls: {
        certFile: `${side.secretsDir}/server.pem`,
        keyFile: `${side.secretsDir}/server.key`,
        caFile: `${side.secretsDir}/ca.pem`,
      },
    }
    : {};
  await using sender = await Node.start({ port: 0, join: address, ...side.client, ...secured });
  const deadline = Date.now() + 10_000;
  while (!sender.members().some((m) => m.id === target && m.state === "alive")) {
    if (Date.now() > deadline) throw new Error(`the bench node did not join (${side.label})`);
    await new Promise((resume) => setTimeout(resume, 20));
  }
  const payload = new Uint8Array(64);
  let start = performance.now();
  for (let k = 0; k < EVENTS - 1; k++) await sender.send(target, "bench", payload, { ack: false });
  await sender.send(target, "bench", payload);
  const rate = EVENTS / ((performance.now() - start) / 1000);
  const rtts: number[] = [];
  for (let k = 0; k < REQUESTS; k++) {
    start = performance.now();
    await sender.request(target, "echo", payload);
    rtts.push(performance.now() - start);
  }
  return {
    "events one-to-one, 64 B, unacked (events/s)": rate,
    "request/reply p50, 64 B (replies/s, 1/p50)": 1000 / median(rtts),
  };
}

async function fileRows(secrets: Secrets, side: Side): Promise<Record<string, number>> {
  const root = await Deno.makeTempDir({
    prefix: "typenet-bench-tls-",
    dir: Deno.env.get("TYPENET_BENCH_DIR"),
  });
  const dest = `${root}-dest`;
  try {
    const block = crypto.getRandomValues(new Uint8Array(65536));
    const file = await Deno.open(`${root}/big.bin`, { write: true, create: true });
    for (let k = 0; k < FILE_BYTES / block.length; k++) {
      let written = 0;
      while (written < block.length) written += await file.write(block.subarray(written));
    }
    file.close();
    await using gateway = await startGateway({
      root,
      extra: side.serverFlags,
      readable: [secrets.dir],
    });
    await Deno.mkdir(dest, { recursive: true });
    await using ctl = await Controller.connect(gateway.address, {
      ...side.client,
      downloadDir: dest,
    });
    const client = await ctl.getClient();
    const start = performance.now();
    const summary = await client.download({ paths: ["big.bin"] });
    if (summary.moved !== 1) throw new Error(`moved ${summary.moved} files`);
    return {
      "file download, 256 MiB, 1 connection (MB/s)": FILE_BYTES / 1e6 /
        ((performance.now() - start) / 1000),
    };
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(dest, { recursive: true }).catch(() => {});
  }
}

async function handshakeRows(secrets: Secrets): Promise<[string, number][]> {
  const tls = ["--tls-cert", secrets.path("server.pem"), "--tls-key", secrets.path("server.key")];
  const token = ["--token-file", secrets.path("token")];
  const mtls = ["--tls-client-ca", secrets.path("ca.pem")];
  const ca = { caFile: secrets.path("ca.pem") };
  const clientCert = {
    ...ca,
    certFile: secrets.path("client.pem"),
    keyFile: secrets.path("client.key"),
  };
  const cases: [string, string[], ConnectOptions][] = [
    ["plain", [], {}],
    ["token", token, { token: secrets.token }],
    ["TLS", tls, { tls: ca }],
    ["TLS + token", [...tls, ...token], { tls: ca, token: secrets.token }],
    ["mutual TLS + token", [...tls, ...mtls, ...token], { tls: clientCert, token: secrets.token }],
  ];
  const rows: [string, number][] = [];
  for (const [label, flags, options] of cases) {
    await using server = await listServer(secrets, flags);
    const times: number[] = [];
    for (let k = 0; k < HANDSHAKES; k++) {
      const start = performance.now();
      const session = await connect(server.address, options);
      times.push(performance.now() - start);
      session.close();
      await session.closed;
    }
    rows.push([label, median(times)]);
  }
  return rows;
}

/** Round trips of an echo request of each size, plain and TLS: p50 and the slowest. */
async function sizeRows(secrets: Secrets): Promise<[number, number[], number[]][]> {
  const rows: [number, number[], number[]][] = [];
  const handlers = defineHandlers({ requests: { echo: (args) => args[0] } });
  const plain = await Server.listen({ role: "echo", handlers });
  const tls = await Server.listen({
    role: "echo",
    handlers,
    tls: { certFile: secrets.path("server.pem"), keyFile: secrets.path("server.key") },
  });
  const plainSession = await connect(plain.address);
  const tlsSession = await connect(tls.address, { tls: { caFile: secrets.path("ca.pem") } });
  try {
    for (const size of [1, 1024, 16 * 1024, 64 * 1024, 256 * 1024, 1024 * 1024, 8 * 1024 * 1024]) {
      const value = new Uint8Array(size).fill(1);
      const rounds = size >= 1024 * 1024 ? 20 : 200;
      const times = async (session: typeof plainSession) => {
        const out: number[] = [];
        for (let k = 0; k < rounds; k++) {
          const start = performance.now();
          await session.request("echo", [value]);
          out.push(performance.now() - start);
        }
        return out;
      };
      rows.push([size, await times(plainSession), await times(tlsSession)]);
    }
  } finally {
    plainSession.close();
    tlsSession.close();
    await plain.close();
    await tls.close();
  }
  return rows;
}

function progress(message: string): void {
  console.error(`bench/security: ${message}`);
}

await using secrets = await makeSecrets();
const { off, on } = sides(secrets);
const table: [string, number, number][] = [];
for (
  const [what, run] of [
    ["list", (side: Side) => listRows(secrets, side)],
    ["events", (side: Side) => eventRows(side)],
    ["files", (side: Side) => fileRows(secrets, side)],
  ] as const
) {
  progress(`${what}: TLS off`);
  const without = await run(off);
  progress(`${what}: TLS on`);
  const withTls = await run(on);
  for (const row of Object.keys(without)) table.push([row, without[row], withTls[row]]);
}
progress("handshakes");
const handshakes = await handshakeRows(secrets);
progress("message sizes");
const sizes = await sizeRows(secrets);

const fmt = (n: number) => n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(2);
console.log(
  `\nSecurity: TLS on vs off, both with a token (deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores)\n`,
);
console.log("| row | TLS off | TLS on | on / off |");
console.log("| --- | ---: | ---: | ---: |");
for (const [row, a, b] of table) {
  console.log(`| ${row} | ${fmt(a)} | ${fmt(b)} | ${(b / a).toFixed(2)} |`);
}
console.log("\n| opening a connection (connect + handshake), median of 200 | ms | vs plain |");
console.log("| --- | ---: | ---: |");
for (const [label, ms] of handshakes) {
  console.log(`| ${label} | ${ms.toFixed(2)} | ${(ms / handshakes[0][1]).toFixed(1)}× |`);
}
console.log(
  "\n| echo round trip by message size (ms) | plain p50 | plain max | TLS p50 | TLS max |",
);
console.log("| --- | ---: | ---: | ---: | ---: |");
for (const [size, plainTimes, tlsTimes] of sizes) {
  const label = size >= 1024 * 1024
    ? `${size / 1024 / 1024} MiB`
    : size >= 1024
    ? `${size / 1024} KiB`
    : `${size} B`;
  const max = (values: number[]) => Math.max(...values).toFixed(2);
  console.log(
    `| ${label} | ${median(plainTimes).toFixed(2)} | ${max(plainTimes)} | ${
      median(tlsTimes).toFixed(2)
    } | ${max(tlsTimes)} |`,
  );
}
