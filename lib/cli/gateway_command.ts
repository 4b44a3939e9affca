/**
 * `typenet gateway`: run a gateway until SIGINT, SIGTERM or a controller's `closeGateway()`.
 *
 * @example
 * ```ts
 * import { gatewayCommand } from "./gateway_command.ts";
 * await gatewayCommand(["--subroutines", "subs.ts", "--port", "0"]); // runs until stopped
 * ```
 * @module
 */
import { DEFAULT_GATEWAY_PORT } from "../wire/gateway_protocol.ts";
import { DEFAULT_CALL_TIMEOUT_MS, DEFAULT_POOL, Gateway } from "../gateway/gateway.ts";
import { DEFAULT_LEASE_IDLE_MS } from "../gateway/leases.ts";
import {
  describeGrants,
  parseGrants,
  type SubroutineGrants,
} from "../gateway/subroutine_permissions.ts";
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

/** `typenet gateway --help`. */
export const GATEWAY_HELP = `Usage: typenet gateway --subroutines FILE [options]

Runs a gateway: it runs the subroutines (exported functions and generators) of FILE for remote
clients, each client on a handler Worker of its own from a pool.
When ready it prints one line: typenet gateway listening on HOST:PORT (pool N)
SIGINT, SIGTERM or a controller's closeGateway() stops it.

Options:
  --subroutines FILE         the module whose exports clients may call (required)
  --root DIR                 the folder files are shared from and uploaded into (none: no files)
  --host H                   address to listen on (default 127.0.0.1: this machine only)
  --port P                   port (default ${DEFAULT_GATEWAY_PORT}; 0 picks a free one)
  --pool N                   handler Workers (default ${DEFAULT_POOL})
  --call-timeout-ms N        a call running longer stops its Worker (default ${DEFAULT_CALL_TIMEOUT_MS})
  --lease-idle-ms N          a connection holding handlers that sends nothing for N ms loses
                             them (default ${DEFAULT_LEASE_IDLE_MS}; typenet clients ping every N/3)
  --subroutine-allow KIND[=A,B]
                             what subroutines may do, one flag per kind (read, write, net, env,
                             sys, run, ffi, import); kinds not named are denied. Needs Deno's
                             --unstable-worker-options. Without it, subroutines have the
                             gateway's own permissions, and the gateway says so at start
${CONFIG_HELP}
${LIMIT_HELP}
${SECURITY_HELP}
  -h, --help                 print this help`;

/** The flags of this command (for `typenet systemd` too). */
export const GATEWAY_FLAGS: ParseOptions = {
  "help": { type: "boolean", short: "h" },
  "subroutines": { type: "string" },
  "root": { type: "string" },
  "host": { type: "string" },
  "port": { type: "string" },
  "pool": { type: "string" },
  "call-timeout-ms": { type: "string" },
  "lease-idle-ms": { type: "string" },
  "subroutine-allow": { type: "string", multiple: true },
  ...LIMIT_FLAGS,
  ...SECURITY_FLAGS,
};

/**
 * Run `typenet gateway` with `args`; resolves to the exit code once stopped.
 *
 * @example
 * ```ts
 * import { gatewayCommand } from "./gateway_command.ts";
 * await gatewayCommand(["--help"]); // 0
 * ```
 */
export async function gatewayCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, GATEWAY_FLAGS);
  if (values.help) {
    console.log(GATEWAY_HELP);
    return 0;
  }
  if (positionals.length > 0) {
    throw new UsageError(`gateway takes no positional arguments, got '${positionals[0]}'`);
  }
  const subroutines = values.subroutines as string | undefined;
  if (!subroutines) throw new UsageError("gateway needs --subroutines FILE");
  const host = (values.host as string | undefined) ?? "127.0.0.1";
  const allow = values["subroutine-allow"] as string[] | undefined;
  let grants: SubroutineGrants | undefined;
  try {
    grants = allow ? parseGrants(allow) : undefined;
  } catch (error) {
    throw new UsageError(`--subroutine-allow: ${(error as Error).message}`);
  }
  let gateway: Gateway;
  try {
    gateway = await Gateway.start({
      host,
      port: port(values.port as string | undefined, DEFAULT_GATEWAY_PORT, "--port"),
      subroutines,
      root: values.root as string | undefined,
      pool: positiveInteger(values.pool as string | undefined, "--pool"),
      callTimeoutMs: positiveInteger(
        values["call-timeout-ms"] as string | undefined,
        "--call-timeout-ms",
      ),
      leaseIdleMs: positiveInteger(
        values["lease-idle-ms"] as string | undefined,
        "--lease-idle-ms",
      ),
      subroutinePermissions: grants,
      limits: limitsFrom(values),
      ...securityFrom(values),
      onNotice: (message) => console.error(`typenet gateway: ${message}`),
    });
  } catch (error) {
    if (error instanceof UsageError) throw error;
    console.error(`typenet gateway: cannot start: ${describe(error)}`);
    return 1;
  }
  const notice = exposureNotice("gateway", host, gateway.port, gateway.security);
  if (notice) console.error(notice);
  console.error(`typenet gateway: ${describeGrants(grants)}`);
  console.log(`typenet gateway listening on ${gateway.address} (pool ${gateway.poolSize})`);
  await Promise.race([untilSignal(), gateway.stopped]);
  await gateway.stop();
  return 0;
}
