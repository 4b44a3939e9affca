/**
 * `typenet server [HOST] [PORT]`: run a list server until SIGINT or SIGTERM.
 *
 * @example
 * ```ts
 * import { serverCommand } from "./server_command.ts";
 * const code = await serverCommand(["127.0.0.1", "0"]); // runs until a signal
 * ```
 * @module
 */
import { DEFAULT_LIST_PORT, ListServer } from "../store/list_server.ts";
import {
  CONFIG_HELP,
  describe,
  LIMIT_FLAGS,
  LIMIT_HELP,
  limitsFrom,
  parse,
  type ParseOptions,
  port,
  untilSignal,
  UsageError,
} from "./usage.ts";
import { exposureNotice, SECURITY_FLAGS, SECURITY_HELP, securityFrom } from "./security_flags.ts";

/** `typenet server --help`. */
export const SERVER_HELP = `Usage: typenet server [HOST] [PORT] [options]

Runs a list server: it stores the partitions of distributed Lists in memory.
HOST defaults to 127.0.0.1 (this machine only); PORT defaults to ${DEFAULT_LIST_PORT}; 0 picks a free port.
When ready it prints one line: typenet server listening on HOST:PORT
SIGINT or SIGTERM stops it.

Options:
  --host H, --port P         the same as HOST and PORT (for --config files)
${CONFIG_HELP}
${LIMIT_HELP}
${SECURITY_HELP}
  -h, --help                 print this help`;

/** The flags of this command (for `typenet systemd` too). */
export const SERVER_FLAGS: ParseOptions = {
  "help": { type: "boolean", short: "h" },
  "host": { type: "string" },
  "port": { type: "string" },
  ...LIMIT_FLAGS,
  ...SECURITY_FLAGS,
};

/**
 * Run `typenet server` with `args`; resolves to the exit code once stopped.
 *
 * @example
 * ```ts
 * import { serverCommand } from "./server_command.ts";
 * await serverCommand(["--help"]); // 0
 * ```
 */
export async function serverCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, SERVER_FLAGS);
  if (values.help) {
    console.log(SERVER_HELP);
    return 0;
  }
  if (positionals.length > 2) {
    throw new UsageError(`server takes at most HOST and PORT, got ${positionals.length} arguments`);
  }
  const hostname = positionals[0] ?? (values.host as string | undefined) ?? "127.0.0.1";
  const listenPort = port(
    positionals[1] ?? (values.port as string | undefined),
    DEFAULT_LIST_PORT,
    "PORT",
  );
  const limits = limitsFrom(values);

  let server: ListServer;
  try {
    server = await ListServer.start({
      hostname,
      port: listenPort,
      limits,
      ...securityFrom(values),
      onError: (error, peer) => console.error(`typenet server: ${peer}: ${describe(error)}`),
    });
  } catch (error) {
    console.error(`typenet server: cannot listen on ${hostname}:${listenPort}: ${describe(error)}`);
    return 1;
  }
  const notice = exposureNotice("server", hostname, server.port, server.security);
  if (notice) console.error(notice);
  console.log(`typenet server listening on ${server.address}`);
  await untilSignal();
  await server.close();
  return 0;
}
