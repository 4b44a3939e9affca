/**
 * How a list's home stores the items its sequencer hands out: the runs that fall in its own
 * blocks go into its shard, the others to their owners (`list.store`, split into requests of
 * at most {@link STORE_REQUEST_BYTES}). All or nothing: if any owner fails, every owner is
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
import { ListOp, ownerOf } from "../wire/list_protocol.ts";
import { batchLimits, batchToWire, splitBatch, type ValueBatch } from "../wire/value_batch.ts";
import type { ListShard, Run } from "./list_shard.ts";
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
      const { local, remote } = splitByOwner(shard, start, values);
      if (remote.size === 0) return shard.storeRuns(local);
      return storeRemote(shard, peers, start, remote).then(() => shard.storeRuns(local));
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

/** Cut `values` (indexes from `start`) into one run per block: the home's, and each owner's. */
function splitByOwner(shard: ListShard, start: number, values: ValueBatch) {
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
  const local: Run[] = [];
  const remote = new Map<number, Run[]>();
  splitBatch(values, sizes).forEach((batch, k) => {
    const run: Run = [firsts[k], batch];
    const owner = ownerOf(shard.layout, firsts[k]);
    if (owner === shard.self) local.push(run);
    else (remote.get(owner) ?? remote.set(owner, []).get(owner)!).push(run);
  });
  return { local, remote };
}

/** Group runs into `list.store` requests within `limits` (value bytes and values) each. */
function storeRequests(runs: Run[], limits: { maxBytes: number; maxItems: number }): Run[][] {
  const requests: Run[][] = [];
  let current: Run[] = [];
  let bytes = 0;
  let items = 0;
  for (const [first, batch] of runs) {
    // Cut the run where the request would overflow.
    const sizes: number[] = [];
    let from = 0;
    batch.lengths.forEach((length, k) => {
      if (items > 0 && (bytes + length > limits.maxBytes || items === limits.maxItems)) {
        sizes.push(k - from);
        from = k;
        bytes = 0;
        items = 0;
      }
      bytes += length;
      items++;
    });
    sizes.push(batch.lengths.length - from);
    let index = first;
    splitBatch(batch, sizes).forEach((piece, k) => {
      if (k > 0) {
        requests.push(current);
        current = [];
      }
      if (piece.lengths.length > 0) current.push([index, piece]);
      index += piece.lengths.length;
    });
  }
  if (current.length > 0) requests.push(current);
  return requests;
}

/** Store every owner's runs; if any request fails, undo the whole batch everywhere and throw. */
async function storeRemote(
  shard: ListShard,
  peers: PeerLinks,
  start: number,
  remote: Map<number, Run[]>,
): Promise<void> {
  const owners = [...remote.keys()];
  const results = await Promise.allSettled(owners.map(async (owner) => {
    // One owner's requests go in order, so its items arrive without gaps; each fits its frames.
    const address = shard.layout.nodes[owner];
    const limits = batchLimits(await peers.maxFrameBytes(address), STORE_REQUEST_BYTES, Infinity);
    for (const runs of storeRequests(remote.get(owner)!, limits)) {
      const wire = runs.map(([first, batch]) => [first, batchToWire(batch)]);
      await peers.call(shard, owner, ListOp.Store, [shard.name, wire]);
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
  if (inDoubt && reason instanceof Unreachable) throw new Unavailable(reason.message);
  if (!inDoubt && reason instanceof Unavailable && !(reason instanceof Unreachable)) {
    throw new Unreachable(reason.message, { cause: reason });
  }
  throw reason;
}
