/**
 * Duplicate suppression for events: the answers to the last messages of each sender, by
 * message id, so that a message that arrives twice (directly and through a relay, say) runs
 * its handlers once and both copies get the same answer. Bounded per sender and in senders.
 *
 * @example
 * ```ts
 * import { RecentMessages } from "./recent_messages.ts";
 * const recent = new RecentMessages();
 * const first = recent.once("n1", 7, () => Promise.resolve("ran"));
 * const again = recent.once("n1", 7, () => Promise.resolve("ran twice")); // the same promise
 * ```
 * @module
 */

/** Messages remembered per sender. */
const PER_SENDER = 1024;
/** Senders remembered. */
const SENDERS = 4096;

/** See the module docs. */
export class RecentMessages {
  /** By sender, in order of last message (a Map keeps insertion order). */
  readonly #senders = new Map<string, Map<number, Promise<unknown>>>();

  /** Run `handle` for message `id` of `sender` unless it ran already; its answer either way. */
  once(sender: string, id: number, handle: () => Promise<unknown>): Promise<unknown> {
    let seen = this.#senders.get(sender);
    if (seen) {
      const answer = seen.get(id);
      if (answer) return answer;
      this.#senders.delete(sender);
    } else {
      seen = new Map();
      if (this.#senders.size >= SENDERS) {
        this.#senders.delete(this.#senders.keys().next().value!);
      }
    }
    this.#senders.set(sender, seen);
    const answer = handle();
    answer.catch(() => {}); // the caller handles it; a copy arriving later gets it too
    seen.set(id, answer);
    if (seen.size > PER_SENDER) seen.delete(seen.keys().next().value!);
    return answer;
  }
}
