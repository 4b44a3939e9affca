/**
 * How the examples meet, as the originals did: each is given one *cluster port*. The first to
 * start finds nothing listening there, so it listens there itself and starts the cluster; the
 * others find it and join through it on a port of their own.
 *
 * @example
 * ```ts
 * import { startOnClusterPort } from "./cluster_port.ts";
 * import { ValueNode } from "../mod.ts";
 * const node = await startOnClusterPort((where) => ValueNode.start(where), 7946);
 * ```
 * @module
 */
/** Start a node (with `start`) that owns `clusterPort`, or joins whoever does. */
export async function startOnClusterPort<T>(
  start: (where: { port: number; join?: string }) => Promise<T>,
  clusterPort: number,
): Promise<T> {
  try {
    return await start({ port: clusterPort });
  } catch (error) {
    if (!(error instanceof Deno.errors.AddrInUse)) throw error;
    return await start({ port: 0, join: `127.0.0.1:${clusterPort}` });
  }
}

/** The cluster port from the command line, or a usage message and exit 2. */
export function clusterPortArgument(usage: string): number {
  const port = Number(Deno.args[0]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    console.error(usage);
    Deno.exit(2);
  }
  return port;
}
