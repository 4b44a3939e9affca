/**
 * `typenet systemd server|node|gateway [flags…]`: print a hardened systemd unit that runs that
 * command. The service runs as a throwaway user (`DynamicUser`) that sees the file system
 * read-only (`ProtectSystem=strict`), gets its secrets (token, TLS key and certificates) as
 * systemd credentials rather than files it could read itself, restarts on failure, and runs Deno
 * with the narrowest permissions the flags allow.
 *
 * @example
 * ```ts
 * import { systemdCommand } from "./systemd_command.ts";
 * await systemdCommand(["server", "--host", "0.0.0.0", "--token-file", "/etc/typenet/token"]);
 * ```
 * @module
 */
import { GATEWAY_FLAGS } from "./gateway_command.ts";
import { NODE_FLAGS } from "./node_command.ts";
import { SERVER_FLAGS } from "./server_command.ts";
import { parse, type ParseOptions, UsageError } from "./usage.ts";

/** `typenet systemd --help`. */
export const SYSTEMD_HELP = `Usage: typenet systemd server|node|gateway [flags of that command…]

Prints a hardened systemd unit that runs 'typenet ROLE flags…' as a service: a throwaway user
(DynamicUser), a read-only file system (ProtectSystem=strict), a state directory
(/var/lib/typenet-ROLE), restart on failure, and Deno's narrowest permissions for the flags.
Secret files (--token-file, --admin-token-file, --tls-*) are handed over as systemd
credentials, so they may stay readable by root only.

Install it:
  typenet systemd server --host 0.0.0.0 --token-file /etc/typenet/token > typenet-server.service
  sudo cp typenet-server.service /etc/systemd/system/
  sudo systemctl daemon-reload && sudo systemctl enable --now typenet-server`;

const ROLE_FLAGS: Record<string, ParseOptions> = {
  server: SERVER_FLAGS,
  node: NODE_FLAGS,
  gateway: GATEWAY_FLAGS,
};

/** Flags naming secret files: passed as credentials. */
const SECRET_FLAGS = [
  "token-file",
  "admin-token-file",
  "tls-cert",
  "tls-key",
  "tls-ca",
  "tls-client-ca",
];

/**
 * Run `typenet systemd` with `args`; prints the unit, resolves to 0.
 *
 * @example
 * ```ts
 * import { systemdCommand } from "./systemd_command.ts";
 * await systemdCommand(["--help"]); // 0
 * ```
 */
export function systemdCommand(args: string[]): Promise<number> {
  const [role, ...flags] = args;
  if (role === "--help" || role === "-h") {
    console.log(SYSTEMD_HELP);
    return Promise.resolve(0);
  }
  const known = ROLE_FLAGS[role];
  if (!known) throw new UsageError("systemd takes a role: server, node or gateway");
  console.log(systemdUnit(role, flags, known));
  return Promise.resolve(0);
}

/**
 * The unit text for `typenet ROLE flags…`. Throws `UsageError` for flags the role does not take.
 *
 * @example
 * ```ts
 * import { systemdUnit } from "./systemd_command.ts";
 * import { SERVER_FLAGS } from "./server_command.ts";
 * console.log(systemdUnit("server", ["--host", "0.0.0.0"], SERVER_FLAGS));
 * ```
 */
export function systemdUnit(role: string, flags: string[], known: ParseOptions): string {
  const { values } = parse(flags, known);
  if (values.help) throw new UsageError("systemd: drop --help from the flags");
  const unit = `typenet-${role}`;
  const credentials: string[] = [];
  const rewritten: string[] = [];
  for (let i = 0; i < flags.length; i++) {
    const [flag, inline] = flags[i].split(/=(.*)/s, 2);
    const name = flag.replace(/^--/, "");
    if (flag.startsWith("--") && SECRET_FLAGS.includes(name)) {
      const path = inline ?? flags[++i];
      credentials.push(`LoadCredential=${name}:${absolute(path)}`);
      rewritten.push(flag, `\${CREDENTIALS_DIRECTORY}/${name}`);
    } else {
      rewritten.push(flags[i]);
    }
  }
  const reads = new Set<string>([`/run/credentials/${unit}.service`]);
  const writes: string[] = [];
  let net = "--allow-net";
  const extraDeno: string[] = [];
  if (typeof values.config === "string") reads.add(absolute(values.config));
  if (role === "gateway") {
    // Handler Workers load typenet's own modules and the subroutines; files live under --root.
    reads.add(codeRoot());
    if (typeof values.subroutines === "string") reads.add(absolute(values.subroutines));
    if (typeof values.root === "string") {
      reads.add(absolute(values.root));
      writes.push(absolute(values.root));
    }
    if (values["subroutine-allow"]) extraDeno.push("--unstable-worker-options");
  }
  if (role === "server" && typeof values.data === "string") {
    // The data directory: read at start, written while running.
    reads.add(absolute(values.data));
    writes.push(absolute(values.data));
  }
  if (role === "node" && typeof values["value-writer"] === "string") {
    writes.push(absolute(values["value-writer"]));
  }
  if (role === "gateway") {
    // The gateway only listens; its subroutines have its permissions unless told otherwise.
    const host = typeof values.host === "string" ? values.host : "127.0.0.1";
    const port = typeof values.port === "string" ? values.port : "1857";
    net = `--allow-net=${host.includes(":") ? `[${host}]` : host}:${port}`;
  }
  const deno = [
    Deno.execPath(),
    "run",
    "--quiet",
    ...extraDeno,
    net,
    `--allow-read=${[...reads].join(",")}`,
    ...(writes.length ? [`--allow-write=${writes.join(",")}`] : []),
    cliPath(),
  ];
  const compiled = !/^deno(\.exe)?$/.test(Deno.execPath().split("/").pop() ?? "");
  const command = compiled ? [Deno.execPath(), role, ...rewritten] : [...deno, role, ...rewritten];
  const warnings = [...reads, ...writes, cliPath(), Deno.execPath()]
    .filter((path) => /^\/(root|home)\//.test(path))
    .map((path) =>
      `# Note: ${path} is under /root or /home, which this service cannot see (ProtectHome): ` +
      `install typenet (and deno) under /opt or /usr/local and point the flags there.`
    );
  return `# typenet ${role}, as printed by 'typenet systemd ${role}'.
${warnings.join("\n")}${warnings.length ? "\n" : ""}[Unit]
Description=typenet ${role}
Wants=network-online.target
After=network-online.target

[Service]
ExecStart=${command.map(quote).join(" ")}
Restart=on-failure
RestartSec=2
KillSignal=SIGTERM
TimeoutStopSec=15
Environment=NO_COLOR=1
# Deno keeps its module cache here (the service has no home directory).
Environment=DENO_DIR=/var/cache/${unit}
CacheDirectory=${unit}
StateDirectory=${unit}
${credentials.join("\n")}${credentials.length ? "\n" : ""}${
    writes.map((path) => `ReadWritePaths=${path}`).join("\n")
  }${writes.length ? "\n" : ""}DynamicUser=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
NoNewPrivileges=yes
CapabilityBoundingSet=
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
SystemCallArchitectures=native
UMask=0077

[Install]
WantedBy=multi-user.target`;
}

function absolute(path: string): string {
  return path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
}

/** The folder holding typenet's modules (the gateway's Workers load them). */
function codeRoot(): string {
  return decodeURIComponent(new URL("../../", import.meta.url).pathname).replace(/\/$/, "");
}

function cliPath(): string {
  return `${codeRoot()}/cli.ts`;
}

/** One ExecStart word: quoted if need be; `%` and `$` escaped except our credential paths. */
function quote(word: string): string {
  const escaped = word.replace(/%/g, "%%").replace(/\$(?!\{CREDENTIALS_DIRECTORY\})/g, "$$$$");
  return /[\s"'\\]/.test(escaped) ? `"${escaped.replace(/(["\\])/g, "\\$1")}"` : escaped;
}
