/**
 * typenet cluster events against NATS, in the same run on this machine, with the same 64-byte
 * payloads, then how fast a SIGKILLed member is found, then the membership protocol simulated
 * with up to 1,000 members.
 *
 * - Fan-out latency: one sender, 1 / 4 / 8 receivers (each its own process); a message counts
 *   as delivered when every receiver has it — for typenet `emit` resolving (each receiver
 *   acknowledges after its handler ran), for NATS the sender collecting each receiver's ack
 *   message. p50 and p99 of 2,000 messages sent one after another.
 * - One-to-one events/s: typenet `send` without acknowledgement against NATS publish (neither
 *   acknowledged; timed until the receiver has them all), and typenet with each event
 *   acknowledged (256 in flight).
 * - Request/reply: typenet `request` against NATS `request`, p50 and p99.
 *
 * @example
 * ```sh
 * deno task bench   # all benchmarks; this one prints the third and fourth tables
 * deno run --allow-run --allow-env --allow-read --allow-net=127.0.0.1 bench/cluster_vs_nats.ts
 * ```
 * @module
 */
import { Node } from "../mod.ts";
import { type ChildProcess, repoPath, runScript } from "../tests/support/process.ts";
import { startEventNode } from "../tests/support/nodes.ts";
import { connectNats, NATS_CLIENT, NatsMissing, type NatsServer, startNats } from "./nats.ts";
import { simulateMembership } from "./membership_sim.ts";

const QUICK = Deno.args.includes("--quick");
const MESSAGES = QUICK ? 300 : 2_000;
const WARMUP = QUICK ? 50 : 200;
const BURST = QUICK ? 5_000 : 50_000;
const PAYLOAD = new Uint8Array(64).fill(7);
const KILL_ROUNDS = QUICK ? 3 : 10;

/** Percentiles of a list of milliseconds. */
function percentiles(samples: number[]): { p50: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p99: at(0.99) };
}

/** Time `count` calls of `once` one after another (after `WARMUP` untimed ones). */
async function latencies(count: number, once: () => Promise<unknown>): Promise<number[]> {
  for (let k = 0; k < WARMUP; k++) await once();
  const samples: number[] = [];
  for (let k = 0; k < count; k++) {
    const start = performance.now();
    await once();
    samples.push(performance.now() - start);
  }
  return samples;
}

// ---------------------------------------------------------------- typenet

async function typenetCluster(receivers: number) {
  const first = await startBenchNode(undefined);
  const nodes = [first];
  for (let k = 1; k < receivers; k++) nodes.push(await startBenchNode(first.address));
  const sender = await Node.start({ port: 0, join: first.address });
  while (sender.members().filter((m) => m.state === "alive").length < receivers + 1) {
    await new Promise((resume) => setTimeout(resume, 20));
  }
  const ids = nodes.map((n) => n.stdout[0].split(" ")[2]);
  return {
    sender,
    ids,
    async stop() {
      await sender.stop();
      await Promise.all(nodes.map((n) => n.stop("SIGKILL")));
    },
  };
}

async function startBenchNode(join: string | undefined) {
  const child = runScript(repoPath("bench/bench_node.ts"), join ? [join] : []);
  const match = await child.waitForLine(/^typenet node \S+ cluster port (\S+)/);
  return Object.assign(child, { address: match[1] });
}

async function typenetFanOut(receivers: number): Promise<number[]> {
  const cluster = await typenetCluster(receivers);
  try {
    return await latencies(MESSAGES, async () => {
      const { failed } = await cluster.sender.emit("bench", PAYLOAD);
      if (failed.length > 0) throw failed[0].error;
    });
  } finally {
    await cluster.stop();
  }
}

async function typenetOneToOne(): Promise<{ rate: number; ackedRate: number; rtt: number[] }> {
  const cluster = await typenetCluster(1);
  try {
    const [target] = cluster.ids;
    // Unacknowledged, as NATS publishes: the last one is sent acknowledged, so that when it
    // is confirmed every event before it (in order on the one connection) has been handled.
    let start = performance.now();
    for (let k = 0; k < BURST - 1; k++) {
      await cluster.sender.send(target, "bench", PAYLOAD, { ack: false });
    }
    await cluster.sender.send(target, "bench", PAYLOAD);
    const rate = BURST / ((performance.now() - start) / 1000);
    // Each acknowledged, 256 in flight.
    start = performance.now();
    let sent = 0;
    const window = async () => {
      while (sent < BURST) {
        sent++;
        await cluster.sender.send(target, "bench", PAYLOAD);
      }
    };
    await Promise.all(Array.from({ length: 256 }, window));
    const ackedRate = BURST / ((performance.now() - start) / 1000);
    const rtt = await latencies(MESSAGES, () => cluster.sender.request(target, "echo", PAYLOAD));
    return { rate, ackedRate, rtt };
  } finally {
    await cluster.stop();
  }
}

// ---------------------------------------------------------------- NATS

async function natsReceivers(server: NatsServer, count: number): Promise<ChildProcess[]> {
  const receivers: ChildProcess[] = [];
  for (let k = 0; k < count; k++) {
    const child = runScript(repoPath("bench/nats_receiver.ts"), [String(server.port)], {
      permissions: ["--allow-net=127.0.0.1", "--allow-env", "--allow-read"],
    });
    await child.waitForLine(/^ready$/);
    receivers.push(child);
  }
  return receivers;
}

async function natsFanOut(server: NatsServer, receivers: number): Promise<number[]> {
  const children = await natsReceivers(server, receivers);
  const nc = await connectNats(server.port);
  try {
    let acks = 0;
    let wake: (() => void) | undefined;
    nc.subscribe("bench.ack", {
      callback: () => {
        if (++acks === receivers) wake?.();
      },
    });
    await nc.flush();
    return await latencies(MESSAGES, () =>
      new Promise<void>((resolve) => {
        acks = 0;
        wake = resolve;
        nc.publish("bench", PAYLOAD);
      }));
  } finally {
    await nc.close();
    await Promise.all(children.map((c) => c.stop()));
  }
}

async function natsOneToOne(server: NatsServer): Promise<{ rate: number; rtt: number[] }> {
  const children = await natsReceivers(server, 1);
  const nc = await connectNats(server.port);
  try {
    const done = Promise.withResolvers<void>();
    nc.subscribe("bench.done", { callback: () => done.resolve() });
    nc.publish("bench.expect", new TextEncoder().encode(String(BURST)));
    await nc.flush();
    const start = performance.now();
    for (let k = 0; k < BURST; k++) nc.publish("bench.burst", PAYLOAD);
    await done.promise;
    const rate = BURST / ((performance.now() - start) / 1000);
    const rtt = await latencies(MESSAGES, () => nc.request("echo", PAYLOAD, { timeout: 5_000 }));
    return { rate, rtt };
  } finally {
    await nc.close();
    await Promise.all(children.map((c) => c.stop()));
  }
}

// ---------------------------------------------------------------- SIGKILL

/** Five event nodes; a sixth joins and is SIGKILLed; the time until all five mark it failed. */
async function killDetection(rounds: number): Promise<number[]> {
  const nodes = [await startEventNode()];
  for (let k = 1; k < 5; k++) nodes.push(await startEventNode(nodes[0].address));
  const times: number[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      const victim = await startEventNode(nodes[round % 5].address);
      await waitUntil(() =>
        nodes.every((n) => n.stdout.some((l) => l.startsWith(`member-join ${victim.id}`)))
      );
      // Let a probe round pass so every link is warm, as in a running cluster.
      await new Promise((resume) => setTimeout(resume, 1_500));
      const killedAt = Date.now();
      victim.kill("SIGKILL");
      await victim.status;
      await waitUntil(() =>
        nodes.every((n) => n.stdout.some((l) => l.startsWith(`member-failed ${victim.id}`)))
      );
      const seen = nodes.map((n) =>
        Number(n.stdout.find((l) => l.startsWith(`member-failed ${victim.id}`))!.split(" ")[2])
      );
      times.push(Math.max(...seen) - killedAt);
      await victim.stop("SIGKILL");
    }
    return times;
  } finally {
    await Promise.all(nodes.map((n) => n.stop("SIGKILL")));
  }
}

async function waitUntil(condition: () => boolean, deadlineMs = 30_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("the benchmark waited too long");
    await new Promise((resume) => setTimeout(resume, 5));
  }
}

// ---------------------------------------------------------------- report

async function main(): Promise<number> {
  let server: NatsServer;
  try {
    server = await startNats();
  } catch (error) {
    if (error instanceof NatsMissing) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
  const rows: string[] = [];
  const ms = (n: number) => n.toFixed(2);
  try {
    for (const receivers of [1, 4, 8]) {
      progress(`fan-out to ${receivers}`);
      const ours = percentiles(await typenetFanOut(receivers));
      const theirs = percentiles(await natsFanOut(server, receivers));
      rows.push(
        `| latency to ${receivers} receiver${receivers > 1 ? "s" : ""}, p50 / p99 (ms) | ` +
          `${ms(ours.p50)} / ${ms(ours.p99)} | ${ms(theirs.p50)} / ${ms(theirs.p99)} | ` +
          `${(ours.p50 / theirs.p50).toFixed(2)} |`,
      );
    }
    progress("one to one");
    const ours = await typenetOneToOne();
    const theirs = await natsOneToOne(server);
    const count = (n: number) => Math.round(n).toLocaleString("en-US");
    rows.push(
      `| events/s one to one, 64 B, unacknowledged | ${count(ours.rate)} | ${
        count(theirs.rate)
      } | ` +
        `${(ours.rate / theirs.rate).toFixed(2)} |`,
      `| events/s one to one, 64 B, each acknowledged | ${count(ours.ackedRate)} | — | — |`,
    );
    const [a, b] = [percentiles(ours.rtt), percentiles(theirs.rtt)];
    rows.push(
      `| request/reply p50 / p99 (ms) | ${ms(a.p50)} / ${ms(a.p99)} | ${ms(b.p50)} / ${
        ms(b.p99)
      } | ` +
        `${(a.p50 / b.p50).toFixed(2)} |`,
    );
  } finally {
    await server.stop();
  }
  progress("SIGKILL detection");
  const kills = await killDetection(KILL_ROUNDS);
  const killMedian = percentiles(kills).p50;
  progress("membership simulation");
  const simulated = await simulateMembership(QUICK ? [100, 300] : [100, 300, 1000]);

  console.log([
    "## typenet cluster events vs NATS",
    "",
    "| row | typenet | NATS | typenet / NATS |",
    "| --- | ---: | ---: | ---: |",
    ...rows,
    "",
    "Latency rows: typenet `emit` resolves when every receiver has run its handler and said so; " +
    "NATS: the sender publishes and waits for each receiver's ack message (through the broker). " +
    "Events/s: typenet `send(…, { ack: false })` against NATS publish, both unacknowledged, " +
    "timed until the receiver has them all; then typenet with each event acknowledged after its " +
    "handler ran, 256 in flight. Lower is better for latency, higher for events/s. One receiver " +
    "per process, everything on 127.0.0.1.",
    `Machine: Deno ${Deno.version.deno}, ${Deno.build.os} ${Deno.build.arch}, ` +
    `navigator.hardwareConcurrency = ${navigator.hardwareConcurrency}; nats-server ` +
    `${server.version}, ${NATS_CLIENT}.`,
    "",
    "## Finding a SIGKILLed member",
    "",
    `Five nodes, a sixth joins and is SIGKILLed, ${KILL_ROUNDS} times: every other member marked ` +
    `it failed within ${killMedian.toFixed(0)} ms (median; slowest ${
      Math.max(...kills).toFixed(0)
    } ` +
    `ms; all: ${kills.map((t) => t.toFixed(0)).join(", ")}). memberlist's typical time for 5 ` +
    `members is 5–7 s (its suspicion timeout; not measured here).`,
    "",
    "## The membership protocol with up to 1,000 members (simulated, one process, virtual time)",
    "",
    "| members | packets per member per second | SIGKILL (port refuses): all know it dead after | host gone (nothing answers): all know it dead after |",
    "| ---: | ---: | ---: | ---: |",
    ...simulated.map((r) =>
      `| ${r.members} | ${r.packetsPerMemberPerSecond.toFixed(2)} | ${
        (r.refusedMs / 1000).toFixed(1)
      } s | ` +
      `${(r.silentMs / 1000).toFixed(1)} s |`
    ),
    "",
    "Packets per member stay flat as the cluster grows (SWIM's claim). Simulated with 0.2–2 ms " +
    "delays and no loss; the killed member's open connections break at once, as over TCP.",
    `Reproduce: \`deno task bench\`${QUICK ? " (this was --quick)" : ""}.`,
  ].join("\n"));
  return 0;
}

function progress(message: string): void {
  console.error(`[bench] ${message}`);
}

if (import.meta.main) Deno.exit(await main());
