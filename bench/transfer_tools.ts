/**
 * The tools the file benchmark measures typenet against, each started on a free loopback port
 * and stopped by PID: `iperf3` (the physical limit of one TCP stream here) and `rsync` in daemon
 * mode (what users would pick to copy folders between machines).
 *
 * @example
 * ```ts
 * import { iperf3Rate, startRsyncDaemon } from "./transfer_tools.ts";
 * const bytesPerSecond = await iperf3Rate(1 << 30);
 * await using rsync = await startRsyncDaemon("/srv/files");
 * await rsync.copyTo("/tmp/copy");
 * ```
 * @module
 */
import { ChildProcess } from "../tests/support/process.ts";
import { freePort, waitFor } from "../tests/support/wait.ts";

/** Thrown when a tool is not installed, saying how to install it. */
export class ToolMissing extends Error {}

/** Run a command to its end; its stdout, or `ToolMissing` if it is not installed. */
async function run(command: string, args: string[]): Promise<string> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(command, { args, stdin: "null" }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new ToolMissing(
        `${command} not found: install it (Debian/Ubuntu: apt-get install ${command})`,
      );
    }
    throw error;
  }
  const text = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    throw new Error(
      `${command} ${args.join(" ")} failed: ${new TextDecoder().decode(output.stderr)}`,
    );
  }
  return text;
}

/** The first line `command --version` prints. */
export async function versionOf(command: string): Promise<string> {
  return (await run(command, ["--version"])).split("\n")[0].trim();
}

/**
 * iperf3's rate for one TCP stream over loopback sending `bytes` (bytes per second, as the
 * receiver counted them).
 */
export async function iperf3Rate(bytes: number): Promise<number> {
  const port = await freePort();
  const server = new ChildProcess(
    new Deno.Command("iperf3", {
      args: ["-s", "-1", "--forceflush", "-B", "127.0.0.1", "-p", String(port)],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn(),
  );
  try {
    await server.waitForLine(/Server listening/, 10_000);
    const report = JSON.parse(
      await run("iperf3", ["-c", "127.0.0.1", "-p", String(port), "-n", String(bytes), "-J"]),
    );
    return report.end.sum_received.bits_per_second / 8;
  } finally {
    await server.stop("SIGKILL");
  }
}

/** A running `rsync --daemon` sharing one folder as module `files`. */
export interface RsyncDaemon extends AsyncDisposable {
  /** Copy the whole module into `dest` (`rsync -a`, what users run), like a first backup. */
  copyTo(dest: string): Promise<void>;
  stop(): Promise<void>;
}

/** Start `rsync --daemon` on a free loopback port, sharing `folder` read-only. */
export async function startRsyncDaemon(folder: string): Promise<RsyncDaemon> {
  await versionOf("rsync");
  const dir = await Deno.makeTempDir({ prefix: "typenet-rsyncd-" });
  const port = await freePort();
  await Deno.writeTextFile(
    `${dir}/rsyncd.conf`,
    [
      `pid file = ${dir}/rsyncd.pid`,
      "use chroot = false",
      "[files]",
      `path = ${folder}`,
      "read only = true",
      "",
    ].join("\n"),
  );
  const daemon = new ChildProcess(
    new Deno.Command("rsync", {
      args: [
        "--daemon",
        "--no-detach",
        `--config=${dir}/rsyncd.conf`,
        "--address=127.0.0.1",
        `--port=${port}`,
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn(),
  );
  const stop = async () => {
    await daemon.stop("SIGTERM");
    await Deno.remove(dir, { recursive: true });
  };
  try {
    await waitFor(async () => {
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port })).close();
        return true;
      } catch {
        return false;
      }
    }, { what: "rsync --daemon to listen" });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    copyTo: async (dest) =>
      void await run("rsync", ["-a", `rsync://127.0.0.1:${port}/files/`, `${dest}/`]),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
