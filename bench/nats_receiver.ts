/**
 * A NATS subscriber in a process of its own, for the cluster benchmark: it acknowledges every
 * `bench` message on `bench.ack`, counts `bench.burst` messages and says `bench.done` after
 * the number it was told, and answers `echo` requests with what they carried.
 *
 * @example
 * ```sh
 * deno run --allow-net=127.0.0.1 --allow-env --allow-read bench/nats_receiver.ts PORT
 * ```
 * @module
 */
import { connectNats } from "./nats.ts";

const nc = await connectNats(Number(Deno.args[0]));
nc.subscribe("bench", { callback: (_, msg) => nc.publish("bench.ack", msg.data) });
let count = 0;
let expected = Infinity;
nc.subscribe("bench.expect", {
  callback: (_, msg) => {
    expected = Number(new TextDecoder().decode(msg.data));
    count = 0;
  },
});
nc.subscribe("bench.burst", {
  callback: () => {
    if (++count === expected) nc.publish("bench.done", new Uint8Array(0));
  },
});
nc.subscribe("echo", { callback: (_, msg) => msg.respond(msg.data) });
await nc.flush();
console.log("ready");
await new Promise<void>((resolve) => Deno.addSignalListener("SIGTERM", resolve));
await nc.close();
Deno.exit(0);
