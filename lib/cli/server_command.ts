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
import { DataDirError } from "../store/data_dir.ts";
import {
  CONFIG_HELP,
  describe,
  LIMIT_FLAGS,
  LIMIT_HELP,
  limitsFrom,
  parse,
  type ParseOptions,
  port,
  positiveInteger,
  untilSignal,
  UsageError,
} from "./usage.ts";
import { exposureNotice, SECURITY_FLAGS, SECURITY_HELP, securityFrom } from "./security_flags.ts";

/** `typenet server --help`. */
export const SERVER_HELP = `Usage: typenet server [HOST] [PORT] [options]

Runs a list server: it stores the partitions of distributed Lists and the keys of Dicts.
HOST defaults to 127.0.0.1 (this machine only); PORT defaults to ${DEFAULT_LIST_PORT}; 0 picks a free port.
When ready it prints one line: typenet server listening on HOST:PORT
SIGINT or SIGTERM stops it.

Options:
  --host H, --port P         the same as HOST and PORT (for --config files)
  --data DIR                 keep lists and dicts in DIR across a stop, a crash and a restart;
                             without it everything is in memory only
  --fsync MODE               always | everysec | no (default everysec): when a write is answered —
                             after it is on disk; after it is written, synced within a second;
                             after it is written, synced when the OS likes
  --compact-min-bytes N      compact the log in the background once it is N bytes and twice the
                             data it holds (default 67108864)
${CONFIG_HELP}
${LIMIT_HELP}
${SECURITY_HELP}
  -h, --help                 print this help`;

/** The flags of this command (for `typenet systemd` too). */
export const SERVER_FLAGS: ParseOptions = {
  "help": { type: "boolean", short: "h" },
  "host": { type: "string" },
  "port": { type: "string" },
  "data": { type: "string" },
  "fsync": { type: "string" },
  "compact-min-bytes": { type: "string" },
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
  const fsync = (values.fsync as string | undefined) ?? "everysec";
  if (fsync !== "always" && fsync !== "everysec" && fsync !== "no") {
    throw new UsageError(`--fsync must be always, everysec or no, not '${fsync}'`);
  }
  const data = values.data as string | undefined;

  let server: ListServer;
  try {
    server = await ListServer.start({
      hostname,
      port: listenPort,
      limits,
      data,
      fsync,
      compactMinBytes: positiveInteger(
        values["compact-min-bytes"] as string | undefined,
        "--compact-min-bytes",
      ),
      ...securityFrom(values),
      onError: (error, peer) => console.error(`typenet server: ${peer}: ${describe(error)}`),
    });
  } catch (error) {
    if (error instanceof DataDirError) console.error(`typenet server: ${error.message}`);
    else {console.error(
        `typenet server: cannot listen on ${hostname}:${listenPort}: ${describe(error)}`,
      );}
    return 1;
  }
  console.error(dataNotice(server));
  const notice = exposureNotice("server", hostname, server.port, server.security);
  if (notice) console.error(notice);
  console.log(`typenet server listening on ${server.address}`);
  await untilSignal();
  await server.close();
  return 0;
}

/** The line a server prints at start about where its data lives. */
function dataNotice(server: ListServer): string {
  const data = server.data;
  if (!data) {
    return "typenet server: no --data: lists and dicts are in memory only, and lost when it stops";
  }
  const torn = data.tornBytes > 0
    ? `; cut off a torn tail of ${data.tornBytes} bytes (a write cut short by a crash)`
    : "";
  return `typenet server: lists and dicts kept in ${data.path} (fsync ${data.fsync}); ` +
    `${data.records} records replayed${torn}`;
}
