/**
 * A gateway from a shell: `typenet get` and `typenet put` move files (with a progress bar on a
 * terminal, a plain line per file otherwise, JSON lines with `--json`), and `typenet call` runs
 * a subroutine (a stream's items print one per line).
 *
 * @example
 * ```ts
 * import { getCommand } from "./gateway_tools.ts";
 * await getCommand(["127.0.0.1:1857", "--folder", "logs", "--regex", "\\.log$", "--to", "backup"]);
 * ```
 * @module
 */
import { TypenetError } from "../wire/errors.ts";
import { jsonText } from "../wire/json_text.ts";
import { Controller, type ControllerOptions } from "../gateway/controller.ts";
import type { DownloadSpec, Progress, TransferSummary } from "../gateway/transfer.ts";
import {
  checkAddress,
  describe,
  oneAddress,
  parse,
  positiveInteger,
  untilSignal,
  UsageError,
} from "./usage.ts";
import { CLIENT_SECURITY_FLAGS, clientSecurityFrom } from "./security_flags.ts";

/**
 * `typenet get HOST:PORT (--folder F [--regex R] | --path P…) [--to DIR] [--connections N] [--json]`.
 *
 * @example
 * ```ts
 * import { getCommand } from "./gateway_tools.ts";
 * await getCommand(["127.0.0.1:1857", "--path", "logs/app.log"]);
 * ```
 */
export async function getCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    ...CLIENT_SECURITY_FLAGS,
    folder: { type: "string" },
    regex: { type: "string" },
    path: { type: "string", multiple: true },
    to: { type: "string" },
    connections: { type: "string" },
    json: { type: "boolean" },
  });
  const address = oneAddress(positionals, "get");
  const paths = values.path as string[] | undefined;
  const folder = values.folder as string | undefined;
  if ((folder === undefined) === (paths === undefined)) {
    throw new UsageError("get takes --folder F (with --regex R if you like) or --path P…");
  }
  const regex = values.regex as string | undefined;
  if (regex !== undefined) {
    try {
      new RegExp(regex);
    } catch {
      throw new UsageError(`--regex is not a regular expression: ${regex}`);
    }
  }
  const spec: DownloadSpec = paths ? { paths } : { folder: folder!, regex };
  const connections = positiveInteger(values.connections as string | undefined, "--connections") ??
    1;
  const report = reporter(values.json === true, "downloaded");
  return await withController(
    address,
    { ...clientSecurityFrom(values), downloadDir: (values.to as string) ?? "." },
    async (ctl) => {
      const swarm = await ctl.swarm(connections, { wait: 10_000 });
      try {
        return report.done(await swarm.download(spec, { onProgress: report.progress }));
      } finally {
        await swarm.close();
      }
    },
  );
}

/**
 * `typenet put HOST:PORT FILES… [--folder F] [--connections N] [--json]`.
 *
 * @example
 * ```ts
 * import { putCommand } from "./gateway_tools.ts";
 * await putCommand(["127.0.0.1:1857", "a.txt", "--folder", "incoming"]);
 * ```
 */
export async function putCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    ...CLIENT_SECURITY_FLAGS,
    folder: { type: "string" },
    connections: { type: "string" },
    json: { type: "boolean" },
  });
  if (positionals.length < 2) throw new UsageError("put takes HOST:PORT and at least one file");
  const [address, ...files] = positionals;
  checkAddress(address);
  const connections = positiveInteger(values.connections as string | undefined, "--connections") ??
    1;
  const report = reporter(values.json === true, "uploaded");
  return await withController(address, clientSecurityFrom(values), async (ctl) => {
    const swarm = await ctl.swarm(connections, { wait: 10_000 });
    try {
      return report.done(
        await swarm.upload(files, {
          folder: values.folder as string | undefined,
          onProgress: report.progress,
        }),
      );
    } finally {
      await swarm.close();
    }
  });
}

/**
 * `typenet call HOST:PORT NAME [JSON-ARG…]`: the result as JSON, or each item of a stream as
 * `IDENT JSON` on a line of its own until it ends (or SIGINT).
 *
 * @example
 * ```ts
 * import { callCommand } from "./gateway_tools.ts";
 * await callCommand(["127.0.0.1:1857", "mountUsage", "123"]);
 * ```
 */
export async function callCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, CLIENT_SECURITY_FLAGS);
  if (positionals.length < 2) {
    throw new UsageError("call takes HOST:PORT, a subroutine name and its arguments");
  }
  const [address, name, ...jsonArgs] = positionals;
  checkAddress(address);
  const callArgs = jsonArgs.map((text) => {
    try {
      return JSON.parse(text);
    } catch {
      throw new UsageError(`each argument must be JSON, got '${text}'`);
    }
  });
  return await withController(address, clientSecurityFrom(values), async (ctl) => {
    const client = await ctl.getClient({ wait: 10_000 });
    try {
      if (client.subroutines[name] !== "generator") {
        console.log(jsonText(await client.batch(name, callArgs)));
        return 0;
      }
      const items = client.stream(name, callArgs);
      const stop = untilSignal().then(() => items.return?.(undefined));
      for await (const [ident, payload] of items) console.log(`${ident} ${jsonText(payload)}`);
      await Promise.race([stop, Promise.resolve()]);
      return 0;
    } finally {
      await client.closeHandler();
    }
  });
}

/** How a transfer is shown: a bar on a terminal, a line per file otherwise, or JSON lines. */
function reporter(json: boolean, verb: string) {
  const tty = !json && Deno.stderr.isTerminal();
  const started = performance.now();
  let lastFiles = -1;
  const rate = (bytes: number) => bytes / Math.max(0.001, (performance.now() - started) / 1000);
  return {
    progress(p: Progress) {
      if (json) {
        console.log(JSON.stringify({ event: "progress", ...p }));
      } else if (tty) {
        const fraction = p.totalBytes === 0 ? 1 : p.bytes / p.totalBytes;
        const bar = "#".repeat(Math.round(fraction * 30)).padEnd(30, ".");
        const perSecond = rate(p.bytes);
        const eta = perSecond > 0 ? (p.totalBytes - p.bytes) / perSecond : 0;
        Deno.stderr.writeSync(
          new TextEncoder().encode(
            `\r[${bar}] ${mb(p.bytes)}/${mb(p.totalBytes)} MB  ${p.files}/${p.totalFiles} files  ` +
              `${mb(perSecond)} MB/s  ETA ${eta.toFixed(0)} s   `,
          ),
        );
      } else if (p.files !== lastFiles) {
        lastFiles = p.files;
        console.error(
          `${p.files}/${p.totalFiles} files, ${p.bytes} of ${p.totalBytes} bytes (${p.file})`,
        );
      }
    },
    done(summary: TransferSummary): number {
      if (tty) Deno.stderr.writeSync(new TextEncoder().encode("\n"));
      if (json) console.log(JSON.stringify({ event: "done", ...summary }));
      else {
        console.log(
          `${verb} ${summary.moved} file(s), ${summary.bytes} bytes; ${summary.skipped} already identical`,
        );
      }
      return 0;
    },
  };
}

function mb(bytes: number): string {
  return (bytes / 1_000_000).toFixed(1);
}

async function withController(
  address: string,
  options: ControllerOptions,
  work: (ctl: Controller) => Promise<number>,
): Promise<number> {
  let ctl: Controller;
  try {
    ctl = await Controller.connect(address, options);
  } catch (error) {
    console.error(`typenet: ${describe(error)}`);
    return 1;
  }
  try {
    return await work(ctl);
  } catch (error) {
    if (!(error instanceof TypenetError) && !(error instanceof Deno.errors.NotFound)) throw error;
    console.error(`typenet: ${describe(error)}`);
    return 1;
  } finally {
    await ctl.close();
  }
}
