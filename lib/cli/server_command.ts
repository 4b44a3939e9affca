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
import { isLoopback } from "../wire/address.ts";
import { DEFAULT_LIST_PORT, ListServer } from "../store/list_server.ts";
import {
  describe,
  LIMIT_FLAGS,
  LIMIT_HELP,
  limitsFrom,
  parse,
  port,
  untilSignal,
  UsageError,
} from "./usage.ts";

/** `typenet server --help`. */
export const SERVER_HELP = `Usage: typenet server [HOST] [PORT] [options]

Runs a list server: it stores the partitions of distributed Lists in memory.
HOST defaults to 127.0.0.1 (this machine only); PORT defaults to ${DEFAULT_LIST_PORT}; 0 picks a free port.
When ready it prints one line: typenet server listening on HOST:PORT
SIGINT or SIGTERM stops it.

Options:
${LIMIT_HELP}
  --insecure                 on an address other than loopback, accept clients from other
                             machines although there is no authentication yet (without it,
                             such a server accepts clients on its own machine only)
  -h, --help                 print this help`;

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
  const { values, positionals } = parse(args, {
    "help": { type: "boolean", short: "h" },
    ...LIMIT_FLAGS,
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
  const listenPort = port(positionals[1], DEFAULT_LIST_PORT, "PORT");
  const limits = limitsFrom(values);

  let server: ListServer;
  try {
    server = ListServer.start({
      hostname,
      port: listenPort,
      limits,
      insecure: values.insecure === true,
      onError: (error, peer) => console.error(`typenet server: ${peer}: ${describe(error)}`),
    });
  } catch (error) {
    console.error(`typenet server: cannot listen on ${hostname}:${listenPort}: ${describe(error)}`);
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
  await untilSignal();
  await server.close();
  return 0;
}
