/**
 * The originals' examples, each run as a process: value_node.ts writing and reading, the
 * value_writer.ts node of another type writing each value to a file, and http_node.ts with its
 * app on a host port.
 */
import assert from "node:assert/strict";
import { repoPath, runScript } from "./support/process.ts";
import { freePort, waitFor } from "./support/wait.ts";

const NET = "--allow-net=127.0.0.1";

Deno.test("value_node.ts w sets, value_node.ts prints, value_writer.ts writes the file", async () => {
  const clusterPort = await freePort();
  const dir = await Deno.makeTempDir({ prefix: "typenet-examples-" });
  const file = `${dir}/pickleoutput.txt`;
  await using reader = runScript(repoPath("examples/value_node.ts"), [String(clusterPort)]);
  await reader.waitForLine(/^value node \S+ on 127\.0\.0\.1:\d+/);
  await using writer = runScript(
    repoPath("examples/value_writer.ts"),
    [String(clusterPort), file],
    {
      permissions: [NET, `--allow-write=${dir}`],
    },
  );
  await writer.waitForLine(/^value writer /);
  await using setter = runScript(repoPath("examples/value_node.ts"), [String(clusterPort), "w"]);
  try {
    await setter.waitForLine(/^set \{"count":3,/, 20_000);
    // The reader prints what the setter set; the writer's file has it as a line.
    await reader.waitForLine(/^value \{"count":[1-9]/, 20_000);
    await waitFor(async () => {
      const text = await Deno.readTextFile(file).catch(() => "");
      return text.includes('"count":2');
    }, { what: "the writer's file has the values" });
    const lines = (await Deno.readTextFile(file)).trimEnd().split("\n");
    assert.ok(lines.every((line) => JSON.parse(line).count >= 1), lines.join("\n"));
  } finally {
    for (const child of [setter, writer, reader]) await child.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("http_node.ts: GET / broadcasts to every node, PUT /value reaches the others", async () => {
  const clusterPort = await freePort();
  // The apps take free ports the kernel picks and print them: a port found free beforehand
  // could be given to B's own cluster port meanwhile (seen once in CI).
  const ready = /^http node .*app on http:\/\/127\.0\.0\.1:(\d+)\//;
  await using a = runScript(repoPath("examples/http_node.ts"), [String(clusterPort), "0"]);
  const portA = Number((await a.waitForLine(ready))[1]);
  await using b = runScript(repoPath("examples/http_node.ts"), [String(clusterPort), "0"]);
  const portB = Number((await b.waitForLine(ready))[1]);
  const hello = await (await fetch(`http://127.0.0.1:${portA}/`)).text();
  assert.match(hello, /^hello sent to 2 nodes \(0 missed\)/);
  await a.waitForLine(/^hello from /);
  await b.waitForLine(/^hello from /);

  const put = await fetch(`http://127.0.0.1:${portA}/value`, {
    method: "PUT",
    body: JSON.stringify({ lamp: "on" }),
  });
  assert.deepEqual(await put.json(), { value: { lamp: "on" }, on: 2 });
  const value = await (await fetch(`http://127.0.0.1:${portB}/value`)).json();
  assert.deepEqual(value.value, { lamp: "on" });

  // GET /events streams what the node hears: start listening, broadcast, read the event.
  const events = await fetch(`http://127.0.0.1:${portB}/events`);
  const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
  await (await fetch(`http://127.0.0.1:${portA}/`)).text();
  let seen = "";
  while (!seen.includes("event: hello")) seen += (await reader.read()).value ?? "";
  await reader.cancel();
  assert.match(seen, /data: \{"from":"[0-9a-f]{12}","data":\{"path":"\/"\}\}/);
  const bad = await fetch(`http://127.0.0.1:${portA}/value`, { method: "PUT", body: "{" });
  assert.equal(bad.status, 400);
  await bad.body?.cancel();
});

Deno.test("examples/backup: usage above the threshold, logs backed up by regex, then removed", async () => {
  await using backup = runScript(repoPath("examples/backup/run.ts"), [], {
    permissions: ["--allow-run", "--allow-read", "--allow-write", NET],
  });
  const status = await backup.status;
  await backup.stop();
  const out = backup.stdout.join("\n");
  assert.equal(status.code, 0, `${out}\n${backup.stderr.join("\n")}`);
  assert.match(out, /^typenet gateway listening on 127\.0\.0\.1:\d+ \(pool 5\)$/m);
  assert.match(out, /^mountUsage → 5 log files, \d+ bytes \(threshold 10000\)$/m);
  assert.match(out, /^download logs\/\*\.log → 5 files, \d+ bytes into /m);
  assert.match(out, /^removeLogs → 5 removed$/m);
  assert.match(out, /^left in the app's logs: settings\.json$/m);
});

Deno.test("examples/sensor_stream.ts: a swarm's shards in ident order; a camera's newest frames", async () => {
  await using example = runScript(repoPath("examples/sensor_stream.ts"), [], {
    permissions: [NET, "--allow-read"],
  });
  const status = await example.status;
  await example.stop();
  const out = example.stdout.join("\n");
  assert.equal(status.code, 0, `${out}\n${example.stderr.join("\n")}`);
  assert.match(out, /^sensor: 3000 readings from 3 handlers, in ident order, in \d+ ms/m);
  const camera = out.match(/^camera: showed 10 frames, up to frame (\d+); (\d+) stale frames/m);
  assert.ok(camera, out);
  assert.ok(Number(camera[2]) > 0, "a viewer ten times slower than the camera skipped frames");
});
