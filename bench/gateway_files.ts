/**
 * typenet's gateway moving files, against the physical limit and against rsync, in the same
 * run on this machine (loopback):
 *
 * The files go in the system's temporary folder, or in `TYPENET_BENCH_DIR` if set: point it at
 * a tmpfs (`mount -t tmpfs -o size=4g tmpfs /mnt/ram`) to measure typenet rather than the disk,
 * which otherwise sets the pace of the 1 GiB rows (writing 1 GiB at a time soon waits for
 * writeback). Deno lets only `--allow-all` programs touch /dev/shm, so that one will not do.
 *
 * - One 1 GiB file downloaded with 1, 2 and 4 connections (`Controller.swarm(n).download`),
 *   as a share of iperf3's rate for one TCP stream. typenet's time includes what makes it
 *   safe: the gateway's SHA-256 of the file, the client's SHA-256 of what arrived, and the
 *   rename into place.
 * - 10,000 files of 4 KiB in 100 folders: swarm(4) and one connection against `rsync -a` from
 *   an `rsync --daemon`, files per second, each into an empty folder (a first backup).
 *
 * Each figure is the median of its rounds (1 with --quick, 3 otherwise).
 *
 * @example
 * ```sh
 * deno task bench
 * deno run --allow-run --allow-env --allow-read --allow-write --allow-net=127.0.0.1 bench/gateway_files.ts
 * ```
 * @module
 */
import { Controller } from "../mod.ts";
import { startGateway } from "../tests/support/gateway.ts";
import { median } from "./measure.ts";
import { iperf3Rate, startRsyncDaemon, ToolMissing, versionOf } from "./transfer_tools.ts";

const QUICK = Deno.args.includes("--quick");
const ROUNDS = QUICK ? 1 : 3;
const BIG_BYTES = 1024 * 1024 * 1024;
const SMALL_FILES = QUICK ? 2_000 : 10_000;
const SMALL_BYTES = 4096;
const MB = 1_000_000;

/** Bytes that differ from MiB to MiB (so no block is a copy of another). */
async function writeBigFile(path: string): Promise<void> {
  const block = new Uint8Array(1024 * 1024);
  crypto.getRandomValues(block.subarray(0, 65536));
  for (let k = 65536; k < block.length; k += 65536) block.copyWithin(k, 0, 65536);
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    for (let k = 0; k < BIG_BYTES / block.length; k++) {
      new DataView(block.buffer).setUint32(0, k);
      let written = 0;
      while (written < block.length) written += await file.write(block.subarray(written));
    }
  } finally {
    file.close();
  }
}

async function writeSmallFiles(folder: string): Promise<void> {
  const bytes = new Uint8Array(SMALL_BYTES);
  for (let k = 0; k < SMALL_FILES; k++) {
    if (k % 100 === 0) await Deno.mkdir(`${folder}/d${k / 100}`, { recursive: true });
    crypto.getRandomValues(bytes.subarray(0, 64));
    await Deno.writeFile(`${folder}/d${Math.floor(k / 100)}/f${k}.bin`, bytes);
  }
}

/** Seconds `work` took into a fresh empty `dest`. */
async function timed(dest: string, work: () => Promise<unknown>): Promise<number> {
  await Deno.remove(dest, { recursive: true }).catch(() => {});
  await Deno.mkdir(dest, { recursive: true });
  const start = performance.now();
  await work();
  return (performance.now() - start) / 1000;
}

/** Download `spec` with a swarm of `connections` into `dest`; checks it moved `files` files. */
async function typenetDownload(
  address: string,
  dest: string,
  connections: number,
  spec: { folder: string } | { paths: string[] },
  files: number,
): Promise<number> {
  await using ctl = await Controller.connect(address, { downloadDir: dest });
  await using swarm = await ctl.swarm(connections);
  return await timed(dest, async () => {
    const summary = await swarm.download(spec);
    if (summary.moved !== files) throw new Error(`moved ${summary.moved} of ${files} files`);
  });
}

async function main(): Promise<number> {
  let iperf: string;
  let rsync: string;
  try {
    [iperf, rsync] = [await versionOf("iperf3"), await versionOf("rsync")];
  } catch (error) {
    if (!(error instanceof ToolMissing)) throw error;
    console.error(error.message);
    return 1;
  }
  const dir = await Deno.makeTempDir({
    prefix: "typenet-bench-files-",
    dir: Deno.env.get("TYPENET_BENCH_DIR") || undefined,
  });
  try {
    const root = `${dir}/root`;
    await Deno.mkdir(`${root}/small`, { recursive: true });
    console.error(`writing a 1 GiB file and ${SMALL_FILES} files of 4 KiB under ${dir}`);
    await writeBigFile(`${root}/big.bin`);
    await writeSmallFiles(`${root}/small`);
    await using gateway = await startGateway({ root, extra: ["--pool", "4"] });
    const dest = `${dir}/dest`;

    const big: Record<string, number[]> = { iperf3: [], 1: [], 2: [], 4: [] };
    const small: Record<string, number[]> = { rsync: [], 1: [], 4: [] };
    for (let round = 0; round < ROUNDS; round++) {
      big.iperf3.push(await iperf3Rate(BIG_BYTES));
      for (const n of [1, 2, 4]) {
        const seconds = await typenetDownload(gateway.address, dest, n, { paths: ["big.bin"] }, 1);
        big[n].push(BIG_BYTES / seconds);
      }
      await using daemon = await startRsyncDaemon(`${root}/small`);
      small.rsync.push(SMALL_FILES / await timed(dest, () => daemon.copyTo(dest)));
      for (const n of [4, 1]) {
        const seconds = await typenetDownload(
          gateway.address,
          dest,
          n,
          { folder: "small" },
          SMALL_FILES,
        );
        small[n].push(SMALL_FILES / seconds);
      }
      console.error(
        `round ${round + 1}: iperf3 ${(big.iperf3[round] / MB).toFixed(0)} MB/s, typenet ` +
          [1, 2, 4].map((n) => `${n}: ${(big[n][round] / MB).toFixed(0)}`).join(", ") +
          ` MB/s; rsync ${small.rsync[round].toFixed(0)} files/s, typenet 4: ` +
          `${small[4][round].toFixed(0)}, 1: ${small[1][round].toFixed(0)} files/s`,
      );
    }
    const iperfRate = median(big.iperf3);
    const rsyncRate = median(small.rsync);
    const row = (what: string, ours: string, anchor: string, ratio: number) =>
      `| ${what.padEnd(34)} | ${ours.padStart(13)} | ${anchor.padStart(20)} | ${
        ratio.toFixed(2).padStart(16)
      } |`;
    const mbs = (rate: number) => `${(rate / MB).toFixed(0)} MB/s`;
    const fps = (rate: number) => `${rate.toFixed(0)} files/s`;
    const lines = [
      `typenet gateway files vs ${iperf} and ${rsync} (loopback, median of ${ROUNDS})`,
      "",
      `| ${"transfer".padEnd(34)} | ${"typenet".padStart(13)} | ${
        "anchor".padStart(20)
      } | typenet ÷ anchor |`,
      `| ${"-".repeat(34)} | ${"-".repeat(13)} | ${"-".repeat(20)} | ${"-".repeat(16)} |`,
      ...[1, 2, 4].map((n) =>
        row(
          `1 GiB file, ${n} connection${n > 1 ? "s" : ""}`,
          mbs(median(big[n])),
          `iperf3 ${mbs(iperfRate)}`,
          median(big[n]) / iperfRate,
        )
      ),
      ...[4, 1].map((n) =>
        row(
          `${SMALL_FILES} × 4 KiB files, ${n === 4 ? "swarm(4)" : "one connection"}`,
          fps(median(small[n])),
          `rsync ${fps(rsyncRate)}`,
          median(small[n]) / rsyncRate,
        )
      ),
    ];
    console.log(lines.join("\n"));
    console.log(
      `(files under ${Deno.env.get("TYPENET_BENCH_DIR") || "the system's temporary folder"})`,
    );
    return 0;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) Deno.exit(await main());
