/**
 * Duplicate suppression for events: the answers to the last messages of each sender, by
 * message id, so that a message that arrives twice (directly and through a relay, say) runs
 * its handlers once and both copies get the same answer. Bounded per sender (a ring of the
 * last ids) and in senders (the oldest sender is forgotten first).
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

/** One sender's last messages: answers by id, and the ids in a ring, oldest next. */
interface Seen {
  answers: Map<number, Promise<unknown>>;
  ring: number[];
  next: number;
}

/** See the module docs. */
export class RecentMessages {
  /** By sender, in order of first message (a Map keeps insertion order). */
  readonly #senders = new Map<string, Seen>();

  /** Run `handle` for message `id` of `sender` unless it ran already; its answer either way. */
  once(sender: string, id: number, handle: () => Promise<unknown>): Promise<unknown> {
    let seen = this.#senders.get(sender);
    if (seen) {
      const answer = seen.answers.get(id);
      if (answer) return answer;
    } else {
      if (this.#senders.size >= SENDERS) {
        this.#senders.delete(this.#senders.keys().next().value!);
      }
      seen = { answers: new Map(), ring: [], next: 0 };
      this.#senders.set(sender, seen);
    }
    const answer = handle();
    answer.catch(() => {}); // the caller handles it; a copy arriving later gets it too
    if (seen.ring.length < PER_SENDER) {
      seen.ring.push(id);
    } else {
      seen.answers.delete(seen.ring[seen.next]);
      seen.ring[seen.next] = id;
      seen.next = (seen.next + 1) % PER_SENDER;
    }
    seen.answers.set(id, answer);
    return answer;
  }
}
