/**
 * Streams from a gateway, on this machine: a sensor read in three shards by a swarm of three
 * handlers and put back in order by ident, then a camera watched by a viewer slower than the
 * camera, which gets the newest frame each time and hears how many it missed.
 *
 * @example
 * ```sh
 * deno run --allow-net=127.0.0.1 --allow-read examples/sensor_stream.ts
 * ```
 * @module
 */
import { Controller, Gateway } from "../mod.ts";

const READINGS = 3_000;

await using gateway = await Gateway.start({
  port: 0,
  subroutines: new URL("./sensor_subroutines.ts", import.meta.url),
  pool: 4,
});
console.log(`typenet gateway listening on ${gateway.address} (pool ${gateway.poolSize})`);
await using ctl = await Controller.connect(gateway.address);

// The sensor: three handlers each read a third of the readings; the swarm merges them.
{
  await using swarm = await ctl.swarm(3);
  const started = performance.now();
  let expected = 0;
  for await (const [ident, bytes] of swarm.stream("sensor", (k, n) => [k, n, READINGS])) {
    if (ident !== expected) throw new Error(`reading ${ident} came where ${expected} belonged`);
    if ((bytes as Uint8Array)[8] !== ((ident * 31 + 8) & 255)) throw new Error("bad reading");
    expected++;
  }
  const ms = performance.now() - started;
  console.log(
    `sensor: ${expected} readings from 3 handlers, in ident order, in ${ms.toFixed(0)} ms ` +
      `(${Math.round(expected / (ms / 1000))} readings/s)`,
  );
}

// The camera: a frame every 5 ms, a viewer that takes 50 ms per frame.
{
  await using viewer = await ctl.getClient();
  let frames = 0;
  let missed = 0;
  let last = -1;
  for await (const [ident, , skipped] of viewer.stream("camera", [5], { latest: true })) {
    if (ident <= last) throw new Error(`frame ${ident} after ${last}`);
    last = ident;
    missed += skipped;
    await new Promise((resume) => setTimeout(resume, 50)); // the slow viewer
    if (++frames === 10) break;
  }
  console.log(
    `camera: showed ${frames} frames, up to frame ${last}; ${missed} stale frames skipped, none queued`,
  );
}
