/**
 * `typenet node`: run a cluster node until SIGINT or SIGTERM (then leave gracefully).
 *
 * @example
 * ```ts
 * import { nodeCommand } from "./node_command.ts";
 * await nodeCommand(["--port", "0", "--join", "127.0.0.1:7946"]); // runs until a signal
 * ```
 * @module
 */
import { DEFAULT_CLUSTER_PORT, Node, type NodeOptions } from "../cluster/node.ts";
import { ValueNode } from "../cluster/value_node.ts";
import { ValueWriter } from "../cluster/value_writer.ts";
import { serveAdmin } from "../cluster/admin_http.ts";
import {
  checkAddress,
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

/** `typenet node --help`. */
export const NODE_HELP = `Usage: typenet node [options]

Runs a cluster node: it joins a cluster through any member's cluster port (or starts a new one
if nothing answers there), keeps track of the members, and sends and receives events.
When ready it prints one line: typenet node ID cluster port HOST:PORT (members: N)
SIGINT or SIGTERM makes it leave the cluster gracefully and stop.

Options:
  --host H                   address to listen on (default 127.0.0.1: this machine only)
  --port P                   cluster port (default ${DEFAULT_CLUSTER_PORT}; 0 picks a free one)
  --join HOST:PORT           a member's cluster port to join through (repeatable; tried in order)
  --name NAME                a name for people (default: the node's id)
  --advertise HOST:PORT      the address others reach this node at (default: where it listens)
  --value                    run a ValueNode: one value replicated on every value node
  --value-writer FILE        run a ValueWriter: a value node appending each new value to FILE
  --http PORT                serve a read-only admin API on 127.0.0.1:PORT (GET /members,
                             /value, /events as Server-Sent Events)
${CONFIG_HELP}
${LIMIT_HELP}
${SECURITY_HELP}
  -h, --help                 print this help`;

/** The flags of this command (for `typenet systemd` too). */
export const NODE_FLAGS: ParseOptions = {
  "help": { type: "boolean", short: "h" },
  "host": { type: "string" },
  "port": { type: "string" },
  "join": { type: "string", multiple: true },
  "name": { type: "string" },
  "advertise": { type: "string" },
  "value": { type: "boolean" },
  "value-writer": { type: "string" },
  "http": { type: "string" },
  ...LIMIT_FLAGS,
  ...SECURITY_FLAGS,
};

/**
 * Run `typenet node` with `args`; resolves to the exit code once stopped.
 *
 * @example
 * ```ts
 * import { nodeCommand } from "./node_command.ts";
 * await nodeCommand(["--help"]); // 0
 * ```
 */
export async function nodeCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, NODE_FLAGS);
  if (values.help) {
    console.log(NODE_HELP);
    return 0;
  }
  if (positionals.length > 0) {
    throw new UsageError(`node takes no positional arguments, got '${positionals[0]}'`);
  }
  const host = (values.host as string | undefined) ?? "127.0.0.1";
  const join = (values.join as string[] | undefined) ?? [];
  for (const address of join) checkAddress(address, "--join");
  const advertise = values.advertise as string | undefined;
  if (advertise !== undefined) checkAddress(advertise, "--advertise");
  const name = values.name as string | undefined;
  if (name !== undefined && (name.length === 0 || name.length > 128)) {
    throw new UsageError("--name must be 1 to 128 characters");
  }

  const writerFile = values["value-writer"] as string | undefined;
  if (writerFile !== undefined && values.value) {
    throw new UsageError("--value and --value-writer are two node types; choose one");
  }
  const httpPort = values.http === undefined ? undefined : port(values.http as string, 0, "--http");
  const options: NodeOptions = {
    host,
    port: port(values.port as string | undefined, DEFAULT_CLUSTER_PORT, "--port"),
    join,
    name,
    advertise,
    limits: limitsFrom(values),
    ...securityFrom(values),
    onNotice: (message) => console.error(`typenet node: ${message}`),
  };

  let node: Node;
  let admin: Deno.HttpServer<Deno.NetAddr> | undefined;
  try {
    node = writerFile !== undefined
      ? await ValueWriter.start({ ...options, file: writerFile })
      : values.value
      ? await ValueNode.start(options)
      : await Node.start(options);
    if (httpPort !== undefined) admin = serveAdmin(node, { port: httpPort });
  } catch (error) {
    console.error(`typenet node: cannot start: ${describe(error)}`);
    return 1;
  }
  const notice = exposureNotice(
    "node",
    host,
    Number(node.clusterPort.split(":").pop()),
    node.security,
  );
  if (notice) console.error(notice);
  console.log(
    `typenet node ${node.id} cluster port ${node.clusterPort} (members: ${
      node.members().filter((m) => m.state === "alive" || m.state === "suspect").length
    })`,
  );
  if (admin) console.error(`typenet node: admin API on http://127.0.0.1:${admin.addr.port}/`);
  await untilSignal();
  await node.leave();
  await admin?.shutdown();
  return 0;
}
