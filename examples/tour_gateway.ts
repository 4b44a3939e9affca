/**
 * The gateway part of the tour: a `typenet gateway` process running the sensor subroutines,
 * used from this program (a ping, a call, a sharded stream through a swarm, a camera for a
 * slow viewer); then the backup example (examples/backup/run.ts) as a process of its own.
 *
 * @example
 * ```sh
 * deno run --allow-run --allow-read --allow-net=127.0.0.1 examples/tour.ts
 * ```
 * @module
 */
import { Controller, DEFAULT_GATEWAY_PORT } from "../mod.ts";
import { isFree, type Running, startTypenet, stopTypenet } from "./tour.ts";

const READY = /^typenet gateway listening on (\S+) \(pool \d+\)$/;
const SUBROUTINES = new URL("./sensor_subroutines.ts", import.meta.url).pathname;
const BACKUP = new URL("./backup/run.ts", import.meta.url).pathname;

/** Start a gateway, use it, stop it; then run the backup example. */
export async function gatewayTour(): Promise<void> {
  console.log("\ntypenet tour: a gateway running subroutines in a pool of Workers\n");
  let gateway: Running | undefined;
  try {
    const port = isFree(DEFAULT_GATEWAY_PORT) ? DEFAULT_GATEWAY_PORT : 0;
    gateway = await startTypenet(
      ["gateway", "--subroutines", "examples/sensor_subroutines.ts", "--port", String(port)],
      READY,
      [`--allow-read=${SUBROUTINES},${new URL("../", import.meta.url).pathname}`],
    );
    console.log(`\nconst ctl = await Controller.connect("${gateway.address}")`);
    await using ctl = await Controller.connect(gateway.address);
    const client = await ctl.getClient();
    console.log("const client = await ctl.getClient()");
    const { echo, ms } = await client.ping("Hello there..");
    console.log(
      `await client.ping("Hello there..")  → ${JSON.stringify(echo)} in ${ms.toFixed(2)} ms`,
    );
    const first = [];
    for await (const [ident] of client.stream("sensor", [0, 1])) {
      first.push(ident);
      if (first.length === 5) break;
    }
    console.log(
      `for await (const [ident] of client.stream("sensor", [0, 1])) … break  → idents ${
        first.join(", ")
      }`,
    );
    await client.closeHandler();
    {
      await using swarm = await ctl.swarm(3);
      let inOrder = 0;
      for await (const [ident] of swarm.stream("sensor", (k, n) => [k, n, 300])) {
        if (ident === inOrder) inOrder++;
      }
      console.log(
        `swarm(3).stream("sensor", (k, n) => [k, n, 300])  → ${inOrder} readings from 3 ` +
          "handlers, in ident order",
      );
    }
    const viewer = await ctl.getClient();
    let missed = 0;
    let frames = 0;
    for await (const [, , skipped] of viewer.stream("camera", [5], { latest: true })) {
      missed += skipped;
      await new Promise((resume) => setTimeout(resume, 50));
      if (++frames === 5) break;
    }
    console.log(
      `client.stream("camera", [5], { latest: true }), 50 ms per frame  → ${frames} frames ` +
        `shown, ${missed} stale ones skipped`,
    );
    await viewer.closeHandler();
  } finally {
    console.log("\nstopping the gateway");
    if (gateway) await stopTypenet(gateway);
  }

  console.log("\ntypenet tour: the backup example (examples/backup/run.ts)\n");
  const backup = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      "--allow-run",
      "--allow-read",
      "--allow-write",
      "--allow-net=127.0.0.1",
      BACKUP,
    ],
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!backup.success) throw new Error(`the backup example failed (exit ${backup.code})`);
}
