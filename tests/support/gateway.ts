/**
 * A real `typenet gateway` process for tests: the test subroutines (or others), an optional
 * shared folder it may write to, and the address and pool size from its ready line.
 *
 * @example
 * ```ts
 * import { startGateway } from "./gateway.ts";
 * await using gateway = await startGateway({ root: "/tmp/shared", extra: ["--pool", "2"] });
 * console.log(gateway.address, gateway.pool);
 * ```
 * @module
 */
import { type ChildProcess, repoPath, runScript } from "./process.ts";

/** How to start a test gateway. */
export interface GatewayOptions {
  /** The shared folder (`--root`); without it the gateway shares no files. */
  root?: string;
  /** The subroutine module (default: tests/data/subroutines.ts). */
  subroutines?: string;
  /** More command-line options, e.g. `["--pool", "2"]`. */
  extra?: string[];
  /** More folders the gateway may read (beyond the repository, the module and the root). */
  readable?: string[];
  /** More Deno flags, e.g. `["--unstable-worker-options"]`. */
  denoFlags?: string[];
}

/** A running gateway process. */
export interface GatewayProcess extends ChildProcess {
  /** `host:port` it listens on. */
  readonly address: string;
  /** Its pool size. */
  readonly pool: number;
}

/** Start a gateway on a free loopback port and wait for its one ready line. */
export async function startGateway(options: GatewayOptions = {}): Promise<GatewayProcess> {
  const { root, extra = [], readable = [], denoFlags = [] } = options;
  const subroutines = options.subroutines ?? repoPath("tests/data/subroutines.ts");
  const child = runScript(
    repoPath("cli.ts"),
    [
      "gateway",
      "--port",
      "0",
      "--subroutines",
      subroutines,
      ...(root ? ["--root", root] : []),
      ...extra,
    ],
    {
      permissions: [
        ...denoFlags,
        "--allow-net=127.0.0.1",
        `--allow-read=${
          [repoPath(""), subroutines, ...(root ? [root] : []), ...readable].join(",")
        }`,
        ...(root ? [`--allow-write=${root}`] : []),
      ],
    },
  );
  try {
    const match = await child.waitForLine(/^typenet gateway listening on (\S+) \(pool (\d+)\)$/);
    return Object.assign(child, { address: match[1], pool: Number(match[2]) });
  } catch (error) {
    await child.stop("SIGKILL");
    throw error;
  }
}
