/**
 * A well-behaved client in a process of its own: it pings a server back to back until it gets
 * SIGINT, then prints the slowest round trip it saw and exits. A benchmark that attacks a
 * server from its own process uses it, so that the attacker's work never delays the pings it
 * measures.
 *
 * @example
 * ```sh
 * deno run --allow-net=127.0.0.1 bench/ping_probe.ts 127.0.0.1:4444   # then Ctrl-C
 * ```
 * @module
 */
import { LivenessProbe } from "../tests/support/liveness.ts";

const probe = await LivenessProbe.start(Deno.args[0], { intervalMs: 0 });
const stopped = new Promise<void>((resolve) => Deno.addSignalListener("SIGINT", resolve));
console.log("probing");
await stopped;
const report = await probe.stop();
console.log(
  `slowest ${report.slowestMs.toFixed(2)} ms, ${report.pings} pings, ` +
    `${report.failures.length} failures`,
);
Deno.exit(0);
