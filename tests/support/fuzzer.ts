/**
 * A seeded, time-bounded fuzzer for the transport, pointed at a real server process. It runs
 * cases from fuzz_cases.ts a few at a time while a well-behaved client keeps working (the
 * role's own `goodClient`, which checks every answer it gets) and a probe keeps pinging. It
 * passes when, throughout, the server answered every ping within `stallMs`, the good client
 * saw no failure and no wrong answer, no case got an invalid frame back, the server's peak
 * memory stayed under `peakBytes`, and the process is still running.
 *
 * On failure the error names the seed and every case in flight, and how to replay one case
 * alone (`only`), e.g. `TYPENET_FUZZ_SEED=… TYPENET_FUZZ_CASE=… deno test -A tests/…_test.ts`.
 *
 * @example
 * ```ts
 * import { fuzz } from "./fuzzer.ts";
 * const report = await fuzz({ target, pid, seed: 42, durationMs: 20_000, goodClient });
 * console.log(`${report.cases} cases, slowest ping ${report.slowestMs} ms`);
 * ```
 * @module
 */
import { type FuzzCase, type FuzzTarget, makeCase } from "./fuzz_cases.ts";
import { LivenessProbe, processMemory } from "./liveness.ts";
import { seededRandom } from "./random.ts";

/** What to fuzz, for how long, and what must hold. */
export interface FuzzOptions {
  /** The server and its role's operations. */
  target: FuzzTarget;
  /** The server's process id (its memory is read from /proc). */
  pid: number;
  /** Case N of seed S is the same case on every run. */
  seed: number;
  /** Run cases for this long (then finish those in flight). */
  durationMs: number;
  /** Replay only this case number (from a failure report). */
  only?: number;
  /** Cases run at once. */
  concurrency?: number;
  /** One round of honest work that throws on any failure or wrong answer; run in a loop. */
  goodClient: () => Promise<void>;
  /** A ping may wait at most this long (default 1 s). */
  stallMs?: number;
  /** The server's peak resident memory must stay under this (default 512 MiB). */
  peakBytes?: number;
  /** The command that runs this fuzzer's test, for the replay hint (`deno test -A tests/…`). */
  command: string;
}

/** What a passing run did. */
export interface FuzzReport {
  seed: number;
  /** Cases run. */
  cases: number;
  /** Cases run, by kind. */
  kinds: Record<string, number>;
  /** Rounds of the good client's work. */
  goodRounds: number;
  /** Pings answered, and the slowest. */
  pings: number;
  slowestMs: number;
  /** The server's peak resident memory. */
  peakBytes: number;
}

/** Finished cases a failure report lists besides those in flight. */
const RECENT_CASES = 8;

/** A case with its number, for reports. */
interface Numbered {
  number: number;
  fuzzCase: FuzzCase;
}

/**
 * Run the fuzzer; resolves with a report, or rejects saying what failed and how to replay.
 *
 * @example
 * ```ts
 * import { fuzz } from "./fuzzer.ts";
 * // await fuzz({ target, pid, seed, durationMs: 20_000, goodClient });
 * ```
 */
export async function fuzz(options: FuzzOptions): Promise<FuzzReport> {
  const stallMs = options.stallMs ?? 1_000;
  const peakLimit = options.peakBytes ?? 512 * 1024 * 1024;
  const report: FuzzReport = {
    seed: options.seed,
    cases: 0,
    kinds: {},
    goodRounds: 0,
    pings: 0,
    slowestMs: 0,
    peakBytes: 0,
  };
  const inFlight = new Set<Numbered>();
  /** The last cases that finished: a stall they caused may show only after they are done. */
  const recent: Numbered[] = [];
  const failures: string[] = [];
  const fail = (what: string) => {
    if (failures.length === 0) {
      const list = (cases: Iterable<Numbered>) =>
        [...cases].map(({ number, fuzzCase }) =>
          `  case ${number} (${fuzzCase.kind}): ${fuzzCase.describe}`
        ).join("\n") || "  none";
      failures.push(
        `fuzz seed ${options.seed} failed: ${what}\ncases in flight:\n${list(inFlight)}\n` +
          `cases just finished:\n${list(recent)}\n` +
          `replay one: TYPENET_FUZZ_SEED=${options.seed} TYPENET_FUZZ_CASE=<case> ${options.command}`,
      );
    }
  };
  const deadline = Date.now() + options.durationMs;
  let done = false;
  const running = () => !done && failures.length === 0 && Date.now() < deadline;

  const probe = await LivenessProbe.start(options.target.address, { timeoutMs: stallMs * 5 });
  const watch = (async () => {
    while (running()) {
      const seen = probe.report;
      if (seen.failures.length > 0) fail(seen.failures[0]);
      if (seen.slowestMs > stallMs) fail(`a ping waited ${seen.slowestMs.toFixed(0)} ms`);
      const memory = await processMemory(options.pid);
      report.peakBytes = memory.peakBytes;
      if (memory.peakBytes > peakLimit) fail(`the server's memory reached ${memory.peakBytes}`);
      await new Promise((resume) => setTimeout(resume, 50));
    }
  })();
  const good = (async () => {
    while (running()) {
      try {
        await options.goodClient();
        report.goodRounds++;
      } catch (error) {
        fail(`the good client failed: ${(error as Error).stack ?? error}`);
      }
    }
  })();

  let next = options.only ?? 0;
  const worker = async () => {
    while (running() && (options.only === undefined || next === options.only)) {
      const number = next++;
      // Each case has its own random source, so it is the same whatever ran before it.
      const fuzzCase = makeCase(seededRandom(options.seed * 1_000_003 + number), options.target);
      const entry = { number, fuzzCase };
      inFlight.add(entry);
      try {
        await fuzzCase.run();
      } catch (error) {
        fail(`case ${number} (${fuzzCase.kind}) got ${(error as Error).stack ?? error}`);
      } finally {
        inFlight.delete(entry);
        recent.push(entry);
        if (recent.length > RECENT_CASES) recent.shift();
      }
      report.cases++;
      report.kinds[fuzzCase.kind] = (report.kinds[fuzzCase.kind] ?? 0) + 1;
      if (options.only !== undefined) return;
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 6 }, worker));
  // A replayed case may take effect late: keep watching a little after it.
  if (options.only !== undefined) await settle(probe, stallMs);
  done = true;
  await Promise.all([good, watch]);
  const seen = await probe.stop();
  report.pings = seen.pings;
  report.slowestMs = seen.slowestMs;
  if (seen.slowestMs > stallMs) fail(`a ping waited ${seen.slowestMs.toFixed(0)} ms`);
  if (failures.length > 0) throw new Error(failures[0]);
  return report;
}

/** Let the probe ping a little longer after a replayed case. */
async function settle(probe: LivenessProbe, stallMs: number): Promise<void> {
  const until = Date.now() + stallMs;
  while (Date.now() < until && probe.report.failures.length === 0) {
    await new Promise((resume) => setTimeout(resume, 20));
  }
}

/**
 * A report in one line, for the test's output.
 *
 * @example
 * ```ts
 * import { describeReport } from "./fuzzer.ts";
 * // console.log(describeReport(report, "server"));
 * ```
 */
export function describeReport(report: FuzzReport, target: string): string {
  return `fuzz seed ${report.seed}: ${report.cases} cases ${JSON.stringify(report.kinds)}, ` +
    `${report.goodRounds} good rounds, ${report.pings} pings (slowest ` +
    `${report.slowestMs.toFixed(1)} ms), ${target} peak ${
      (report.peakBytes / 2 ** 20).toFixed(0)
    } MiB`;
}
