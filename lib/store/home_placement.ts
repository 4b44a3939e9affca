/**
 * How a list's home stores the items its sequencer hands out: the runs that fall in its own
 * blocks go into its shard, the others to their owners (`list.store`: each owner's share is
 * one run of its local positions, split into requests of at most {@link STORE_REQUEST_BYTES}). All or nothing: if any owner fails, every owner is
 * told to drop what it got from this batch (`list.truncate`), so those indexes can be handed
 * out again cleanly. Pops take the last item from whichever node holds it. When a node does
 * not answer, so that what it did is unknown, `repair` puts every node back in line before
 * the sequencer hands out another index.
 *
 * @example
 * ```ts
 * import { homePlacement } from "./home_placement.ts";
 * import { Sequencer } from "./sequencer.ts";
 * // const sequencer = new Sequencer(homePlacement(shard, peers), "list 'a'");
 * ```
 * @module
 */
import { IndexError, InternalError, Unavailable, Unreachable } from "../wire/errors.ts";
import { indexAt, type ListLayout, ListOp, localOffset, ownerOf } from "../wire/list_protocol.ts";
import {
  batchLimits,
  batchToWire,
  joinBatches,
  splitBatch,
  type ValueBatch,
} from "../wire/value_batch.ts";
import type { ListShard } from "./list_shard.ts";
import type { PeerLinks } from "./peer_links.ts";
import type { Placement } from "./sequencer.ts";

/**
 * The most value bytes one `list.store` request carries (less if the owner's frame limit is
 * small; a single larger item goes alone).
 */
export const STORE_REQUEST_BYTES = 1024 * 1024;

/**
 * The {@link Placement} for `shard`, the home's share of its list.
 *
 * @example
 * ```ts
 * import { homePlacement } from "./home_placement.ts";
 * // homePlacement(shard, peers).place(0, batch);
 * ```
 */
export function homePlacement(shard: ListShard, peers: PeerLinks): Placement {
  return {
    place(start, values) {
      const shares = splitByOwner(shard, start, values);
      const local = shares.get(shard.self);
      shares.delete(shard.self);
      const storeLocal = () => local && shard.store(local.first, joinBatches(local.batches));
      if (shares.size === 0) return storeLocal();
      return storeRemote(shard, peers, start, shares).then(() => {
        storeLocal();
        // The batch is in place everywhere: tell its owners (a PUSH, written with the answers
        // to its appends), so that their reads of it need not ask the home.
        const length = start + values.lengths.length;
        for (const owner of shares.keys()) {
          peers.push(shard, owner, ListOp.Acknowledged, [shard.name, length]);
        }
      });
    },
    take(index) {
      if (!shard.owns(index)) {
        const owner = ownerOf(shard.layout, index);
        const take = () => peers.call(shard, owner, ListOp.Take, [shard.name, index]);
        // The owner may have removed the item and the answer got lost: ask once more (it
        // answers a repeated take with the same item), so the length stays in step.
        return take().catch((error) => {
          if (!(error instanceof Unavailable) || error instanceof Unreachable) throw error;
          return take().catch((again) => {
            // The first attempt may still have happened: whatever the second says, it is
            // not known, which a plain Unavailable tells the sequencer.
            throw again instanceof Unreachable ? new Unavailable(again.message) : again;
          });
        }) as Promise<Uint8Array>;
      }
      const value = shard.removeLast(index);
      if (!value) throw new InternalError(`list '${shard.name}' has no item ${index} to remove`);
      return value;
    },
    async repair(length) {
      // Drop whatever a failed batch left beyond the length on every other node (truncate is
      // safe to repeat), then see whether the last item is still there: if a take of it
      // happened after all, it is not.
      await Promise.all(
        shard.layout.nodes.map((_, node) =>
          node === shard.self
            ? undefined
            : peers.call(shard, node, ListOp.Truncate, [shard.name, length])
        ),
      );
      if (length === 0) return 0;
      const last = length - 1;
      const owner = ownerOf(shard.layout, last);
      if (owner === shard.self) return shard.get(last) ? length : last;
      try {
        await peers.call(shard, owner, ListOp.Get, [shard.name, last]);
        return length;
      } catch (error) {
        if (error instanceof IndexError) return last;
        throw error;
      }
    },
  };
}

/** One node's share of a batch: its blocks' pieces in index order, from index `first`. */
interface Share {
  first: number;
  batches: ValueBatch[];
}

/**
 * Cut `values` (indexes from `start`) at block boundaries and give each piece to its owner.
 * An owner's pieces are consecutive local positions there, so each share is stored as one.
 */
function splitByOwner(shard: ListShard, start: number, values: ValueBatch): Map<number, Share> {
  const size = shard.layout.partitionSize;
  const end = start + values.lengths.length;
  const firsts: number[] = [];
  const sizes: number[] = [];
  for (let i = start; i < end;) {
    const blockEnd = Math.min(end, (Math.floor(i / size) + 1) * size);
    firsts.push(i);
    sizes.push(blockEnd - i);
    i = blockEnd;
  }
  const shares = new Map<number, Share>();
  splitBatch(values, sizes).forEach((batch, k) => {
    const owner = ownerOf(shard.layout, firsts[k]);
    const share = shares.get(owner);
    if (share) share.batches.push(batch);
    else shares.set(owner, { first: firsts[k], batches: [batch] });
  });
  return shares;
}

/**
 * Cut one owner's share into `list.store` requests `[first, batch]` within `limits` (value
 * bytes and values) each; `first` is the index of the request's first value on that owner.
 */
function storeRequests(
  layout: ListLayout,
  owner: number,
  share: Share,
  limits: { maxBytes: number; maxItems: number },
): [number, ValueBatch][] {
  const values = joinBatches(share.batches);
  const sizes: number[] = [];
  let bytes = 0;
  let items = 0;
  for (const length of values.lengths) {
    if (items > 0 && (bytes + length > limits.maxBytes || items === limits.maxItems)) {
      sizes.push(items);
      bytes = 0;
      items = 0;
    }
    bytes += length;
    items++;
  }
  sizes.push(items);
  let position = localOffset(layout, share.first);
  return splitBatch(values, sizes).map((piece) => {
    const first = indexAt(layout, owner, position);
    position += piece.lengths.length;
    return [first, piece];
  });
}

/** Store every owner's runs; if any request fails, undo the whole batch everywhere and throw. */
async function storeRemote(
  shard: ListShard,
  peers: PeerLinks,
  start: number,
  remote: Map<number, Share>,
): Promise<void> {
  const owners = [...remote.keys()];
  const results = await Promise.allSettled(owners.map(async (owner) => {
    // One owner's requests go in order, so its items arrive without gaps; each fits its frames.
    const address = shard.layout.nodes[owner];
    const limits = batchLimits(await peers.maxFrameBytes(address), STORE_REQUEST_BYTES, Infinity);
    for (const [first, values] of storeRequests(shard.layout, owner, remote.get(owner)!, limits)) {
      // `start`: every index below it is acknowledged (batches run one after another).
      await peers.call(shard, owner, ListOp.Store, [
        shard.name,
        first,
        batchToWire(values),
        start,
      ]);
    }
  }));
  const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (!failure) return;
  // Undo everywhere, including owners that failed late (a timeout): nothing from this
  // batch may survive, because its indexes will be handed out again.
  const undone = await Promise.allSettled(
    owners.map((owner) => peers.call(shard, owner, ListOp.Truncate, [shard.name, start])),
  );
  // If some owner may hold part of the batch and could not be told to drop it, the outcome
  // is unknown: say so with a plain Unavailable, and the sequencer repairs before going on.
  const inDoubt = owners.some((_, k) => {
    const stored = results[k];
    const couldHold = stored.status === "fulfilled" || !(stored.reason instanceof Unreachable);
    return couldHold && undone[k].status === "rejected";
  });
  const reason = failure.reason;
  // Whatever went wrong, an owner that may hold part of the batch puts the list in doubt.
  if (inDoubt) throw new Unavailable(reason?.message ?? String(reason), { cause: reason });
  if (!inDoubt && reason instanceof Unavailable && !(reason instanceof Unreachable)) {
    throw new Unreachable(reason.message, { cause: reason });
  }
  throw reason;
}
