/**
 * Real processes for tests and benchmarks: start a Deno script, wait (with a deadline) for
 * the line that says it is ready, keep its output, and stop it by PID.
 *
 * @example
 * ```ts
 * import { startServer } from "./process.ts";
 * await using server = await startServer();
 * console.log(server.address); // "127.0.0.1:41234"
 * ```
 * @module
 */

const ROOT = new URL("../../", import.meta.url);

/** An absolute path inside the repository. */
export function repoPath(relative: string): string {
  return new URL(relative, ROOT).pathname;
}

/** A running child process and what it has printed. */
export class ChildProcess implements AsyncDisposable {
  /** The process id. */
  readonly pid: number;
  /** Lines printed on stdout so far. */
  readonly stdout: string[] = [];
  /** Lines printed on stderr so far. */
  readonly stderr: string[] = [];
  readonly #child: Deno.ChildProcess;
  readonly #pumps: Promise<void>[];
  #status: Promise<Deno.CommandStatus>;
  #lineWaiters: (() => void)[] = [];

  constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.pid = child.pid;
    this.#pumps = [
      this.#pump(child.stdout, this.stdout),
      this.#pump(child.stderr, this.stderr),
    ];
    // The exit can be reported before the last output is read: whoever awaits the status
    // reads `stdout` next, so it resolves only once both streams have ended.
    this.#status = child.status.then(async (status) => {
      await Promise.all(this.#pumps);
      return status;
    });
  }

  /** Resolves with the exit status, once all of the process's output has been read. */
  get status(): Promise<Deno.CommandStatus> {
    return this.#status;
  }

  /** Wait until a stdout line matches `pattern`; rejects after `deadlineMs` or on exit. */
  async waitForLine(pattern: RegExp, deadlineMs = 20_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + deadlineMs;
    let exited = false;
    this.#status.then(() => exited = true);
    while (true) {
      for (const line of this.stdout) {
        const match = line.match(pattern);
        if (match) return match;
      }
      // `status` resolves once all output is read: every line has been looked at above.
      if (exited) {
        throw new Error(
          `process ${this.pid} exited before printing ${pattern}\nstderr:\n${
            this.stderr.join("\n")
          }`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `process ${this.pid} did not print ${pattern} within ${deadlineMs} ms\nstdout:\n${
            this.stdout.join("\n")
          }\nstderr:\n${this.stderr.join("\n")}`,
        );
      }
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, Math.min(left, 200));
        this.#lineWaiters.push(() => {
          clearTimeout(timer);
          wake();
        });
      });
    }
  }

  /** Send a signal (if still running). */
  kill(signal: Deno.Signal = "SIGTERM"): void {
    try {
      this.#child.kill(signal);
    } catch {
      // Already exited.
    }
  }

  /** Stop with `signal` and wait for the exit and the end of its output. */
  async stop(signal: Deno.Signal = "SIGTERM"): Promise<Deno.CommandStatus> {
    this.kill(signal);
    return await this.#status;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop("SIGKILL");
  }

  async #pump(stream: ReadableStream<Uint8Array>, lines: string[]): Promise<void> {
    let partial = "";
    for await (const text of stream.pipeThrough(new TextDecoderStream())) {
      const parts = (partial + text).split("\n");
      partial = parts.pop()!;
      lines.push(...parts);
      const waiters = this.#lineWaiters;
      this.#lineWaiters = [];
      for (const wake of waiters) wake();
    }
    if (partial) lines.push(partial);
  }
}

/** How to start a Deno script. */
export interface ScriptOptions {
  /** Deno permission flags (default: network on loopback only). */
  permissions?: string[];
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Working directory. */
  cwd?: string;
}

/**
 * Start `deno run <permissions> <script> <args>` with piped output.
 *
 * @example
 * ```ts
 * import { runScript, repoPath } from "./process.ts";
 * await using child = runScript(repoPath("cli.ts"), ["--version"]);
 * ```
 */
export function runScript(
  script: string,
  args: string[],
  options: ScriptOptions = {},
): ChildProcess {
  const command = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      ...(options.permissions ?? ["--allow-net=127.0.0.1"]),
      script,
      ...args,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    cwd: options.cwd,
    env: { NO_COLOR: "1", ...options.env },
  });
  return new ChildProcess(command.spawn());
}

/** A running `typenet server`. */
export interface ServerProcess extends ChildProcess {
  /** `host:port` it listens on. */
  readonly address: string;
  /** The port it listens on. */
  readonly port: number;
}

/**
 * Start `typenet server` (default `127.0.0.1 0`: a free port) and wait for its ready line.
 * `options` as for {@link runScript} (more Deno permissions, say, to read a token file).
 *
 * @example
 * ```ts
 * import { startServer } from "./process.ts";
 * await using server = await startServer(["127.0.0.1", "0", "--max-frame-bytes", "1024"]);
 * ```
 */
export async function startServer(
  args: string[] = ["127.0.0.1", "0"],
  options: ScriptOptions = {},
): Promise<ServerProcess> {
  const child = runScript(repoPath("cli.ts"), ["server", ...args], options);
  try {
    const match = await child.waitForLine(/^typenet server listening on (.+):(\d+)$/);
    return Object.assign(child, { address: `${match[1]}:${match[2]}`, port: Number(match[2]) });
  } catch (error) {
    await child.stop("SIGKILL");
    throw error;
  }
}
