/**
 * The backup tutorial, end to end, on this machine: a gateway shares an app's folder; a
 * controller asks how full its log folder is, and above a threshold downloads the logs (by
 * regex) into a backup folder, then tells the gateway to remove exactly the logs it backed up.
 *
 * @example
 * ```sh
 * deno run --allow-run --allow-read --allow-write --allow-net=127.0.0.1 examples/backup/run.ts
 * ```
 * @module
 */
import { Controller } from "../../mod.ts";

const CLI = new URL("../../cli.ts", import.meta.url).pathname;
const SUBROUTINES = new URL("./subroutines.ts", import.meta.url).pathname;
/** Back up when the logs hold more than this. */
const THRESHOLD_BYTES = 10_000;

const app = await Deno.makeTempDir({ prefix: "typenet-app-" });
const backup = await Deno.makeTempDir({ prefix: "typenet-backup-" });
await Deno.mkdir(`${app}/logs`);
for (let day = 1; day <= 5; day++) {
  await Deno.writeTextFile(`${app}/logs/app-${day}.log`, `day ${day}: all is well\n`.repeat(200));
}
await Deno.writeTextFile(`${app}/logs/settings.json`, "{}"); // not a log: stays

const gateway = new Deno.Command(Deno.execPath(), {
  args: [
    "run",
    "--quiet",
    "--unstable-worker-options", // lets the gateway narrow what subroutines may do
    "--allow-net=127.0.0.1",
    `--allow-read=${new URL("../../", import.meta.url).pathname},${app}`,
    `--allow-write=${app}`,
    CLI,
    "gateway",
    "--port",
    "0",
    "--subroutines",
    SUBROUTINES,
    "--root",
    app,
    // The subroutines only look at and remove logs: that is all they may touch.
    "--subroutine-allow",
    `read=${app}/logs`,
    "--subroutine-allow",
    `write=${app}/logs`,
  ],
  stdout: "piped",
  stderr: "inherit",
  stdin: "null",
}).spawn();
try {
  const reader = gateway.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let line = "";
  while (!line.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the gateway did not start");
    line += value;
  }
  reader.releaseLock();
  gateway.stdout.cancel().catch(() => {});
  const address = line.match(/listening on (\S+)/)![1];
  console.log(
    `$ typenet gateway --subroutines examples/backup/subroutines.ts --root ${app} ` +
      `--subroutine-allow read=${app}/logs --subroutine-allow write=${app}/logs`,
  );
  console.log(line.trim());

  await using ctl = await Controller.connect(address, { downloadDir: backup });
  await using client = await ctl.getClient();
  const usage = await client.batch("mountUsage", [`${app}/logs`]) as {
    bytes: number;
    files: number;
  };
  console.log(
    `mountUsage → ${usage.files} log files, ${usage.bytes} bytes (threshold ${THRESHOLD_BYTES})`,
  );
  if (usage.bytes > THRESHOLD_BYTES) {
    const summary = await client.download({ folder: "logs", regex: "\\.log$" });
    console.log(
      `download logs/*.log → ${summary.moved} files, ${summary.bytes} bytes into ${backup}`,
    );
    const backedUp: string[] = [];
    for await (const entry of Deno.readDir(backup)) if (entry.isFile) backedUp.push(entry.name);
    backedUp.sort();
    const list = new TextEncoder().encode(backedUp.join("\n"));
    const removed = await client.send("removeLogs", list, [`${app}/logs`]);
    console.log(`removeLogs → ${removed} removed`);
  }
  const left: string[] = [];
  for await (const entry of Deno.readDir(`${app}/logs`)) left.push(entry.name);
  console.log(`left in the app's logs: ${left.sort().join(", ")}`);
} finally {
  gateway.kill("SIGTERM");
  await gateway.status;
  await Deno.remove(app, { recursive: true });
  await Deno.remove(backup, { recursive: true });
}
