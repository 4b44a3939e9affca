/**
 * What the list server and the `List` client agree on: operation names, the layout of a list
 * over its nodes, and the arithmetic that says which node holds which index.
 *
 * Items live in blocks of `partitionSize` consecutive indexes; block `b` lives on
 * `nodes[b % nodes.length]`. `nodes[0]` is the list's *home*: it orders appends and pops
 * (the sequencer) and knows the length.
 *
 * @example
 * ```ts
 * import { ownerOf } from "./list_protocol.ts";
 * const layout = { nodes: ["a:1", "b:2"], partitionSize: 100 };
 * ownerOf(layout, 150); // 1: block 1 lives on nodes[1]
 * ```
 * @module
 */
import { parseAddress } from "./address.ts";
import { BadArgument, excerpt } from "./errors.ts";

/** Operation names of the list protocol (arguments are documented in docs/PROTOCOL.md). */
export const ListOp = {
  Open: "list.open",
  Append: "list.append",
  Length: "list.len",
  Get: "list.get",
  Set: "list.set",
  Pop: "list.pop",
  Delete: "list.delete",
  Range: "list.range",
  Find: "list.find",
  Count: "list.count",
  Stats: "list.stats",
  Drop: "list.drop",
  Store: "list.store",
  Take: "list.take",
  Truncate: "list.truncate",
  Acknowledged: "list.acknowledged",
  Insert: "list.insert",
  Remove: "list.remove",
  Reverse: "list.reverse",
  Clear: "list.clear",
  Sort: "list.sort",
  Move: "list.move",
  Stage: "list.stage",
  Commit: "list.commit",
  Abort: "list.abort",
  SortPrepare: "list.sortPrepare",
  SortProbe: "list.sortProbe",
} as const;

/** The most nodes one list may span (each server of a list may connect to all the others). */
export const MAX_NODES = 256;

/** The largest partition size a layout may ask for. */
export const MAX_PARTITION_SIZE = 1 << 30;

/** How a list is spread over servers; stored with the list and checked on every open. */
export interface ListLayout {
  /** The servers, as `host:port`; `nodes[0]` is the home. Order matters. */
  nodes: string[];
  /** Consecutive indexes per block. */
  partitionSize: number;
}

/**
 * Check a layout received from a user or the wire; throws `BadArgument` saying what is wrong.
 *
 * @example
 * ```ts
 * import { checkLayout } from "./list_protocol.ts";
 * checkLayout({ nodes: ["127.0.0.1:4444"], partitionSize: 10 });
 * ```
 */
export function checkLayout(layout: unknown): ListLayout {
  if (typeof layout !== "object" || layout === null) {
    throw new BadArgument("layout must be a map of nodes and partitionSize");
  }
  const { nodes, partitionSize } = layout as Record<string, unknown>;
  if (!Array.isArray(nodes) || nodes.length === 0) {
    throw new BadArgument("nodes must be a non-empty array of host:port strings");
  }
  if (nodes.length > MAX_NODES) {
    throw new BadArgument(`a list may span at most ${MAX_NODES} nodes, not ${nodes.length}`);
  }
  for (const node of nodes) {
    if (typeof node !== "string") throw new BadArgument("each node must be a host:port string");
    parseAddress(node);
  }
  if (new Set(nodes).size !== nodes.length) {
    const repeated = nodes.find((node, k) => nodes.indexOf(node) !== k) as string;
    throw new BadArgument(`nodes must not repeat: ${excerpt(repeated)} is there twice`);
  }
  if (
    !Number.isSafeInteger(partitionSize) || (partitionSize as number) < 1 ||
    (partitionSize as number) > MAX_PARTITION_SIZE
  ) {
    throw new BadArgument(`partitionSize must be an integer from 1 to ${MAX_PARTITION_SIZE}`);
  }
  return { nodes: [...nodes], partitionSize: partitionSize as number };
}

/**
 * Whether two layouts place every index on the same node.
 *
 * @example
 * ```ts
 * import { sameLayout } from "./list_protocol.ts";
 * sameLayout({ nodes: ["a:1"], partitionSize: 5 }, { nodes: ["a:1"], partitionSize: 5 }); // true
 * ```
 */
export function sameLayout(a: ListLayout, b: ListLayout): boolean {
  return a.partitionSize === b.partitionSize && a.nodes.length === b.nodes.length &&
    a.nodes.every((node, i) => node === b.nodes[i]);
}

/**
 * A layout in words, for error messages.
 *
 * @example
 * ```ts
 * import { describeLayout } from "./list_protocol.ts";
 * describeLayout({ nodes: ["a:1"], partitionSize: 5 }); // "nodes [a:1] and partitionSize 5"
 * ```
 */
export function describeLayout(layout: ListLayout): string {
  const { nodes } = layout;
  const shown = nodes.length <= DESCRIBED_NODES
    ? nodes.join(", ")
    : `${nodes.slice(0, DESCRIBED_NODES).join(", ")}, … (${nodes.length} nodes)`;
  return `nodes [${shown}] and partitionSize ${layout.partitionSize}`;
}

/** Layouts in error messages name at most this many nodes. */
const DESCRIBED_NODES = 8;

/**
 * The position in `layout.nodes` of the node that holds index `i` (i ≥ 0).
 *
 * @example
 * ```ts
 * import { ownerOf } from "./list_protocol.ts";
 * ownerOf({ nodes: ["a:1", "b:2"], partitionSize: 10 }, 25); // 0 (block 2)
 * ```
 */
export function ownerOf(layout: ListLayout, i: number): number {
  return Math.floor(i / layout.partitionSize) % layout.nodes.length;
}

/**
 * Where index `i` sits in its owner's local storage: the owner keeps its blocks back to back.
 *
 * @example
 * ```ts
 * import { localOffset } from "./list_protocol.ts";
 * localOffset({ nodes: ["a:1", "b:2"], partitionSize: 10 }, 25); // 15 (its 2nd block, slot 5)
 * ```
 */
export function localOffset(layout: ListLayout, i: number): number {
  const size = layout.partitionSize;
  const block = Math.floor(i / size);
  return Math.floor(block / layout.nodes.length) * size + (i - block * size);
}

/**
 * The index at local position `offset` of node `self`: the inverse of {@link localOffset}.
 *
 * @example
 * ```ts
 * import { indexAt } from "./list_protocol.ts";
 * indexAt({ nodes: ["a:1", "b:2"], partitionSize: 10 }, 0, 15); // 25
 * ```
 */
export function indexAt(layout: ListLayout, self: number, offset: number): number {
  const size = layout.partitionSize;
  return (Math.floor(offset / size) * layout.nodes.length + self) * size + offset % size;
}

/**
 * The first index ≥ `i` that node `self` holds (the start of its next block if `i` is not its).
 *
 * @example
 * ```ts
 * import { nextOwnedIndex } from "./list_protocol.ts";
 * nextOwnedIndex({ nodes: ["a:1", "b:2"], partitionSize: 10 }, 1, 3); // 10
 * ```
 */
export function nextOwnedIndex(layout: ListLayout, self: number, i: number): number {
  const size = layout.partitionSize;
  const n = layout.nodes.length;
  const block = Math.floor(i / size);
  const behind = (self - (block % n) + n) % n;
  return behind === 0 ? i : (block + behind) * size;
}

/**
 * The last index ≤ `i` that node `self` holds, or -1 if there is none.
 *
 * @example
 * ```ts
 * import { previousOwnedIndex } from "./list_protocol.ts";
 * previousOwnedIndex({ nodes: ["a:1", "b:2"], partitionSize: 10 }, 0, 15); // 9
 * ```
 */
export function previousOwnedIndex(layout: ListLayout, self: number, i: number): number {
  const size = layout.partitionSize;
  const n = layout.nodes.length;
  const block = Math.floor(i / size);
  const ahead = ((block % n) - self + n) % n;
  return ahead === 0 ? i : Math.max(-1, (block - ahead) * size + size - 1);
}
