/**
 * What the worst frames cost a list server: for each kind (deep, wide, many keys, the worst a
 * server still accepts, a huge step, many addresses), the longest its event loop was blocked —
 * seen as the slowest of back-to-back pings from another client, against an idle ping in the
 * same run — and the memory it took, against the frame's own size. Each row runs on a fresh
 * server, so its peak memory is that row's alone. Aim: under ~50 ms and ~4× the frame.
 *
 * @example
 * ```sh
 * deno task bench             # both benchmarks; this one prints the second table
 * deno run --allow-run --allow-env --allow-net=127.0.0.1 bench/hostile_budget.ts
 * ```
 * @module
 */
import { encodeMessageShared } from "../lib/wire/codec.ts";
import { FrameBatch } from "../lib/wire/frame.ts";
import { Kind } from "../lib/wire/messages.ts";
import { ListOp } from "../lib/wire/list_protocol.ts";
import { type ChildProcess, repoPath, runScript, startServer } from "../tests/support/process.ts";
import { RawClient } from "../tests/support/raw_client.ts";
import { processMemory } from "../tests/support/liveness.ts";
import {
  deepArrays,
  deepMaps,
  framed,
  fromHex,
  manyKeys,
  pingWith,
  shortStrings,
  wideArray,
} from "../tests/support/hostile_frames.ts";

const MiB = 1024 * 1024;
/** After the answer, keep pinging this long: a stall could come late. */
const SETTLE_MS = 200;

/** One row: what the attacker sends, on a raw connection that has said hello. */
interface Attack {
  title: string;
  /** Bytes the attacker sends in all. */
  bytes: number;
  /** Send it and wait for the server's answer; returns the answer, in a few words. */
  run(raw: RawClient, address: string): Promise<string>;
}

/** A frame sent alone: the answer is its first reply. */
function oneFrame(title: string, body: Uint8Array): Attack {
  return {
    title,
    bytes: body.length + 4,
    async run(raw) {
      await raw.write(framed(body));
      return describe(await raw.read());
    },
  };
}

/**
 * `[bin, inner]`: a bin of `binBytes` zeros beside the msgpack value `inner`. The bin costs
 * little to decode but raises the frame's decoded-size allowance (4× its length), which is how
 * an attacker would get the most objects past the bounds.
 */
function padded(binBytes: number, inner: Uint8Array): Uint8Array {
  const length = Math.floor(binBytes);
  const out = new Uint8Array(1 + 5 + length + inner.length);
  out[0] = 0x92;
  out[1] = 0xc6;
  new DataView(out.buffer).setUint32(2, length);
  out.set(inner, 6 + length);
  return out;
}

/** A ping whose arguments are `argument` (a msgpack value): the answer is the pong. */
function accepted(title: string, argument: Uint8Array): Attack {
  return oneFrame(title, pingWith(argument));
}

const attacks: Attack[] = [
  oneFrame("4 MiB of arrays nested 4 million deep", deepArrays(4 * MiB)),
  oneFrame("16 MiB of nesting inside a ping", pingWith(deepArrays(16 * MiB - 16))),
  oneFrame("16 MiB of nested maps", deepMaps(16 * MiB)),
  oneFrame("a map of 1.86 million keys", manyKeys(1_860_000)),
  oneFrame("16 MiB of tiny integers", wideArray(16 * MiB, 0x01)),
  oneFrame("16 MiB of empty maps", wideArray(16 * MiB, 0x80)),
  oneFrame("a million two-character strings", pingWith(shortStrings(1_000_000))),
  accepted("accepted: 1 MiB bin + 1,000,000 tiny integers", padded(MiB, wideArray(1e6 + 5, 1))),
  accepted("accepted: 0.6 MiB bin + 32,000 empty maps", padded(0.6 * MiB, wideArray(32_005, 0x80))),
  accepted("accepted: 1.2 MiB bin + a map of 32,000 keys", padded(1.2 * MiB, manyKeys(32_000))),
  {
    title: "100,000 pipelined requests in one write",
    bytes: 0,
    async run(raw) {
      // One connection floods the server; the probe's connection must still get its turns.
      const count = 100_000;
      const frames = new FrameBatch();
      for (let k = 0; k < count; k++) {
        frames.add(encodeMessageShared([Kind.Request, 2 * k + 1, "server.stats", []]));
      }
      const all = frames.take().slice();
      this.bytes = all.length;
      await raw.write(all);
      let answered = 0;
      while (answered < count && (await raw.read())?.[0] === Kind.Response) answered++;
      return `${answered} answers`;
    },
  },
  {
    title: "the issue's range: step 2 over 256 nodes of 2^30",
    bytes: 0,
    async run(raw) {
      // As node 255 of 256 made-up nodes, one item at index 255·2^30, then a range from 0.
      const nodes = Array.from({ length: 256 }, (_, k) => `127.0.0.1:${k + 1}`);
      const first = 255 * 2 ** 30;
      const frames = [
        [Kind.Request, 1, ListOp.Open, ["stride", { nodes, partitionSize: 2 ** 30 }, 255]],
        [Kind.Request, 3, ListOp.Store, ["stride", first, [new Uint8Array([1]), [1]]]],
        [Kind.Stream, 5, ListOp.Range, ["stride", 0, Number.MAX_SAFE_INTEGER, 2], 4],
      ];
      for (const frame of frames) {
        const body = encodeMessageShared(frame).slice();
        this.bytes += body.length + 4;
        await raw.write(framed(body));
      }
      const answers = [await raw.read(), await raw.read(), await raw.read(), await raw.read()];
      return answers.map(describe).join(", ");
    },
  },
  {
    title: "20,000 list opens naming 20,000 addresses",
    bytes: 0,
    async run(raw, address) {
      const count = 20_000;
      for (let k = 0; k < count; k++) {
        const layout = { nodes: [address, `127.0.0.1:${20_000 + (k % 40_000)}`], partitionSize: 1 };
        const body = encodeMessageShared([Kind.Request, 2 * k + 1, ListOp.Open, [
          `l${k}`,
          layout,
          0,
        ]])
          .slice();
        this.bytes += body.length + 4;
        await raw.write(framed(body));
      }
      const seen = new Map<string, number>();
      for (let k = 0; k < count; k++) {
        const answer = describe(await raw.read());
        seen.set(answer, (seen.get(answer) ?? 0) + 1);
      }
      await raw.send([Kind.Request, 2 * count + 1, "server.stats", []]);
      const stats = (await raw.read())?.[2] as Record<string, number>;
      return `${[...seen].map(([a, n]) => `${n}× ${a}`).join(", ")}; ${stats.peerLinks} links`;
    },
  },
];

/** One row's figures. */
interface Row {
  title: string;
  bytes: number;
  answer: string;
  slowestMs: number;
  costBytes: number;
}

/** Start a ping probe in a process of its own (bench/ping_probe.ts). */
async function startProbe(address: string): Promise<ChildProcess> {
  const probe = runScript(repoPath("bench/ping_probe.ts"), [address]);
  await probe.waitForLine(/^probing$/);
  return probe;
}

/** Stop a probe; the slowest ping it saw, in ms. */
async function stopProbe(probe: ChildProcess): Promise<number> {
  await probe.stop("SIGINT");
  const line = probe.stdout.find((l) => l.startsWith("slowest "));
  if (!line || !line.includes(" 0 failures")) {
    throw new Error(`the ping probe failed: ${probe.stdout.join(" ")} ${probe.stderr.join(" ")}`);
  }
  return Number(line.split(" ")[1]);
}

async function measureAttack(attack: Attack): Promise<Row> {
  const server = await startServer(["127.0.0.1", "0"]);
  try {
    // Warm the server up, then take its memory as the baseline.
    await stopProbe(await startProbe(server.address));
    const before = await processMemory(server.pid);
    const probe = await startProbe(server.address);
    const raw = await RawClient.connect(server.address);
    await raw.write(
      fromHex(
        "0000003f920085a56d61676963a7747970656e6574a776657273696f6e02a4726f6c65a470656572a5" +
          "6167656e74a178ad6d61784672616d654279746573ce01000000",
      ),
    );
    await raw.read(); // WELCOME (a "peer" hello, as the issue's attacker sent)
    const answer = await attack.run(raw, server.address);
    await new Promise((resume) => setTimeout(resume, SETTLE_MS));
    const slowestMs = await stopProbe(probe);
    raw.close();
    const after = await processMemory(server.pid);
    return {
      title: attack.title,
      bytes: attack.bytes,
      answer,
      slowestMs,
      costBytes: Math.max(0, after.peakBytes - before.rssBytes),
    };
  } finally {
    await server.stop();
  }
}

/** An idle server's slowest ping over a second, measured the same way (the anchor). */
async function idlePingMs(): Promise<number> {
  const server = await startServer(["127.0.0.1", "0"]);
  try {
    const probe = await startProbe(server.address);
    await new Promise((resume) => setTimeout(resume, 1000));
    return await stopProbe(probe);
  } finally {
    await server.stop();
  }
}

function describe(frame: unknown[] | null): string {
  if (frame === null) return "closed";
  switch (frame[0]) {
    case Kind.Error:
      return `${frame[2]}${frame[1] === 0 ? " (closed)" : ""}`;
    case Kind.Response:
      return typeof frame[2] === "string" ? frame[2] : "response";
    case Kind.Item:
      return "item";
    case Kind.End:
      return "end";
    default:
      return `kind ${frame[0]}`;
  }
}

async function main(): Promise<number> {
  const idle = await idlePingMs();
  const rows: Row[] = [];
  for (const attack of attacks) {
    console.error(`[bench] ${attack.title}`);
    rows.push(await measureAttack(attack));
  }
  const mb = (n: number) => (n / MiB).toFixed(1);
  console.log([
    "## What the worst frames cost a list server",
    "",
    "| frame | sent (MiB) | answer | slowest ping (ms) | memory taken (MiB) | memory ÷ sent |",
    "| --- | ---: | --- | ---: | ---: | ---: |",
    ...rows.map((row) =>
      `| ${row.title} | ${mb(row.bytes)} | ${row.answer} | ${row.slowestMs.toFixed(1)} | ` +
      `${mb(row.costBytes)} | ${(row.costBytes / row.bytes).toFixed(2)} |`
    ),
    "",
    `Slowest ping: the longest any of another client's back-to-back pings waited while the frame ` +
    `was sent and answered (the server's event loop blocked at most that long); an idle server's ` +
    `slowest ping in the same run: ${
      idle.toFixed(1)
    } ms. Memory taken: the server's peak resident ` +
    `memory minus its resident memory before the frame (a fresh server per row), which counts the ` +
    `read buffer that holds the frame itself. Aim: under ~50 ms and ~4× what was sent.`,
    `Machine: Deno ${Deno.version.deno}, ${Deno.build.os} ${Deno.build.arch}, ` +
    `navigator.hardwareConcurrency = ${navigator.hardwareConcurrency}.`,
    "Reproduce: `deno task bench` (or `deno run --allow-run --allow-env --allow-net=127.0.0.1 " +
    "bench/hostile_budget.ts`).",
  ].join("\n"));
  return 0;
}

if (import.meta.main) Deno.exit(await main());
