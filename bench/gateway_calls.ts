/**
 * typenet gateway calls and streams against gRPC (`@grpc/grpc-js` under Node, raw bytes, no
 * protobuf), in the same run on loopback:
 *
 * - a call's round trip, p50 and p99 of one call after another with a 64-byte payload
 *   (typenet `client.batch("echo", [bytes])`, which runs in a handler Worker, against a unary
 *   call answered on gRPC's main thread);
 * - items per second of a stream of 64 B items and of 64 KiB items (a generator in a handler
 *   Worker, read with `for await`, against a server-streaming call).
 *
 * @example
 * ```sh
 * deno task bench
 * deno run --allow-run --allow-env --allow-read --allow-write --allow-net=127.0.0.1 bench/gateway_calls.ts
 * ```
 * @module
 */
import { Controller } from "../mod.ts";
import { startGateway } from "../tests/support/gateway.ts";
import { repoPath } from "../tests/support/process.ts";
import { GrpcMissing, type GrpcResult, runGrpcBench } from "./grpc.ts";

const QUICK = Deno.args.includes("--quick");
const SIZE = QUICK
  ? { calls: 1_000, warmup: 500, items64: 20_000, items64k: 1_000 }
  : { calls: 5_000, warmup: 1_000, items64: 100_000, items64k: 5_000 };

/** p50 and p99 of milliseconds. */
function percentiles(samples: number[]): { p50: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p99: at(0.99) };
}

async function typenetSide(address: string) {
  await using ctl = await Controller.connect(address);
  await using client = await ctl.getClient();
  const payload = new Uint8Array(64).fill(7);
  for (let k = 0; k < SIZE.warmup; k++) await client.batch("echo", [payload]);
  const samples: number[] = [];
  for (let k = 0; k < SIZE.calls; k++) {
    const start = performance.now();
    await client.batch("echo", [payload]);
    samples.push(performance.now() - start);
  }
  const streamRate = async (count: number, size: number) => {
    let seen = 0;
    const start = performance.now();
    for await (const [, bytes] of client.stream("items", [count, size])) {
      if ((bytes as Uint8Array).length !== size) throw new Error("wrong item size");
      seen++;
    }
    if (seen !== count) throw new Error(`${seen} of ${count} items`);
    return count / ((performance.now() - start) / 1000);
  };
  await streamRate(1_000, 64); // warm the stream path too
  await streamRate(50, 65_536);
  return {
    unary: percentiles(samples),
    stream64: await streamRate(SIZE.items64, 64),
    stream64k: await streamRate(SIZE.items64k, 65_536),
  };
}

async function main(): Promise<number> {
  let grpc: GrpcResult;
  try {
    grpc = await runGrpcBench(SIZE);
  } catch (error) {
    if (!(error instanceof GrpcMissing)) throw error;
    console.error(error.message);
    return 1;
  }
  await using gateway = await startGateway({
    subroutines: repoPath("bench/bench_subroutines.ts"),
    extra: ["--pool", "1"],
  });
  const typenet = await typenetSide(gateway.address);
  const ms = (x: number) => `${x.toFixed(3)} ms`;
  const rate = (x: number) => `${Math.round(x).toLocaleString("en")}/s`;
  const row = (what: string, ours: string, theirs: string, ratio: number) =>
    `| ${what.padEnd(28)} | ${ours.padStart(12)} | ${theirs.padStart(12)} | ${
      ratio.toFixed(2).padStart(16)
    } |`;
  console.log([
    `typenet gateway calls vs @grpc/grpc-js ${grpc.grpcJs} on Node ${grpc.node} (loopback)`,
    "",
    `| ${"measure".padEnd(28)} | ${"typenet".padStart(12)} | ${
      "gRPC".padStart(12)
    } | typenet ÷ gRPC * |`,
    `| ${"-".repeat(28)} | ${"-".repeat(12)} | ${"-".repeat(12)} | ${"-".repeat(16)} |`,
    row(
      "call round trip, p50",
      ms(typenet.unary.p50),
      ms(grpc.unary.p50),
      grpc.unary.p50 / typenet.unary.p50,
    ),
    row(
      "call round trip, p99",
      ms(typenet.unary.p99),
      ms(grpc.unary.p99),
      grpc.unary.p99 / typenet.unary.p99,
    ),
    row(
      "stream, 64 B items",
      rate(typenet.stream64),
      rate(grpc.stream64),
      typenet.stream64 / grpc.stream64,
    ),
    row(
      "stream, 64 KiB items",
      rate(typenet.stream64k),
      rate(grpc.stream64k),
      typenet.stream64k / grpc.stream64k,
    ),
    "",
    "* above 1: typenet is faster (for round trips, gRPC's time ÷ typenet's)",
  ].join("\n"));
  return 0;
}

if (import.meta.main) Deno.exit(await main());
