/**
 * `typenet server --data DIR`: dicts survive SIGKILL and restart (every acknowledged write is
 * there, none twice), a torn tail is cut off and said, and a corrupt, foreign, newer or busy
 * directory is a clear error at start — never a silent empty store.
 */
import assert from "node:assert/strict";
import { Dict } from "../mod.ts";
import { startServer } from "./support/process.ts";
import { repoPath, runScript } from "./support/process.ts";
import { freePort, waitFor } from "./support/wait.ts";

const PERMISSIONS = ["--allow-net=127.0.0.1", "--allow-read", "--allow-write"];

/** A server on `port` keeping its data in `dir`. */
function serve(dir: string, port: number, extra: string[] = []) {
  return startServer(["127.0.0.1", String(port), "--data", dir, ...extra], {
    permissions: PERMISSIONS,
  });
}

/** Run `typenet server` expecting it to refuse to start (exit `code`); its stderr. */
async function refused(args: string[], code = 1): Promise<string> {
  await using child = runScript(repoPath("cli.ts"), ["server", "127.0.0.1", "0", ...args], {
    permissions: PERMISSIONS,
  });
  const status = await child.status;
  assert.equal(status.code, code, child.stdout.join("\n"));
  return child.stderr.join("\n");
}

for (const fsync of ["always", "everysec"]) {
  Deno.test(`dict writes survive five SIGKILLs and restarts (fsync ${fsync})`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "typenet-data-" });
    try {
      const port = await freePort();
      let server = await serve(dir, port, ["--fsync", fsync]);
      const node = server.address;
      const writers = [
        runScript(repoPath("tests/support/durable_writer.ts"), ["dict", node, "400"]),
        runScript(repoPath("tests/support/durable_writer.ts"), ["cas", node, "150"]),
      ];
      try {
        for (let kill = 0; kill < 5; kill++) {
          // Let the writers get some way (the log grows), then kill the server mid-write.
          const size = (await Deno.stat(`${dir}/log`)).size;
          const grown = async () => (await Deno.stat(`${dir}/log`)).size > size + 1_500;
          await waitFor(async () => await grown() || writers.every((w) => w.stdout.length > 0), {
            deadlineMs: 20_000,
            what: "the writers to write",
          });
          await server.stop("SIGKILL");
          server = await serve(dir, port, ["--fsync", fsync]);
          assert.match(server.stderr.join("\n"), /records replayed/);
        }
        const [dictStatus, casStatus] = await Promise.all(writers.map((w) => w.status));
        assert.equal(dictStatus.code, 0, writers[0].stderr.join("\n"));
        assert.equal(casStatus.code, 0, writers[1].stderr.join("\n"));
        // One more crash after the writers finished: everything they were told is there.
        await server.stop("SIGKILL");
        server = await serve(dir, port, ["--fsync", fsync]);
        await using d = await Dict.open("durable", { nodes: [node] });
        const values = await d.getMany(Array.from({ length: 400 }, (_, i) => `k${i}`));
        assert.deepEqual(values, Array.from({ length: 400 }, (_, i) => i));
        const [, acked, unknown] = writers[1].stdout.at(-1)!.split(" ").map(Number);
        await using counter = await Dict.open("counter", { nodes: [node] });
        const n = await counter.get("n") as number;
        assert.ok(
          n >= acked && n <= acked + unknown,
          `counter ${n}, acked ${acked}, lost ${unknown}`,
        );
      } finally {
        for (const writer of writers) await writer.stop("SIGKILL");
        await server.stop();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("a torn tail is cut off and said; the records before it are kept", async () => {
  const dir = await Deno.makeTempDir({ prefix: "typenet-data-" });
  try {
    const port = await freePort();
    let server = await serve(dir, port, ["--fsync", "always"]);
    {
      await using d = await Dict.open("torn", { nodes: [server.address] });
      await d.setMany([["a", 1], ["b", 2]]);
    }
    await server.stop("SIGKILL");
    // A crash mid-write: the next record's header and half its payload.
    const log = `${dir}/log`;
    const whole = await Deno.readFile(log);
    const torn = new Uint8Array([40, 0, 0, 0, 1, 2, 3, 4, 9, 9, 9]);
    await Deno.writeFile(log, new Uint8Array([...whole, ...torn]));
    server = await serve(dir, port);
    assert.match(server.stderr.join("\n"), /cut off a torn tail of 11 bytes/);
    assert.equal((await Deno.stat(log)).size, whole.length);
    await using d = await Dict.open("torn", { nodes: [server.address] });
    assert.deepEqual(await d.getMany(["a", "b"]), [1, 2]);
    await d.set("c", 3);
    assert.equal(await d.get("c"), 3);
    await server.stop();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("corrupt, foreign, newer and busy directories are refused at start", async () => {
  const dir = await Deno.makeTempDir({ prefix: "typenet-data-" });
  try {
    const port = await freePort();
    const server = await serve(dir, port);
    {
      await using d = await Dict.open("c", { nodes: [server.address] });
      for (let i = 0; i < 3; i++) await d.set(`k${i}`, i);
    }
    // Two servers on one directory.
    assert.match(await refused(["--data", dir]), /in use by another typenet server/);
    await server.stop();
    // A flipped byte in the first record, with good records after it.
    const log = await Deno.readFile(`${dir}/log`);
    log[10] ^= 0xff;
    await Deno.writeFile(`${dir}/log`, log);
    assert.match(await refused(["--data", dir]), /corrupt at byte 0.*refusing to start/);
    // A directory of someone else's files, and one from a newer typenet.
    const foreign = await Deno.makeTempDir({ prefix: "typenet-foreign-" });
    await Deno.writeTextFile(`${foreign}/notes.txt`, "mine");
    assert.match(await refused(["--data", foreign]), /not a typenet data directory/);
    await Deno.remove(`${foreign}/notes.txt`);
    await Deno.writeTextFile(`${foreign}/FORMAT`, "typenet-data 9\n");
    assert.match(await refused(["--data", foreign]), /newer typenet \(data format 9/);
    await Deno.remove(foreign, { recursive: true });
    // A bad mode is a usage error.
    const usage = await refused(["--data", dir, "--fsync", "sometimes"], 2);
    assert.match(usage, /--fsync must be always, everysec or no/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("without --data the server says it keeps everything in memory only", async () => {
  await using server = await startServer();
  assert.match(server.stderr.join("\n"), /no --data: lists and dicts are in memory only/);
});

Deno.test("server.stats and typenet stats say where the data is kept", async () => {
  const dir = await Deno.makeTempDir({ prefix: "typenet-data-" });
  try {
    await using server = await serve(dir, await freePort());
    {
      await using d = await Dict.open("seen", { nodes: [server.address] });
      await d.set("k", "v");
    }
    await using child = runScript(repoPath("cli.ts"), [
      "stats",
      "--nodes",
      server.address,
      "--json",
    ]);
    assert.equal((await child.status).code, 0, child.stderr.join("\n"));
    const [report] = JSON.parse(child.stdout.join("\n"));
    assert.equal(report.data.dataDir, dir);
    assert.equal(report.data.fsync, "everysec");
    assert.equal(report.data.logBytes, (await Deno.stat(`${dir}/log`)).size);
    assert.equal(report.data.compactions, 0);
    await using table = runScript(repoPath("cli.ts"), ["stats", "--nodes", server.address]);
    assert.equal((await table.status).code, 0);
    assert.match(
      table.stdout.join("\n"),
      new RegExp(`data in ${dir} \\(fsync everysec\\): log \\d+ bytes, 0 compaction`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
