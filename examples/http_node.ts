/**
 * The original FastAPI example: a value node with an HTTP app beside it on a *host port*.
 *
 * | request | what it does |
 * | --- | --- |
 * | `GET /` | broadcasts a `hello` event; every node of the cluster logs it |
 * | `GET /value` | the replicated value, as JSON |
 * | `PUT /value` | sets it (the body is JSON) on every value node |
 * | `GET /events` | the cluster events this node receives, as Server-Sent Events |
 * | `GET /members` | the members, as JSON |
 *
 * @example
 * ```sh
 * deno run --allow-net=127.0.0.1 examples/http_node.ts 7946 8000
 * curl http://127.0.0.1:8000/ ; curl -X PUT -d '{"lamp":"on"}' http://127.0.0.1:8000/value
 * ```
 * @module
 */
import { adminRoutes, ValueNode } from "../mod.ts";
import { clusterPortArgument, startOnClusterPort } from "./cluster_port.ts";

const clusterPort = clusterPortArgument("usage: http_node.ts CLUSTER_PORT HOST_PORT");
const hostPort = Number(Deno.args[1]);
if (!Number.isInteger(hostPort) || hostPort < 0 || hostPort > 65535) {
  console.error("usage: http_node.ts CLUSTER_PORT HOST_PORT");
  Deno.exit(2);
}
const node = await startOnClusterPort((where) => ValueNode.start(where), clusterPort);
node.on("hello", (data, from) => console.log(`hello from ${from.id}: ${JSON.stringify(data)}`));

const app = Deno.serve(
  { hostname: "127.0.0.1", port: hostPort, onListen: () => {} },
  async (request) => {
    const { pathname } = new URL(request.url);
    if (request.method === "GET" && pathname === "/") {
      const { delivered, failed } = await node.emit("hello", { path: "/" }, { self: true });
      return new Response(`hello sent to ${delivered.length} nodes (${failed.length} missed)\n`);
    }
    if (request.method === "PUT" && pathname === "/value") {
      let value: unknown;
      try {
        value = await request.json();
      } catch {
        return new Response("the body must be JSON\n", { status: 400 });
      }
      const { delivered } = await node.set(value);
      return Response.json({ value, on: delivered.length + 1 });
    }
    return adminRoutes(node, request) ?? new Response("not found\n", { status: 404 });
  },
);
console.log(
  `http node ${node.id} on cluster port ${node.clusterPort}, app on http://127.0.0.1:${app.addr.port}/`,
);

await new Promise<void>((resolve) => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, resolve);
});
await node.leave();
await app.shutdown();
