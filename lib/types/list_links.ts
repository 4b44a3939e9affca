/**
 * A List's connections, one per node, each of which opens the list on its server as soon as
 * it connects — the first time and after every reconnect, so a restarted server learns the
 * list back. A server that comes back empty although it should hold items of the list has
 * lost them: that connection fails with `DataLost` instead of carrying on over the hole.
 *
 * @example
 * ```ts
 * import { openListLinks } from "./list_links.ts";
 * const links = await openListLinks("jobs", { nodes: ["127.0.0.1:4444"], partitionSize: 100 }, {});
 * ```
 * @module
 */
import { DataLost } from "../wire/errors.ts";
import { type ListLayout, ListOp } from "../wire/list_protocol.ts";
import { Connection, type ConnectionOptions } from "../net/connection.ts";

/**
 * Connect to every node of `layout` and open list `name` there; resolves once all are open.
 * If any fails, the others are closed and its error is thrown.
 *
 * @example
 * ```ts
 * import { openListLinks } from "./list_links.ts";
 * const [home] = await openListLinks("a", { nodes: ["127.0.0.1:4444"], partitionSize: 10 }, {});
 * ```
 */
export async function openListLinks(
  name: string,
  layout: ListLayout,
  options: ConnectionOptions,
): Promise<Connection[]> {
  const links: Connection[] = layout.nodes.map((address, self) =>
    new Connection(address, {
      ...options,
      onConnect: async (session) => {
        // The length is read *before* this node opens the list: if items were stored here
        // by then, the list existed here by then, so an open that has to make it anew means
        // this server lost them. (Read after, the length could count items appended since.)
        const before = self === 0 ? 0 : await links[0].request(ListOp.Length, [name]);
        const opened = await session.request(ListOp.Open, [name, layout, self]);
        const created = (opened as { created?: unknown })?.created === true;
        if (created && typeof before === "number" && before > self * layout.partitionSize) {
          throw new DataLost(
            `${address} holds none of list '${name}' although its length was ${before}: ` +
              `that server restarted and lost its items (servers keep lists in memory only)`,
          );
        }
      },
    })
  );
  const opened = await Promise.allSettled(links.map((link) => link.session()));
  const failure = opened.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failure) {
    for (const link of links) link.close();
    await Promise.all(links.map((link) => link.idle()));
    throw failure.reason;
  }
  return links;
}
