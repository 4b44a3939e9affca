/**
 * `--help` for the commands that talk to a running role: `members`, `emit`, `listen`, `get`,
 * `put`, `call` (the roles and `stats`, `token`, `cert`, `systemd` have their own).
 *
 * @example
 * ```ts
 * import { CLIENT_HELP } from "./client_help.ts";
 * console.log(CLIENT_HELP.members);
 * ```
 * @module
 */
import { CLIENT_SECURITY_HELP } from "./security_flags.ts";
import { CONFIG_HELP } from "./usage.ts";

const common = `${CLIENT_SECURITY_HELP}
${CONFIG_HELP}
  -h, --help                 print this help`;

/** Help text by command name. */
export const CLIENT_HELP: Readonly<Record<string, string>> = {
  members: `Usage: typenet members HOST:PORT [--json] [--remove ID]

Lists a cluster's members as the node at HOST:PORT sees them: id, name, address, state, type and
route. With --remove ID, removes a failed member for good (an admin operation).

Options:
  --json                     one JSON array instead of the table
  --remove ID                remove the failed member ID (every member then reports it as left)
${common}`,
  emit: `Usage: typenet emit HOST:PORT EVENT [JSON]

Sends EVENT (with the JSON value, or null) to every member of the cluster, through the node at
HOST:PORT. Prints how many members got it; exit code 1 if any did not.

Options:
${common}`,
  listen: `Usage: typenet listen HOST:PORT [EVENT…]

Prints the cluster events the node at HOST:PORT receives, one line each (EVENT FROM VALUE), all of
them or only the EVENTs named, until SIGINT or SIGTERM.

Options:
${common}`,
  get:
    `Usage: typenet get HOST:PORT (--folder F [--regex R] | --path P…) [--to DIR] [--connections N] [--json]

Downloads files from the gateway at HOST:PORT into DIR (default .), resuming partial files and
skipping ones already there.

Options:
  --folder F                 a folder of the gateway's shared folder (with --regex R: matching paths only)
  --path P                   one file (repeatable)
  --to DIR                   where to put them (default .)
  --connections N            connections to share the work (default 1)
  --json                     progress and summary as JSON lines
${common}`,
  put: `Usage: typenet put HOST:PORT FILES… [--folder F] [--connections N] [--json]

Uploads FILES to the gateway at HOST:PORT, into folder F of its shared folder (default: its root).

Options:
  --folder F                 the folder to upload into
  --connections N            connections to share the work (default 1)
  --json                     progress and summary as JSON lines
${common}`,
  call: `Usage: typenet call HOST:PORT NAME [JSON…]

Runs the gateway subroutine NAME with the JSON arguments and prints what it returns (a generator's
items, one per line).

Options:
${common}`,
};
