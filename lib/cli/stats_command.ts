/**
 * `typenet stats --nodes HOST:PORT,… [--json]`: for every list server of a deployment, its lists
 * and dicts with their lengths and bytes held, and its connected clients — the original's
 * `node_debug()`, for a whole deployment.
 *
 * @example
 * ```ts
 * import { statsCommand } from "./stats_command.ts";
 * await statsCommand(["--nodes", "127.0.0.1:4444,127.0.0.1:4445"]);
 * ```
 * @module
 */
import { connect } from "../net/connect.ts";
import { TypenetError } from "../wire/errors.ts";
import {
  CLIENT_SECURITY_FLAGS,
  CLIENT_SECURITY_HELP,
  clientSecurityFrom,
} from "./security_flags.ts";
import { checkAddress, CONFIG_HELP, describe, parse, UsageError } from "./usage.ts";

/** `typenet stats --help`. */
export const STATS_HELP = `Usage: typenet stats --nodes HOST:PORT,… [--json]

Prints, for every list server named, the lists and dicts it holds (items or keys, and bytes),
its connected clients, and where it keeps its data (its --data directory, fsync mode, log size
and compactions, or "memory only"). Exit code 1 if a server cannot be asked.

Options:
  --nodes A,B,…              the servers (comma-separated, or the flag repeated)
  --json                     one JSON document instead of the table
${CLIENT_SECURITY_HELP}
${CONFIG_HELP}
  -h, --help                 print this help`;

interface Holding {
  name: string;
  count: number;
  bytes: number;
  /** Lists only: the memory their items take on that server. */
  memoryBytes?: number;
}

/** What one server said. */
interface ServerReport {
  address: string;
  connections?: number;
  lists?: Holding[];
  dicts?: Holding[];
  truncated?: boolean;
  /** Its data directory, or null (memory only); with it: fsync, logBytes, compactions. */
  data?: { dataDir: string | null; fsync?: string; logBytes?: number; compactions?: number };
  error?: string;
}

/**
 * Run `typenet stats` with `args`; resolves to the exit code.
 *
 * @example
 * ```ts
 * import { statsCommand } from "./stats_command.ts";
 * await statsCommand(["--help"]); // 0
 * ```
 */
export async function statsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    "help": { type: "boolean", short: "h" },
    "nodes": { type: "string", multiple: true },
    "json": { type: "boolean" },
    ...CLIENT_SECURITY_FLAGS,
  });
  if (values.help) {
    console.log(STATS_HELP);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError("stats takes --nodes, not positional arguments");
  const nodes = ((values.nodes as string[] | undefined) ?? []).flatMap((n) => n.split(","))
    .filter((n) => n !== "");
  if (nodes.length === 0) throw new UsageError("stats needs --nodes HOST:PORT,…");
  for (const node of nodes) checkAddress(node, "--nodes");
  const security = clientSecurityFrom(values);
  const reports = await Promise.all(nodes.map(async (address): Promise<ServerReport> => {
    try {
      const session = await connect(address, security);
      try {
        const stats = await session.request("server.stats", []) as {
          connections: number;
          dataDir?: string | null;
          fsync?: string;
          logBytes?: number;
          compactions?: number;
        };
        const held = await session.request("server.holdings", []) as {
          lists: Holding[];
          dicts: Holding[];
          truncated: boolean;
        };
        // Our own connection is not a client of the deployment.
        const { dataDir = null, fsync, logBytes, compactions } = stats;
        const data = { dataDir, fsync, logBytes, compactions };
        return { address, connections: stats.connections - 1, data, ...held };
      } finally {
        session.close();
        await session.closed;
      }
    } catch (error) {
      if (!(error instanceof TypenetError)) throw error;
      return { address, error: describe(error) };
    }
  }));
  if (values.json) console.log(JSON.stringify(reports, null, 2));
  else console.log(table(reports));
  return reports.some((r) => r.error) ? 1 : 0;
}

function table(reports: ServerReport[]): string {
  const lines: string[] = [];
  for (const report of reports) {
    if (report.error) {
      lines.push(`${report.address}: ${report.error}`);
      continue;
    }
    lines.push(`${report.address}: ${report.connections} other connection(s) (clients and peers)`);
    const data = report.data;
    lines.push(
      data?.dataDir
        ? `  data in ${data.dataDir} (fsync ${data.fsync}): log ${data.logBytes} bytes, ` +
          `${data.compactions} compaction(s) since start`
        : "  memory only (no --data)",
    );
    const rows = [
      ...report.lists!.map((
        h,
      ) => ["list", h.name, String(h.count), String(h.bytes), String(h.memoryBytes ?? "-")]),
      ...report.dicts!.map((h) => ["dict", h.name, String(h.count), String(h.bytes), "-"]),
    ];
    if (rows.length === 0) {
      lines.push("  (no lists or dicts)");
      continue;
    }
    const header = ["TYPE", "NAME", "LENGTH", "BYTES", "MEMORY"];
    const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
    for (const row of [header, ...rows]) {
      lines.push(
        "  " +
          row.map((cell, k) => k >= 2 ? cell.padStart(widths[k]) : cell.padEnd(widths[k])).join(
            "  ",
          ).trimEnd(),
      );
    }
    if (report.truncated) lines.push("  … (the first 4,096 of each only)");
  }
  return lines.join("\n");
}
