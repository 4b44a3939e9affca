/**
 * Watching a server while something tries to hurt it: a well-behaved client that pings it
 * over and over (how long did the slowest answer take?), and the memory of its process, read
 * from /proc (what does it hold now, and what did it ever hold at most?).
 *
 * @example
 * ```ts
 * import { LivenessProbe, processMemory } from "./liveness.ts";
 * const probe = await LivenessProbe.start("127.0.0.1:4444");
 * // … attack the server …
 * const { slowestMs, failures } = await probe.stop();
 * console.log(slowestMs, failures, (await processMemory(1234)).peakBytes);
 * ```
 * @module
 */
import { connect } from "../../lib/net/connect.ts";
import type { Session } from "../../lib/net/session.ts";

/** What a probe saw. */
export interface LivenessReport {
  /** Pings answered. */
  pings: number;
  /** The longest a ping waited for its answer (or is waiting, if it never came). */
  slowestMs: number;
  /** What went wrong, if anything (a ping that failed or timed out). */
  failures: string[];
}

/** See the module docs. */
export class LivenessProbe {
  readonly #session: Session;
  readonly #timeoutMs: number;
  readonly #report: LivenessReport = { pings: 0, slowestMs: 0, failures: [] };
  readonly #loop: Promise<void>;
  #running = true;
  #wake: (() => void) | undefined;
  #pingStarted = 0;

  private constructor(session: Session, timeoutMs: number, intervalMs: number) {
    this.#session = session;
    this.#timeoutMs = timeoutMs;
    this.#loop = this.#run(intervalMs);
  }

  /** Connect to `address` and ping every `intervalMs`, each ping failing after `timeoutMs`. */
  static async start(
    address: string,
    { intervalMs = 20, timeoutMs = 5_000 } = {},
  ): Promise<LivenessProbe> {
    const session = await connect(address, { requestTimeoutMs: timeoutMs });
    return new LivenessProbe(session, timeoutMs, intervalMs);
  }

  /** The report so far, counting a ping still waiting as slow as it has been. */
  get report(): LivenessReport {
    const waiting = this.#pingStarted > 0 ? performance.now() - this.#pingStarted : 0;
    return { ...this.#report, slowestMs: Math.max(this.#report.slowestMs, waiting) };
  }

  /** Stop pinging, close the connection, and say what was seen. */
  async stop(): Promise<LivenessReport> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    this.#session.close();
    await this.#session.closed;
    return this.#report;
  }

  async #run(intervalMs: number): Promise<void> {
    while (this.#running) {
      this.#pingStarted = performance.now();
      try {
        const answer = await this.#session.request("ping", [], { timeoutMs: this.#timeoutMs });
        if (answer !== "pong") this.#report.failures.push(`ping answered ${String(answer)}`);
        this.#report.pings++;
      } catch (error) {
        this.#report.failures.push(`ping failed: ${(error as Error).message}`);
      }
      const took = performance.now() - this.#pingStarted;
      this.#pingStarted = 0;
      this.#report.slowestMs = Math.max(this.#report.slowestMs, took);
      if (!this.#session.isOpen) {
        this.#report.failures.push("the probe's connection closed");
        return;
      }
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, intervalMs);
        this.#wake = () => {
          clearTimeout(timer);
          wake();
        };
      });
    }
  }
}

/** A process's memory, from /proc/PID/status. */
export interface ProcessMemory {
  /** Resident now (VmRSS). */
  rssBytes: number;
  /** The most it was ever resident (VmHWM). */
  peakBytes: number;
}

/**
 * The memory of process `pid`, from /proc (Linux). Deno lets a program read /proc only with
 * every permission, so this asks `cat` (tests have --allow-run).
 *
 * @example
 * ```ts
 * import { processMemory } from "./liveness.ts";
 * (await processMemory(Deno.pid)).rssBytes;
 * ```
 */
export async function processMemory(pid: number): Promise<ProcessMemory> {
  const output = await new Deno.Command("cat", { args: [`/proc/${pid}/status`], stderr: "null" })
    .output();
  const status = new TextDecoder().decode(output.stdout);
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status);
    if (!match) throw new Error(`no ${name} in /proc/${pid}/status (has it exited?)`);
    return Number(match[1]) * 1024;
  };
  return { rssBytes: field("VmRSS"), peakBytes: field("VmHWM") };
}
