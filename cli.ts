/**
 * The `typenet` command line.
 *
 * ```sh
 * typenet server [HOST] [PORT]   # a list server; defaults 127.0.0.1 4444 (0 = any free port)
 * typenet node [--port P] [--join HOST:PORT]   # a cluster node
 * typenet members|emit|listen HOST:PORT …      # poke a cluster from a shell
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
import { serverCommand } from "./lib/cli/server_command.ts";
import { nodeCommand } from "./lib/cli/node_command.ts";
import { gatewayCommand } from "./lib/cli/gateway_command.ts";
import { callCommand, getCommand, putCommand } from "./lib/cli/gateway_tools.ts";
import { emitCommand, listenCommand, membersCommand } from "./lib/cli/cluster_tools.ts";
import { UsageError } from "./lib/cli/usage.ts";
import { tokenCommand } from "./lib/cli/token_command.ts";
import { statsCommand } from "./lib/cli/stats_command.ts";
import { CLIENT_HELP } from "./lib/cli/client_help.ts";
import { certCommand } from "./lib/cli/cert_command.ts";
import { systemdCommand } from "./lib/cli/systemd_command.ts";
import { DEFAULT_LIST_PORT } from "./lib/store/list_server.ts";
import { DEFAULT_CLUSTER_PORT } from "./lib/cluster/node.ts";
import { PROTOCOL_VERSION, VERSION } from "./lib/version.ts";

const MAIN_HELP = `typenet ${VERSION}: share data and work between a few machines

Usage:
  typenet server [HOST] [PORT]        run a list server (default 127.0.0.1 ${DEFAULT_LIST_PORT})
  typenet node [options]              run a cluster node (default 127.0.0.1 ${DEFAULT_CLUSTER_PORT})
  typenet members HOST:PORT [--json]  list a cluster's members, as a node there sees them
                  (--remove ID: remove a failed member for good; an admin operation)
  typenet emit HOST:PORT EVENT [JSON] send an event to every member of a cluster
  typenet listen HOST:PORT [EVENT…]   print a node's cluster events as they arrive
  typenet gateway --subroutines FILE  run a gateway (default 127.0.0.1 1857)
  typenet get HOST:PORT --folder F    download files from a gateway (--regex, --path, --to, --connections)
  typenet put HOST:PORT FILES…        upload files to a gateway (--folder, --connections)
  typenet call HOST:PORT NAME [JSON…] run a gateway subroutine and print what it returns
  typenet stats --nodes A,B,… [--json]  each list server's lists and dicts, sizes and clients
  typenet token new FILE              write a new random token to FILE (mode 0600)
  typenet cert ca DIR | new DIR NAME HOST…  make a CA, or a certificate it signs (TLS)
  typenet systemd ROLE [flags…]       print a hardened systemd unit running 'typenet ROLE flags…'
  typenet --version                   print the version
  typenet --help                      print this help

Every command that connects takes --token-file FILE (default: $TYPENET_TOKEN), --tls-ca FILE
(or --tls for the system's CAs) and, under mutual TLS, --tls-cert FILE --tls-key FILE.
Every command takes --config FILE: flags from a JSON or JSONC file (flags given win).
Every command takes --help.`;

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
    if (
      Object.hasOwn(CLIENT_HELP, command ?? "") && rest.some((a) => a === "-h" || a === "--help")
    ) {
      console.log(CLIENT_HELP[command]);
      return 0;
    }
    switch (command) {
      case "server":
        return await serverCommand(rest);
      case "node":
        return await nodeCommand(rest);
      case "members":
        return await membersCommand(rest);
      case "emit":
        return await emitCommand(rest);
      case "listen":
        return await listenCommand(rest);
      case "gateway":
        return await gatewayCommand(rest);
      case "get":
        return await getCommand(rest);
      case "put":
        return await putCommand(rest);
      case "call":
        return await callCommand(rest);
      case "stats":
        return await statsCommand(rest);
      case "token":
        return await tokenCommand(rest);
      case "cert":
        return await certCommand(rest);
      case "systemd":
        return await systemdCommand(rest);
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
            : `unknown command '${command}' (commands: server, node, members, emit, listen, gateway, get, put, call, stats, token, cert, systemd)`,
        );
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`typenet: ${error.message} (see 'typenet --help')`);
    return 2;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
