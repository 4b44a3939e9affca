/**
 * Waiting in tests: for a condition, with a deadline — never for a fixed time.
 *
 * @example
 * ```ts
 * import { waitFor } from "./wait.ts";
 * let ready = false;
 * setTimeout(() => ready = true, 10);
 * await waitFor(() => ready);
 * ```
 * @module
 */

/**
 * Resolve once `condition()` is true; check every `intervalMs`; fail after `deadlineMs`.
 *
 * @example
 * ```ts
 * import { waitFor } from "./wait.ts";
 * await waitFor(async () => (await fetchCount()) === 3, { deadlineMs: 5000 });
 * ```
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  { deadlineMs = 10_000, intervalMs = 10, what = "condition" } = {},
): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * A TCP port on 127.0.0.1 that nothing listens on right now.
 *
 * @example
 * ```ts
 * import { freePort } from "./wait.ts";
 * const port = await freePort();
 * ```
 */
export function freePort(): Promise<number> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return Promise.resolve(port);
}
