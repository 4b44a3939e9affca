/**
 * Duplicate suppression for events: the last message ids of each sender, so that a message
 * that arrives twice (directly and through a relay, say) runs its handlers once. A copy that
 * arrives while the first is still being handled gets the first one's answer; a copy that
 * arrives later gets nil for an event, and `UNAVAILABLE` for a request (its answer went to
 * the first copy, and answers are not kept: a peer could otherwise make a node hold every
 * reply it ever sent). Bounded per sender (a ring of the last ids) and in senders (the least
 * recently heard from is forgotten first).
 *
 * @example
 * ```ts
 * import { RecentMessages } from "./recent_messages.ts";
 * const recent = new RecentMessages();
 * const first = recent.once("n1", 7, "request", () => Promise.resolve("ran"));
 * const again = recent.once("n1", 7, "request", () => Promise.resolve("ran twice")); // the same promise
 * ```
 * @module
 */
import { Unavailable } from "../wire/errors.ts";

/** Message ids remembered per sender. */
export const PER_SENDER = 256;
/** Senders remembered. */
export const SENDERS = 1024;

/** Marks a message that was handled and answered (its answer is not kept). */
const HANDLED = Symbol("handled");

/** One sender's last messages: by id, the answer while pending; the ids in a ring. */
interface Seen {
  entries: Map<number, Promise<unknown> | typeof HANDLED>;
  ring: number[];
  next: number;
}

/** See the module docs. */
export class RecentMessages {
  /** By sender, least recently heard from first (a Map keeps insertion order). */
  readonly #senders = new Map<string, Seen>();
  #last: string | undefined;

  /**
   * Run `handle` for message `id` of `sender` unless it ran already: resolves to its answer,
   * or (for a copy of a message handled before) as the module docs say.
   */
  once(sender: string, id: number, kind: string, handle: () => Promise<unknown>): Promise<unknown> {
    const seen = this.#sender(sender);
    const entry = seen.entries.get(id);
    if (entry === HANDLED) {
      return kind === "request"
        ? Promise.reject(new Unavailable(`request ${id} from ${sender} was answered already`))
        : Promise.resolve(null);
    }
    if (entry) return entry;
    const answer = handle();
    seen.entries.set(id, answer);
    // Once answered, keep only the fact (a copy that comes later must not run it again).
    answer.then(
      () => seen.entries.has(id) && seen.entries.set(id, HANDLED),
      () => seen.entries.has(id) && seen.entries.set(id, HANDLED),
    );
    if (seen.ring.length < PER_SENDER) {
      seen.ring.push(id);
    } else {
      seen.entries.delete(seen.ring[seen.next]);
      seen.ring[seen.next] = id;
      seen.next = (seen.next + 1) % PER_SENDER;
    }
    return answer;
  }

  #sender(sender: string): Seen {
    let seen = this.#senders.get(sender);
    if (seen && this.#last === sender) return seen;
    if (seen) {
      this.#senders.delete(sender);
    } else {
      if (this.#senders.size >= SENDERS) this.#senders.delete(this.#senders.keys().next().value!);
      seen = { entries: new Map(), ring: [], next: 0 };
    }
    this.#senders.set(sender, seen);
    this.#last = sender;
    return seen;
  }
}
