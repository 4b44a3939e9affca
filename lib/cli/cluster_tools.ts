/**
 * Poking a cluster from a shell, as `nats pub` and `nats sub` do: `typenet members`,
 * `typenet emit` and `typenet listen`, each talking to one node's cluster port as a client.
 *
 * @example
 * ```ts
 * import { membersCommand } from "./cluster_tools.ts";
 * await membersCommand(["127.0.0.1:7946", "--json"]);
 * ```
 * @module
 */
import { NodeOp } from "../wire/cluster_protocol.ts";
import { decodeValue, encodeValue } from "../wire/codec.ts";
import { jsonText } from "../wire/json_text.ts";
import { TypenetError } from "../wire/errors.ts";
import { connect, type ConnectOptions } from "../net/connect.ts";
import type { Session } from "../net/session.ts";
import type { MemberInfo } from "../cluster/node.ts";
import { checkAddress, describe, oneAddress, parse, untilSignal, UsageError } from "./usage.ts";
import { CLIENT_SECURITY_FLAGS, clientSecurityFrom } from "./security_flags.ts";

/**
 * `typenet members HOST:PORT [--json]`: the members as that node sees them.
 * `typenet members HOST:PORT --remove ID`: remove a failed member for good (needs the admin
 * token when the cluster has tokens).
 *
 * @example
 * ```ts
 * import { membersCommand } from "./cluster_tools.ts";
 * await membersCommand(["127.0.0.1:7946"]);
 * ```
 */
export async function membersCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    json: { type: "boolean" },
    remove: { type: "string" },
    ...CLIENT_SECURITY_FLAGS,
  });
  const address = oneAddress(positionals, "members");
  const remove = values.remove as string | undefined;
  if (remove !== undefined) {
    return await withNode(address, clientSecurityFrom(values), async (session) => {
      await session.request(NodeOp.Remove, [remove]);
      console.log(`removed ${remove}: every member now reports it as left`);
      return 0;
    });
  }
  return await withNode(address, clientSecurityFrom(values), async (session) => {
    const members = decodeValue(
      await session.request(NodeOp.Members, []) as Uint8Array,
    ) as MemberInfo[];
    if (values.json) {
      console.log(JSON.stringify(members, null, 2));
      return 0;
    }
    const rows = members.map((m) => [
      m.id,
      m.name,
      m.address,
      m.state,
      m.type,
      m.route + (m.via ? ` via ${m.via}` : ""),
    ]);
    const header = ["ID", "NAME", "ADDRESS", "STATE", "TYPE", "ROUTE"];
    const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
    for (const row of [header, ...rows]) {
      console.log(row.map((cell, k) => cell.padEnd(widths[k])).join("  ").trimEnd());
    }
    return 0;
  });
}

/**
 * `typenet emit HOST:PORT EVENT [JSON]`: send an event to every member (that node included);
 * exit code 1 if any member did not get it.
 *
 * @example
 * ```ts
 * import { emitCommand } from "./cluster_tools.ts";
 * await emitCommand(["127.0.0.1:7946", "greeting", '{"hello":"world"}']);
 * ```
 */
export async function emitCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, CLIENT_SECURITY_FLAGS);
  if (positionals.length < 2 || positionals.length > 3) {
    throw new UsageError("emit takes HOST:PORT, EVENT and optionally a JSON value");
  }
  const [address, event, json] = positionals;
  checkAddress(address);
  let data: unknown = null;
  if (json !== undefined) {
    try {
      data = JSON.parse(json);
    } catch {
      throw new UsageError(`the value must be JSON, got '${json}'`);
    }
  }
  return await withNode(address, clientSecurityFrom(values), async (session) => {
    const result = await session.request(NodeOp.Emit, [event, encodeValue(data)]) as {
      delivered: string[];
      failed: { id: string; error: [string, string] }[];
    };
    console.log(`delivered to ${result.delivered.length} member(s)`);
    for (const { id, error: [code, message] } of result.failed) {
      console.log(`not delivered to ${id}: ${code}: ${message}`);
    }
    return result.failed.length === 0 ? 0 : 1;
  });
}

/**
 * `typenet listen HOST:PORT [EVENT…]`: print that node's cluster events as they arrive, one
 * line each (`EVENT FROM VALUE`, the value as JSON), until SIGINT or SIGTERM.
 *
 * @example
 * ```ts
 * import { listenCommand } from "./cluster_tools.ts";
 * await listenCommand(["127.0.0.1:7946", "greeting"]);
 * ```
 */
export async function listenCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, CLIENT_SECURITY_FLAGS);
  if (positionals.length < 1) throw new UsageError("listen takes HOST:PORT and event names");
  const [address, ...events] = positionals;
  checkAddress(address);
  return await withNode(address, clientSecurityFrom(values), async (session) => {
    const stream = session.stream(NodeOp.Listen, events, { timeoutMs: 0, window: 64 });
    const stop = untilSignal().then(() => stream.return());
    console.error(
      `typenet listen: listening to ${address}${events.length ? ` for ${events.join(", ")}` : ""}`,
    );
    for await (const item of stream) {
      const [event, payload, from] = item as [string, Uint8Array, string];
      console.log(`${event} ${from} ${jsonText(decodeValue(payload))}`);
    }
    await Promise.race([stop, Promise.resolve()]);
    return 0;
  });
}

async function withNode(
  address: string,
  security: ConnectOptions,
  work: (session: Session) => Promise<number>,
) {
  let session: Session;
  try {
    session = await connect(address, security);
  } catch (error) {
    console.error(`typenet: ${describe(error)}`);
    return 1;
  }
  try {
    return await work(session);
  } catch (error) {
    if (!(error instanceof TypenetError)) throw error;
    console.error(`typenet: ${address}: ${error.message}`);
    return 1;
  } finally {
    session.close();
    await session.closed;
  }
}
