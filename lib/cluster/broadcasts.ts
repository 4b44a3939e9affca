/**
 * News waiting to be told: member records each sent a limited number of times, piggybacked on
 * probes and gossip, the least-told first. A newer record about a member replaces the one
 * waiting. Records are kept in buckets by how often they have gone out, so taking the next
 * few costs the same with ten members or ten thousand.
 *
 * @example
 * ```ts
 * import { Broadcasts } from "./broadcasts.ts";
 * const news = new Broadcasts();
 * news.enqueue({ id: "n1", name: "n1", address: "h:1", type: "Node", incarnation: 1, state: "alive" });
 * news.take(8, 3); // [that record]; it goes out 3 times in all
 * ```
 * @module
 */
import type { MemberRecord } from "../wire/cluster_protocol.ts";

/** See the module docs. */
export class Broadcasts {
  /** Records by member id, with how often each went out. */
  readonly #waiting = new Map<string, { record: MemberRecord; sent: number }>();
  /** Member ids by times sent: `buckets[t]` went out t times. */
  readonly #buckets: Set<string>[] = [];

  /** Records waiting. */
  get size(): number {
    return this.#waiting.size;
  }

  /** Tell `record` (replacing older news of the same member) from scratch. */
  enqueue(record: MemberRecord): void {
    this.#remove(record.id);
    this.#waiting.set(record.id, { record: { ...record }, sent: 0 });
    this.#bucket(0).add(record.id);
  }

  /**
   * Up to `max` records, the least-told first, each counted as sent once more; a record sent
   * `limit` times is done.
   */
  take(max: number, limit: number): MemberRecord[] {
    const out: MemberRecord[] = [];
    const moved: string[] = [];
    for (let t = 0; t < this.#buckets.length && out.length < max; t++) {
      const bucket = this.#buckets[t];
      if (!bucket) continue;
      for (const id of bucket) {
        if (out.length === max) break;
        const entry = this.#waiting.get(id)!;
        out.push(entry.record);
        moved.push(id);
      }
    }
    for (const id of moved) {
      const entry = this.#waiting.get(id)!;
      this.#buckets[entry.sent].delete(id);
      entry.sent++;
      if (entry.sent >= limit) this.#waiting.delete(id);
      else this.#bucket(entry.sent).add(id);
    }
    return out;
  }

  #remove(id: string): void {
    const entry = this.#waiting.get(id);
    if (!entry) return;
    this.#buckets[entry.sent].delete(id);
    this.#waiting.delete(id);
  }

  #bucket(t: number): Set<string> {
    return this.#buckets[t] ??= new Set();
  }
}
