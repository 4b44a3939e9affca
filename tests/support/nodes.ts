/**
 * Cluster nodes as real processes for tests: `typenet node` itself or a test script, started
 * with a deadline on their ready line and stopped by PID.
 *
 * @example
 * ```ts
 * import { startNode } from "./nodes.ts";
 * await using first = await startNode();
 * await using second = await startNode(["--join", first.address]);
 * ```
 * @module
 */
import { type ChildProcess, repoPath, runScript } from "./process.ts";

/** A running node. */
export interface NodeProcess extends ChildProcess {
  /** Its member id. */
  readonly id: string;
  /** Its cluster port, `host:port`. */
  readonly address: string;
  /** Members it knew when it was ready. */
  readonly membersAtStart: number;
}

const READY = /^typenet node ([A-Za-z0-9_-]+) cluster port (\S+) \(members: (\d+)\)$/;

/**
 * Start a node (default: `cli.ts node --port 0`; or `script` with `args`) and wait for its
 * ready line.
 *
 * @example
 * ```ts
 * import { startNode } from "./nodes.ts";
 * await using node = await startNode(["--name", "a"], "tests/support/event_node.ts");
 * ```
 */
export async function startNode(
  args: string[] = [],
  script = "cli.ts",
  permissions?: string[],
): Promise<NodeProcess> {
  const scriptArgs = script === "cli.ts" ? ["node", "--port", "0", ...args] : args;
  const child = runScript(repoPath(script), scriptArgs, { permissions });
  try {
    const match = await child.waitForLine(READY);
    return Object.assign(child, {
      id: match[1],
      address: match[2],
      membersAtStart: Number(match[3]),
    });
  } catch (error) {
    await child.stop("SIGKILL");
    throw error;
  }
}

/**
 * Start an event node (tests/support/event_node.ts) joining through `join`.
 *
 * @example
 * ```ts
 * import { startEventNode } from "./nodes.ts";
 * await using node = await startEventNode("127.0.0.1:7946");
 * ```
 */
export function startEventNode(join?: string, extra: string[] = []): Promise<NodeProcess> {
  return startNode(
    [...(join ? ["--join", join] : []), ...extra],
    "tests/support/event_node.ts",
  );
}
