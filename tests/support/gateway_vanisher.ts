/**
 * A gateway client that stops dead in the middle of its work, for a test to SIGKILL: it
 * prints one line once it is mid-stream (it has read some items) or mid-upload (some bytes
 * are acknowledged), then blocks its thread so that nothing more is read or sent.
 *
 * Usage: `gateway_vanisher.ts HOST:PORT stream` or `gateway_vanisher.ts HOST:PORT upload FILE`.
 * @module
 */
import { Controller } from "../../mod.ts";

/** Block this thread (no event loop turns) until the test kills the process. */
function freeze(): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);
}

const [address, mode, file] = Deno.args;
const ctl = await Controller.connect(address);
const client = await ctl.getClient({ wait: 10_000 });
if (mode === "stream") {
  let read = 0;
  for await (const _ of client.stream("sensor", [])) {
    if (++read === 5) {
      console.log(`mid-stream on handler ${client.handler}`);
      freeze();
    }
  }
} else if (mode === "upload") {
  await client.upload([file], {
    folder: "incoming",
    concurrency: 1,
    onProgress: ({ bytes, totalBytes }) => {
      if (bytes > 0 && bytes < totalBytes) {
        console.log(`mid-upload at ${bytes} of ${totalBytes}`);
        freeze();
      }
    },
  });
}
console.log("finished (the test should have stopped this)");
