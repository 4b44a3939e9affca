/**
 * A typenet cluster node in a process of its own, for the cluster benchmark: it handles
 * `bench` events (doing nothing, so the answer is the acknowledgement) and answers `echo`
 * requests with what they carried. It prints the ready line `typenet node` prints. A second
 * argument names a folder of secrets (server.pem, server.key, ca.pem, token): the node then
 * demands the token, and with a third argument `tls` speaks TLS too (the security benchmark).
 *
 * @example
 * ```sh
 * deno run --allow-net=127.0.0.1 bench/bench_node.ts 127.0.0.1:7946
 * ```
 * @module
 */
import { Node } from "../mod.ts";

const [join, secrets, tls] = Deno.args;
const node = await Node.start({
  port: 0,
  join: join || undefined,
  ...(secrets ? { tokenFile: `${secrets}/token` } : {}),
  ...(tls === "tls"
    ? {
      tls: {
        certFile: `${secrets}/server.pem`,
        keyFile: `${secrets}/server.key`,
        caFile: `${secrets}/ca.pem`,
      },
    }
    : {}),
});
node.on("bench", () => {});
node.on("echo", (data) => data);
console.log(
  `typenet node ${node.id} cluster port ${node.clusterPort} (members: ${node.members().length})`,
);
await new Promise<void>((resolve) => Deno.addSignalListener("SIGTERM", resolve));
await node.stop();
Deno.exit(0);
