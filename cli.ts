/**
 * The `typenet` command line.
 *
 * ```sh
 * typenet server [HOST] [PORT]   # a list server; defaults 127.0.0.1 4444 (0 = any free port)
 * typenet --version
 * typenet --help
 * ```
 *
 * Usage errors print one line and exit 2; a failure to start prints one line and exits 1.
 *
 * @example
 * ```sh
 * deno run --allow-net=127.0.0.1 cli.ts server 127.0.0.1 4444
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { isLoopback, parsePort } from "./lib/wire/address.ts";
import { DEFAULT_LIMITS, type Limits } from "./lib/net/limits.ts";
import { DEFAULT_LIST_PORT, ListServer } from "./lib/store/list_server.ts";
import { PROTOCOL_VERSION, VERSION } from "./lib/version.ts";

const MAIN_HELP = `typenet ${VERSION}: share data and work between a few machines

Usage:
  typenet server [HOST] [PORT]   run a list server (default 127.0.0.1 ${DEFAULT_LIST_PORT})
  typenet --version              print the version
  typenet --help                 print this help

Run 'typenet server --help' for the server's options.`;

const SERVER_HELP = `Usage: typenet server [HOST] [PORT] [options]

Runs a list server: it stores the partitions of distributed Lists in memory.
HOST defaults to 127.0.0.1 (this machine only); PORT defaults to ${DEFAULT_LIST_PORT}; 0 picks a free port.
When ready it prints one line: typenet server listening on HOST:PORT
SIGINT or SIGTERM stops it.

Options:
  --max-frame-bytes N        largest frame accepted (default ${DEFAULT_LIMITS.maxFrameBytes})
  --max-connections N        open connections at once (default ${DEFAULT_LIMITS.maxConnections})
  --max-in-flight N          requests one connection may have waiting (default ${DEFAULT_LIMITS.maxInFlight})
  --max-streams N            streams one connection may have open (default ${DEFAULT_LIMITS.maxStreams})
  --handshake-timeout-ms N   time a new connection has to say hello (default ${DEFAULT_LIMITS.handshakeTimeoutMs})
  --insecure                 on an address other than loopback, accept clients from other
                             machines although there is no authentication yet (without it,
                             such a server accepts clients on its own machine only)
  -h, --help                 print this help`;

/** Frames must hold a hello (64 KiB before it) and fit the 4-byte length header comfortably. */
const MIN_MAX_FRAME_BYTES = 64 * 1024;
const MAX_MAX_FRAME_BYTES = 1024 * 1024 * 1024;

/** A mistake in the command line: one line on stderr, exit code 2. */
class UsageError extends Error {}

function positiveInteger(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[0-9]+$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`${flag} must be a positive integer, got '${text}'`);
  }
  return Number(text);
}

type ParseOptions = NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>["options"]>;

function parse(args: string[], options: ParseOptions) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.split("\n")[0]);
  }
}

async function serverCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    "help": { type: "boolean", short: "h" },
    "max-frame-bytes": { type: "string" },
    "max-connections": { type: "string" },
    "max-in-flight": { type: "string" },
    "max-streams": { type: "string" },
    "handshake-timeout-ms": { type: "string" },
    "insecure": { type: "boolean" },
  });
  if (values.help) {
    console.log(SERVER_HELP);
    return 0;
  }
  if (positionals.length > 2) {
    throw new UsageError(`server takes at most HOST and PORT, got ${positionals.length} arguments`);
  }
  const hostname = positionals[0] ?? "127.0.0.1";
  const port = positionals[1] === undefined ? DEFAULT_LIST_PORT : parsePort(positionals[1]);
  if (port === undefined) {
    throw new UsageError(`PORT must be a number from 0 to 65535, got '${positionals[1]}'`);
  }
  const limits: Partial<Limits> = {};
  const flag = (name: string) => values[name] as string | undefined;
  limits.maxFrameBytes = positiveInteger(flag("max-frame-bytes"), "--max-frame-bytes");
  if (
    limits.maxFrameBytes !== undefined &&
    (limits.maxFrameBytes < MIN_MAX_FRAME_BYTES || limits.maxFrameBytes > MAX_MAX_FRAME_BYTES)
  ) {
    throw new UsageError(
      `--max-frame-bytes must be from ${MIN_MAX_FRAME_BYTES} to ${MAX_MAX_FRAME_BYTES}`,
    );
  }
  limits.maxConnections = positiveInteger(flag("max-connections"), "--max-connections");
  limits.maxInFlight = positiveInteger(flag("max-in-flight"), "--max-in-flight");
  limits.maxStreams = positiveInteger(flag("max-streams"), "--max-streams");
  limits.handshakeTimeoutMs = positiveInteger(
    flag("handshake-timeout-ms"),
    "--handshake-timeout-ms",
  );
  for (const key of Object.keys(limits) as (keyof Limits)[]) {
    if (limits[key] === undefined) delete limits[key];
  }

  let server: ListServer;
  try {
    server = ListServer.start({
      hostname,
      port,
      limits,
      insecure: values.insecure === true,
      onError: (error, peer) => console.error(`typenet server: ${peer}: ${describe(error)}`),
    });
  } catch (error) {
    console.error(`typenet server: cannot listen on ${hostname}:${port}: ${describe(error)}`);
    return 1;
  }
  if (server.protectedMode) {
    console.error(
      `typenet server: protected mode: listening on ${hostname} without authentication, so ` +
        `only clients on this machine are accepted; --insecure accepts anyone who can reach it`,
    );
  } else if (!isLoopback(hostname)) {
    console.error(
      `typenet server: warning: --insecure: anyone who can reach ${hostname}:${server.port} ` +
        `can read and change every list (no authentication, no encryption)`,
    );
  }
  console.log(`typenet server listening on ${server.address}`);
  await new Promise<void>((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, resolve);
  });
  await server.close();
  return 0;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Run the command line `args`; resolves to the process exit code.
 *
 * @example
 * ```ts
 * import { main } from "./cli.ts";
 * await main(["--version"]); // prints "typenet 0.1.0 (protocol 1)", resolves to 0
 * ```
 */
export async function main(args: string[]): Promise<number> {
  try {
    const [command, ...rest] = args;
    switch (command) {
      case "server":
        return await serverCommand(rest);
      case "--version":
      case "-V":
        console.log(`typenet ${VERSION} (protocol ${PROTOCOL_VERSION})`);
        return 0;
      case "--help":
      case "-h":
        console.log(MAIN_HELP);
        return 0;
      case undefined:
        console.error(MAIN_HELP);
        return 2;
      default:
        throw new UsageError(
          command.startsWith("-")
            ? `unknown option '${command}'`
            : `unknown command '${command}' (commands: server)`,
        );
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`typenet: ${error.message} (see 'typenet --help')`);
    return 2;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
