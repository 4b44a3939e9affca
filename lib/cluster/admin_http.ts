/**
 * A node's read-only admin API over HTTP, so that `curl` can look at any node: its members
 * (with state and route), its value (for value nodes), and its cluster events as they arrive
 * (Server-Sent Events). `typenet node --http PORT` serves it; an app can mount the same routes
 * beside its own (examples/http_node.ts does).
 *
 * | request | answer |
 * | --- | --- |
 * | `GET /members` | the members, as JSON |
 * | `GET /value` | `{ "value": …, "stamp": … }` (404 on a node that holds no value) |
 * | `GET /events` | `text/event-stream`: each cluster event, and member-join/-leave/-failed |
 *
 * @example
 * ```ts
 * import { serveAdmin } from "./admin_http.ts";
 * // const server = serveAdmin(node, { hostname: "127.0.0.1", port: 8080 });
 * // curl http://127.0.0.1:8080/members
 * ```
 * @module
 */
import { jsonText } from "../wire/json_text.ts";
import { MEMBER_EVENTS, type Node } from "./node.ts";
import { ValueNode } from "./value_node.ts";

/**
 * Answer the admin routes for `node`, or undefined for any other request (so an app can add
 * its own routes around them).
 *
 * @example
 * ```ts
 * import { adminRoutes } from "./admin_http.ts";
 * // Deno.serve((request) => adminRoutes(node, request) ?? new Response("mine"));
 * ```
 */
export function adminRoutes(node: Node, request: Request): Response | undefined {
  const { pathname } = new URL(request.url);
  if (request.method !== "GET") return undefined;
  switch (pathname) {
    case "/members":
      return json(node.members());
    case "/value":
      if (!(node instanceof ValueNode)) return new Response("no value here\n", { status: 404 });
      return json({ value: node.get(), stamp: node.stamp ?? null });
    case "/events":
      return eventStream(node, request.signal);
    default:
      return undefined;
  }
}

/**
 * Serve the admin API of `node` on `hostname:port` (loopback unless told otherwise).
 *
 * @example
 * ```ts
 * import { serveAdmin } from "./admin_http.ts";
 * // const server = serveAdmin(node, { port: 0 }); … await server.shutdown();
 * ```
 */
export function serveAdmin(
  node: Node,
  { hostname = "127.0.0.1", port = 0 }: { hostname?: string; port?: number },
): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve(
    { hostname, port, onListen: () => {} },
    (request) => adminRoutes(node, request) ?? new Response("not found\n", { status: 404 }),
  );
}

/** Events an `/events` client may fall behind by before it is let go. */
const MAX_QUEUED_EVENTS = 1024;

function json(value: unknown): Response {
  return new Response(`${jsonText(value)}\n`, {
    headers: { "content-type": "application/json" },
  });
}

/** Server-Sent Events of what `node` hears, until the client goes away. */
function eventStream(node: Node, signal: AbortSignal): Response {
  const encoder = new TextEncoder();
  let stop = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (event: string, data: unknown) => {
        try {
          // A client that stopped reading is let go rather than buffered for without end.
          if ((controller.desiredSize ?? 0) <= -MAX_QUEUED_EVENTS) {
            stop();
            controller.close();
            return;
          }
          controller.enqueue(encoder.encode(`event: ${event}\ndata: ${jsonText(data)}\n\n`));
        } catch {
          stop();
        }
      };
      const unlisten = node.listen((event, data, from) => send(event, { from, data }));
      const memberHandlers = MEMBER_EVENTS.map((event) => {
        const handler = (member: unknown) => send(event, member);
        node.on(event, handler);
        return () => node.off(event, handler);
      });
      stop = () => {
        unlisten();
        for (const off of memberHandlers) off();
      };
      signal.addEventListener("abort", () => {
        stop();
        try {
          controller.close();
        } catch {
          // already closed
        }
      });
      // A comment line first, so the client sees the stream open at once.
      controller.enqueue(encoder.encode(": typenet events\n\n"));
    },
    cancel() {
      stop();
    },
  });
  return new Response(body, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
  });
}
