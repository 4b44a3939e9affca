/**
 * A gateway facing clients that misbehave, as real processes: garbage instead of a hello,
 * clients SIGKILLed mid-stream and mid-upload, handlers held by connections that say nothing,
 * and subroutines confined to what the operator grants them.
 */
import assert from "node:assert/strict";
import { Controller, PoolFullError } from "../mod.ts";
import { GatewayOp } from "../lib/wire/gateway_protocol.ts";
import { RemoteError } from "../lib/wire/errors.ts";
import { startGateway } from "./support/gateway.ts";
import { repoPath, runScript } from "./support/process.ts";
import { RawClient } from "./support/raw_client.ts";
import { rejectsWith } from "./support/assert.ts";
import { waitFor } from "./support/wait.ts";

function vanisher(address: string, ...args: string[]) {
  return runScript(repoPath("tests/support/gateway_vanisher.ts"), [address, ...args], {
    permissions: ["--allow-net=127.0.0.1", "--allow-read"],
  });
}

Deno.test("garbage where a hello should be: an error, and the gateway serves on", async () => {
  await using gateway = await startGateway({ extra: ["--pool", "1"] });
  await using raw = await RawClient.connect(gateway.address);
  await raw.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  const answer = await raw.read();
  assert.equal(answer?.[0], 4, JSON.stringify(answer));
  assert.equal(await raw.read(), null, "the gateway closed the connection");
  await using ctl = await Controller.connect(gateway.address);
  const client = await ctl.getClient();
  assert.equal(await client.batch("sum", [2, 3]), 5);
});

Deno.test("a client SIGKILLed mid-stream frees its handler; the generator's finally runs", async () => {
  await using gateway = await startGateway({ extra: ["--pool", "1"] });
  await using child = vanisher(gateway.address, "stream");
  await child.waitForLine(/^mid-stream on handler 1$/);
  await using ctl = await Controller.connect(gateway.address);
  await rejectsWith(() => ctl.getClient(), PoolFullError, "all 1 handlers are in use");
  await child.stop("SIGKILL");
  const client = await ctl.getClient({ wait: 10_000 });
  // Same Worker (pool of 1): the stream the dead client left was closed, its finally ran.
  await waitFor(async () => {
    const stats = await client.batch("sensorStats") as { produced: number; finished: number };
    return stats.produced >= 5 && stats.finished === 1;
  }, { what: "the sensor generator was closed" });
});

Deno.test("a client SIGKILLed mid-upload leaves no file, only a partial it can resume", async () => {
  const root = await Deno.makeTempDir({ prefix: "typenet-root-" });
  const here = await Deno.makeTempDir({ prefix: "typenet-here-" });
  try {
    await Deno.mkdir(`${root}/incoming`);
    const bytes = new Uint8Array(48 * 1024 * 1024).map((_, k) => (k * 31) >>> 3);
    await Deno.writeFile(`${here}/big.bin`, bytes);
    await using gateway = await startGateway({ root });
    await using child = vanisher(gateway.address, "upload", `${here}/big.bin`);
    await child.waitForLine(/^mid-upload at \d+ of \d+$/);
    await child.stop("SIGKILL");
    const names = async () => {
      const found: string[] = [];
      for await (const entry of Deno.readDir(`${root}/incoming`)) found.push(entry.name);
      return found.sort();
    };
    await waitFor(async () => (await names()).includes(".big.bin.typenet-partial"), {
      what: "the partial file",
    });
    assert.ok(!(await names()).includes("big.bin"), "no file under its final name");
    await using ctl = await Controller.connect(gateway.address);
    const client = await ctl.getClient();
    const summary = await client.upload([`${here}/big.bin`], { folder: "incoming" });
    assert.equal(summary.moved, 1);
    assert.ok(summary.bytes < bytes.length, `resumed: sent ${summary.bytes} of ${bytes.length}`);
    assert.deepEqual(await names(), ["big.bin"]);
    assert.deepEqual(await Deno.readFile(`${root}/incoming/big.bin`), bytes);
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(here, { recursive: true });
  }
});

Deno.test("handlers held by silent connections come back; a quiet typenet client keeps its own", async () => {
  await using gateway = await startGateway({ extra: ["--pool", "2", "--lease-idle-ms", "800"] });
  await using ctl = await Controller.connect(gateway.address);
  // A typenet client that holds its handler and does nothing for three lease times.
  const quiet = await ctl.getClient();
  // Silent holders: they take a handler, then say nothing (a peer gone without a goodbye).
  const silent: RawClient[] = [];
  try {
    for (let k = 0; k < 2; k++) {
      const raw = await RawClient.connect(gateway.address);
      silent.push(raw);
      assert.equal((await raw.hello())?.[0], 1);
      await raw.send([2, 1, GatewayOp.Acquire, [0]]);
      const answer = await raw.read();
      if (k === 0) assert.equal(answer?.[0], 3, JSON.stringify(answer));
      else assert.equal(answer?.[2], "POOL_FULL", JSON.stringify(answer));
    }
    await rejectsWith(() => ctl.getClient(), PoolFullError, "all 2 handlers are in use");
    const started = Date.now();
    const waited = await ctl.getClient({ wait: 10_000 });
    assert.ok(Date.now() - started >= 400, "the slot came back after the silence, not at once");
    const told = await silent[0].read();
    assert.equal(told?.[2], "TIMEOUT", JSON.stringify(told));
    assert.match(String(told?.[3]), /nothing heard for 800 ms .* handler \d/);
    assert.equal(await silent[0].read(), null, "and its connection closed");
    await waitFor(() => Date.now() - started > 2_400, { what: "three lease times" });
    assert.equal(await quiet.batch("sum", [1, 1]), 2, "the quiet client still holds its handler");
    await waited.closeHandler();
  } finally {
    for (const raw of silent) raw.close();
  }
});

Deno.test("subroutines may only do what --subroutine-allow grants", async () => {
  const allowed = await Deno.makeTempDir({ prefix: "typenet-allowed-" });
  const denied = await Deno.makeTempDir({ prefix: "typenet-denied-" });
  try {
    await Deno.writeTextFile(`${allowed}/ok.txt`, "fine");
    await Deno.writeTextFile(`${denied}/secret.txt`, "not for subroutines");
    await using gateway = await startGateway({
      extra: ["--subroutine-allow", `read=${allowed}`],
      readable: [allowed, denied],
      denoFlags: ["--unstable-worker-options"],
    });
    await waitFor(
      () => gateway.stderr.some((l) => l.includes(`subroutines may only: read=${allowed}`)),
      { what: "the grants said at start" },
    );
    await using ctl = await Controller.connect(gateway.address);
    const client = await ctl.getClient();
    assert.equal(await client.batch("readText", [`${allowed}/ok.txt`]), "fine");
    await rejectsWith(
      () => client.batch("readText", [`${denied}/secret.txt`]),
      RemoteError,
      "NotCapable",
    );
    // The gateway itself still reads what it was allowed (its own permissions are untouched).
    assert.equal(await client.batch("sum", [1, 2]), 3);
    await client.closeHandler();
  } finally {
    await Deno.remove(allowed, { recursive: true });
    await Deno.remove(denied, { recursive: true });
  }
});

Deno.test("without a grant, the gateway says subroutines have its own permissions", async () => {
  await using gateway = await startGateway();
  await waitFor(
    () =>
      gateway.stderr.some((l) => l.includes("subroutines run with the gateway's own permissions")),
    { what: "the gateway says so at start" },
  );
});
