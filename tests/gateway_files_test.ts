/**
 * Files through a real gateway process: downloads by folder and regex or by paths, uploads,
 * identical files skipped, interrupted transfers resumed, checksums, mtimes and modes kept,
 * nothing outside the shared folder reachable, no half file ever under its final name, and a
 * swarm that splits many files and one big one.
 */
import assert from "node:assert/strict";
import { Controller } from "../mod.ts";
import { BadArgument, Unavailable, UnsupportedOperation } from "../lib/wire/errors.ts";
import { FileOp } from "../lib/wire/gateway_protocol.ts";
import { sha256Of } from "../lib/gateway/file_service.ts";
import { downloadBatch } from "../lib/gateway/batch_download.ts";
import { LocalIndex } from "../lib/gateway/local_index.ts";
import { tracker } from "../lib/gateway/transfer.ts";
import { startGateway } from "./support/gateway.ts";
import { rejectsWith } from "./support/assert.ts";

/** Bytes that differ everywhere (so a misplaced range shows). */
function pattern(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = seed;
  for (let k = 0; k < size; k++) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[k] = x >>> 24;
  }
  return bytes;
}

Deno.test("gateway files: download, upload, resume, confinement, swarm", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "typenet-root-" });
  const here = await Deno.makeTempDir({ prefix: "typenet-here-" });
  const outside = await Deno.makeTempDir({ prefix: "typenet-outside-" });
  try {
    await Deno.mkdir(`${root}/logs/sub`, { recursive: true });
    const logs: Record<string, Uint8Array> = {
      "a.log": pattern(1000, 1),
      "b.log": pattern(3 * 1024 * 1024 + 7, 2), // several chunks
      "c.txt": pattern(10, 3),
      "sub/d.log": pattern(0, 4),
    };
    for (const [name, bytes] of Object.entries(logs)) {
      await Deno.writeFile(`${root}/logs/${name}`, bytes);
    }
    await Deno.chmod(`${root}/logs/a.log`, 0o640);
    await Deno.utime(
      `${root}/logs/a.log`,
      new Date(1_600_000_000_000),
      new Date(1_600_000_000_000),
    );
    await Deno.writeTextFile(`${outside}/secret.txt`, "not for you");
    await Deno.symlink(outside, `${root}/logs/escape`);

    await using gateway = await startGateway({ root });
    await using ctl = await Controller.connect(gateway.address, { downloadDir: here });
    const client = await ctl.getClient();

    await t.step("download a folder by regex, keeping paths, mtime and mode", async () => {
      const seen: number[] = [];
      const summary = await client.download(
        { folder: "logs", regex: "\\.log$" },
        { onProgress: (p) => seen.push(p.bytes) },
      );
      assert.deepEqual(summary, { moved: 3, skipped: 0, bytes: 1000 + 3 * 1024 * 1024 + 7 });
      for (const name of ["a.log", "b.log", "sub/d.log"]) {
        assert.deepEqual(await Deno.readFile(`${here}/${name}`), logs[name], name);
      }
      await rejectsWith(() => Deno.stat(`${here}/c.txt`), Deno.errors.NotFound);
      await rejectsWith(() => Deno.stat(`${here}/escape`), Deno.errors.NotFound);
      const info = await Deno.stat(`${here}/a.log`);
      assert.equal(info.mtime?.getTime(), 1_600_000_000_000);
      assert.equal((info.mode ?? 0) & 0o777, 0o640);
      assert.equal(seen.at(-1), summary.bytes);
      // Again: everything is already identical.
      assert.deepEqual(
        await client.download({ folder: "logs", regex: "\\.log$" }),
        { moved: 0, skipped: 3, bytes: 0 },
      );
    });

    await t.step("an interrupted download goes on from the bytes already there", async () => {
      // Downloaded by path, it goes to logs/b.log here. What an interruption leaves there: the
      // first megabyte, under the hidden partial name.
      await Deno.mkdir(`${here}/logs`);
      await Deno.writeFile(
        `${here}/logs/.b.log.typenet-partial`,
        logs["b.log"].subarray(0, 1024 * 1024),
      );
      const summary = await client.download({ paths: ["logs/b.log"] });
      assert.equal(summary.bytes, 2 * 1024 * 1024 + 7, "only the rest moved");
      assert.deepEqual(await Deno.readFile(`${here}/logs/b.log`), logs["b.log"]);
      await rejectsWith(
        () => Deno.stat(`${here}/logs/.b.log.typenet-partial`),
        Deno.errors.NotFound,
      );
    });

    await t.step("upload into a folder; again is a skip; mtime and mode kept", async () => {
      const local = `${here}/up.bin`;
      await Deno.writeFile(local, pattern(2 * 1024 * 1024 + 3, 9));
      await Deno.chmod(local, 0o600);
      await Deno.utime(local, new Date(1_500_000_000_000), new Date(1_500_000_000_000));
      const summary = await client.upload([local, `${here}/a.log`], { folder: "incoming" });
      assert.deepEqual(summary, { moved: 2, skipped: 0, bytes: 2 * 1024 * 1024 + 3 + 1000 });
      assert.deepEqual(await Deno.readFile(`${root}/incoming/up.bin`), await Deno.readFile(local));
      const info = await Deno.stat(`${root}/incoming/up.bin`);
      assert.equal(info.mtime?.getTime(), 1_500_000_000_000);
      assert.equal((info.mode ?? 0) & 0o777, 0o600);
      assert.deepEqual((await client.upload([local], { folder: "incoming" })).skipped, 1);
    });

    await t.step("an interrupted upload leaves no file, and resumes", async () => {
      const local = `${here}/big.bin`;
      const bytes = pattern(3 * 1024 * 1024, 11);
      await Deno.writeFile(local, bytes);
      const info = await Deno.stat(local);
      const sha = await sha256Of(local, Infinity);
      // A client that sends one megabyte and vanishes.
      const quitter = await ctl.getClient();
      await quitter.session.request(FileOp.Put, [
        "incoming/big.bin",
        bytes.length,
        info.mtime!.getTime(),
        info.mode!,
        sha,
        false,
      ]);
      await quitter.session.request(FileOp.Write, [
        "incoming/big.bin",
        0,
        bytes.subarray(0, 1024 * 1024),
      ]);
      quitter.session.close();
      await rejectsWith(() => Deno.stat(`${root}/incoming/big.bin`), Deno.errors.NotFound);
      const summary = await client.upload([local], { folder: "incoming" });
      assert.equal(summary.bytes, 2 * 1024 * 1024, "only the rest moved");
      assert.deepEqual(await Deno.readFile(`${root}/incoming/big.bin`), bytes);
    });

    await t.step("a wrong checksum: no file, the partial removed", async () => {
      await client.session.request(FileOp.Put, [
        "incoming/x.bin",
        3,
        0,
        0o644,
        "0".repeat(64),
        false,
      ]);
      await client.session.request(FileOp.Write, ["incoming/x.bin", 0, new Uint8Array([1, 2, 3])]);
      await rejectsWith(
        () => client.session.request(FileOp.Commit, ["incoming/x.bin"]),
        BadArgument,
        "another checksum",
      );
      await rejectsWith(() => Deno.stat(`${root}/incoming/x.bin`), Deno.errors.NotFound);
      await rejectsWith(
        () => Deno.stat(`${root}/incoming/.x.bin.typenet-partial`),
        Deno.errors.NotFound,
      );
    });

    await t.step("a whole-file read ends with the SHA-256 of what it sent", async () => {
      const items: unknown[] = [];
      for await (const item of client.session.stream(FileOp.Read, ["logs/b.log", 0, null, true])) {
        items.push(item);
      }
      const sha256 = items.pop();
      assert.equal(sha256, await sha256Of(`${root}/logs/b.log`, Infinity));
      const sent = items as Uint8Array[];
      assert.ok(sent.length > 1, "several chunks");
      assert.equal(sent.reduce((n, chunk) => n + chunk.length, 0), logs["b.log"].length);
      const empty: unknown[] = [];
      for await (
        const item of client.session.stream(FileOp.Read, ["logs/sub/d.log", 0, null, true])
      ) {
        empty.push(item);
      }
      assert.deepEqual(empty, [await sha256Of(`${root}/logs/sub/d.log`, Infinity)]);
      // A file that changes while it is read gets no checksum: the read fails, to be done again.
      const reading = client.session.stream(FileOp.Read, ["logs/b.log", 0, null, true], {
        window: 1,
      });
      await reading.next(); // the gateway now waits for credit, mid-file
      await Deno.writeFile(`${root}/logs/b.log`, new Uint8Array(10), { append: true });
      await rejectsWith(
        async () => {
          for await (const _ of reading) { /* the rest, then the failure */ }
        },
        Unavailable,
        "changed while it was being read",
      );
      await Deno.writeFile(`${root}/logs/b.log`, logs["b.log"]);
      const partial = client.session.stream(FileOp.Read, ["logs/b.log", 5, null, true]);
      await rejectsWith(
        async () => {
          for await (const _ of partial) { /* refused before any item */ }
        },
        BadArgument,
        "reads a whole file",
      );
    });

    await t.step("readMany: small files whole with their SHA-256, nil for the rest", async () => {
      const paths = [
        "logs/a.log",
        "logs/b.log", // over 256 KiB: read it on its own
        "../etc/passwd",
        "logs/escape/secret.txt",
        "logs/nothing",
        "logs/sub", // a folder
        "logs/c.txt",
      ];
      const items: unknown[] = [];
      for await (const item of client.session.stream(FileOp.ReadMany, [paths])) items.push(item);
      assert.deepEqual(items, [
        [0, logs["a.log"], await sha256Of(`${root}/logs/a.log`, Infinity)],
        [1, null, null],
        [2, null, null],
        [3, null, null],
        [4, null, null],
        [5, null, null],
        [6, logs["c.txt"], await sha256Of(`${root}/logs/c.txt`, Infinity)],
      ]);
      // A listing gone stale (the file is not the size it said): that file comes on its own.
      const progress = tracker([["logs/a.log", 999]]);
      const stale = {
        source: "logs/a.log",
        local: "stale/a.log",
        size: 999,
        mtimeMs: 0,
        mode: 0o600,
      };
      await downloadBatch(client.session, [stale], here, new LocalIndex(), progress);
      assert.deepEqual(await Deno.readFile(`${here}/stale/a.log`), logs["a.log"]);
      assert.equal(progress.summary().moved, 1);
      const tooMany = client.session.stream(FileOp.ReadMany, [Array(1025).fill("logs/a.log")]);
      await rejectsWith(
        async () => {
          for await (const _ of tooMany) { /* refused */ }
        },
        BadArgument,
        "at most 1024 paths",
      );
    });

    await t.step("nothing outside the shared folder: .., absolute paths, links out", async () => {
      await rejectsWith(
        () => client.download({ paths: ["../etc/passwd"] }),
        BadArgument,
        "outside",
      );
      await rejectsWith(() => client.download({ paths: ["/etc/passwd"] }), BadArgument, "absolute");
      await rejectsWith(() => client.download({ folder: "/etc" }), BadArgument, "absolute");
      await rejectsWith(
        () => client.download({ paths: ["logs/escape/secret.txt"] }),
        BadArgument,
        "outside",
      );
      await rejectsWith(
        () => client.upload([`${here}/a.log`], { folder: "../up" }),
        BadArgument,
        "outside",
      );
      await rejectsWith(
        () =>
          client.session.request(FileOp.Put, [
            "logs/escape/new.txt",
            1,
            0,
            0o644,
            "0".repeat(64),
            false,
          ]),
        BadArgument,
        "outside",
      );
      await rejectsWith(() => Deno.stat(`${outside}/new.txt`), Deno.errors.NotFound);
    });

    await t.step("a swarm spreads many files, and cuts one big file into ranges", async () => {
      await Deno.mkdir(`${root}/many`);
      const many = Array.from({ length: 60 }, (_, k) => pattern(4096 + k, 100 + k));
      for (const [k, bytes] of many.entries()) {
        await Deno.writeFile(`${root}/many/f${k}.bin`, bytes);
      }
      const big = pattern(70 * 1024 * 1024, 7);
      await Deno.writeFile(`${root}/many/big.bin`, big);
      const swarm = await ctl.swarm(3);
      try {
        const summary = await swarm.download({ folder: "many" });
        assert.equal(summary.moved, 61);
        for (const [k, bytes] of many.entries()) {
          assert.deepEqual(await Deno.readFile(`${here}/f${k}.bin`), bytes);
        }
        assert.equal(
          await sha256Of(`${here}/big.bin`, Infinity),
          await sha256Of(`${root}/many/big.bin`, Infinity),
        );
        const up = await swarm.upload(many.map((_, k) => `${here}/f${k}.bin`), { folder: "back" });
        assert.equal(up.moved, 60);
      } finally {
        await swarm.close();
      }
    });
    await client.closeHandler();
  } finally {
    for (const dir of [root, here, outside]) await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a gateway without --root says it shares no folder", async () => {
  await using gateway = await startGateway();
  await using ctl = await Controller.connect(gateway.address);
  const client = await ctl.getClient();
  await rejectsWith(
    () => client.download({ folder: "" }),
    UnsupportedOperation,
    "shares no folder",
  );
  await client.closeHandler();
});
