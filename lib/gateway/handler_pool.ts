/**
 * The gateway's pool of handler Workers: a fixed number of slots, each a Worker that has
 * imported the subroutine module. A client takes a slot (at once, or waiting up to a deadline)
 * and keeps it until it lets go or disconnects. A Worker that dies or is stopped for a stuck call
 * is replaced in its slot, so the pool is back to its size.
 *
 * @example
 * ```ts
 * import { HandlerPool } from "./handler_pool.ts";
 * const pool = await HandlerPool.start(5, new URL("./subs.ts", import.meta.url).href);
 * const slot = await pool.acquire(0);
 * // … slot.link.call(…) …
 * pool.release(slot);
 * await pool.stop();
 * ```
 * @module
 */
import { PoolFullError, Unavailable } from "../wire/errors.ts";
import { HandlerWorkerLink } from "./handler_worker_link.ts";

/** One slot of the pool. */
export interface Slot {
  /** Its number, 1 to the pool's size: the client's handler id. */
  readonly id: number;
  /** Its Worker (replaced when one dies). */
  link: HandlerWorkerLink;
  /** Resolves once its Worker is ready (at once, unless one is being replaced). */
  ready: Promise<void>;
  /** Whether a client holds it. */
  busy: boolean;
}

interface Waiter {
  resolve(slot: Slot): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/** See the module docs. */
export class HandlerPool {
  readonly #moduleUrl: string;
  readonly #permissions: Deno.PermissionOptionsObject | undefined;
  readonly #slots: Slot[];
  readonly #waiters: Waiter[] = [];
  /** Told when a slot's Worker is replaced (and why). */
  onReplace: ((slot: Slot, reason: Error) => void) | undefined;
  #stopped = false;

  private constructor(
    moduleUrl: string,
    permissions: Deno.PermissionOptionsObject | undefined,
    links: HandlerWorkerLink[],
  ) {
    this.#moduleUrl = moduleUrl;
    this.#permissions = permissions;
    this.#slots = links.map((link, k) => ({
      id: k + 1,
      link,
      ready: Promise.resolve(),
      busy: false,
    }));
    for (const slot of this.#slots) this.#watch(slot);
  }

  /**
   * Start `size` Workers, each importing the module at `moduleUrl` (with `permissions` if
   * given); fails if it cannot load.
   */
  static async start(
    size: number,
    moduleUrl: string,
    permissions?: Deno.PermissionOptionsObject,
  ): Promise<HandlerPool> {
    const started = await Promise.allSettled(
      Array.from({ length: size }, () => HandlerWorkerLink.spawn(moduleUrl, permissions)),
    );
    const failed = started.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) {
      for (const r of started) if (r.status === "fulfilled") r.value.terminate();
      throw failed.reason;
    }
    return new HandlerPool(
      moduleUrl,
      permissions,
      started.map((r) => (r as PromiseFulfilledResult<HandlerWorkerLink>).value),
    );
  }

  /** Slots in all. */
  get size(): number {
    return this.#slots.length;
  }

  /** Slots free now. */
  get free(): number {
    return this.#slots.filter((slot) => !slot.busy).length;
  }

  /** The subroutines the module exports (every Worker imported the same module). */
  get subroutines(): Record<string, string> {
    return this.#slots[0].link.subroutines;
  }

  /**
   * Take a free slot; with none free, fail with `PoolFullError` at once (`waitMs` 0) or when
   * none comes free within `waitMs`.
   */
  acquire(waitMs: number): Promise<Slot> {
    if (this.#stopped) return Promise.reject(new Unavailable("the gateway is stopping"));
    const slot = this.#slots.find((s) => !s.busy);
    if (slot) {
      slot.busy = true;
      return Promise.resolve(slot);
    }
    const full = () =>
      new PoolFullError(
        `all ${this.size} handlers are in use${waitMs > 0 ? ` (waited ${waitMs} ms)` : ""}`,
      );
    if (waitMs <= 0) return Promise.reject(full());
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
          reject(full());
        }, waitMs),
      };
      this.#waiters.push(waiter);
    });
  }

  /** Give a slot back: the next waiter gets it, or it is free. */
  release(slot: Slot): void {
    if (!slot.busy) return;
    const waiter = this.#waiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.resolve(slot);
      return;
    }
    slot.busy = false;
  }

  /** Stop every Worker; waiting clients fail. */
  stop(): Promise<void> {
    this.#stopped = true;
    for (const waiter of this.#waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(new Unavailable("the gateway is stopping"));
    }
    for (const slot of this.#slots) slot.link.terminate();
    return Promise.resolve();
  }

  /** When a slot's Worker dies, start another in its place. */
  #watch(slot: Slot): void {
    slot.link.onDeath = (reason) => {
      if (this.#stopped) return;
      this.onReplace?.(slot, reason);
      const replaced = Promise.withResolvers<void>();
      slot.ready = replaced.promise;
      this.#respawn(slot, 1, replaced.resolve);
    };
  }

  #respawn(slot: Slot, attempt: number, done: () => void): void {
    HandlerWorkerLink.spawn(this.#moduleUrl, this.#permissions).then((link) => {
      if (this.#stopped) {
        link.terminate();
        return done();
      }
      slot.link = link;
      this.#watch(slot);
      done();
    }, () => {
      // The module loaded before, so this is transient: try again, a little later each time.
      if (!this.#stopped) {
        setTimeout(() => this.#respawn(slot, attempt + 1, done), Math.min(5_000, 100 * attempt));
      } else {
        done();
      }
    });
  }
}
