/**
 * `typenet get`, `typenet put` and `typenet call` as a person or a script runs them, against a
 * real gateway process: plain lines when not on a terminal, JSON lines with --json, exit codes.
 */
import assert from "node:assert/strict";
import { startGateway } from "./support/gateway.ts";
import { repoPath, runScript } from "./support/process.ts";

async function typenet(dir: string, ...args: string[]) {
  await using child = runScript(repoPath("cli.ts"), args, {
    permissions: ["--allow-net=127.0.0.1", `--allow-read`, `--allow-write=${dir}`],
    cwd: dir,
  });
  const status = await child.status;
  await child.stop();
  return { code: status.code, stdout: child.stdout, stderr: child.stderr };
}

Deno.test("typenet get, put and call against a gateway", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "typenet-root-" });
  const here = await Deno.makeTempDir({ prefix: "typenet-here-" });
  try {
    await Deno.mkdir(`${root}/logs`);
    await Deno.writeTextFile(`${root}/logs/a.log`, "a".repeat(5000));
    await Deno.writeTextFile(`${root}/logs/b.log`, "b".repeat(3000));
    await Deno.writeTextFile(`${root}/logs/c.txt`, "c");
    await using gateway = await startGateway({ root });
    const address = gateway.address;

    await t.step("get a folder by regex: a line per file, then the summary", async () => {
      const got = await typenet(
        here,
        "get",
        address,
        "--folder",
        "logs",
        "--regex",
        "\\.log$",
        "--to",
        "backup",
      );
      assert.equal(got.code, 0, got.stderr.join("\n"));
      assert.deepEqual(got.stdout, ["downloaded 2 file(s), 8000 bytes; 0 already identical"]);
      assert.ok(
        got.stderr.some((l) => /^2\/2 files, 8000 of 8000 bytes/.test(l)),
        got.stderr.join("\n"),
      );
      assert.equal(await Deno.readTextFile(`${here}/backup/a.log`), "a".repeat(5000));
      assert.equal(await Deno.readTextFile(`${here}/backup/b.log`), "b".repeat(3000));
      await assert.rejects(() => Deno.stat(`${here}/backup/c.txt`), Deno.errors.NotFound);
    });

    await t.step(
      "--json: progress events and a done event; identical files are skipped",
      async () => {
        const got = await typenet(
          here,
          "get",
          address,
          "--folder",
          "logs",
          "--to",
          "backup",
          "--json",
          "--connections",
          "2",
        );
        assert.equal(got.code, 0, got.stderr.join("\n"));
        const events = got.stdout.map((line) => JSON.parse(line));
        const done = events.at(-1);
        assert.equal(done.event, "done");
        assert.deepEqual([done.moved, done.skipped], [1, 2]);
        assert.ok(events.slice(0, -1).every((e) => e.event === "progress" && e.totalFiles === 3));
      },
    );

    await t.step("put files into a folder, over two connections", async () => {
      await Deno.writeTextFile(`${here}/one.txt`, "one");
      await Deno.writeFile(`${here}/two.bin`, new Uint8Array(70_000).fill(2));
      const put = await typenet(
        here,
        "put",
        address,
        "one.txt",
        "two.bin",
        "--folder",
        "incoming",
        "--connections",
        "2",
      );
      assert.equal(put.code, 0, put.stderr.join("\n"));
      assert.deepEqual(put.stdout, ["uploaded 2 file(s), 70003 bytes; 0 already identical"]);
      assert.equal(await Deno.readTextFile(`${root}/incoming/one.txt`), "one");
      assert.equal((await Deno.stat(`${root}/incoming/two.bin`)).size, 70_000);
    });

    await t.step("call: a result as JSON, a stream as IDENT JSON lines", async () => {
      const sum = await typenet(here, "call", address, "sum", "1", "2", "3.5");
      assert.equal(sum.code, 0, sum.stderr.join("\n"));
      assert.deepEqual(sum.stdout, ["6.5"]);
      const echo = await typenet(here, "call", address, "echo", '{"a":[1,"x"]}');
      assert.deepEqual(echo.stdout, ['{"a":[1,"x"]}']);
      const sensor = await typenet(here, "call", address, "sensor", "3");
      assert.equal(sensor.code, 0, sensor.stderr.join("\n"));
      assert.equal(sensor.stdout.length, 3);
      assert.ok(sensor.stdout[2].startsWith("2 "), sensor.stdout.join("\n"));
    });

    await t.step("failures are one line on stderr and exit 1", async () => {
      const failed = await typenet(here, "call", address, "fail", '"the disk is gone"');
      assert.equal(failed.code, 1);
      assert.deepEqual(failed.stdout, []);
      assert.equal(failed.stderr.length, 1, failed.stderr.join("\n"));
      assert.match(failed.stderr[0], /^typenet: .*RangeError: the disk is gone/);
      const unknown = await typenet(here, "call", address, "nothing");
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr[0], /no subroutine 'nothing'/);
      const outside = await typenet(here, "get", address, "--path", "../etc/passwd");
      assert.equal(outside.code, 1);
      assert.match(outside.stderr.join("\n"), /leads outside the shared folder/);
      const missing = await typenet(here, "put", address, "no-such-file");
      assert.equal(missing.code, 1);
      assert.equal(missing.stderr.length, 1, missing.stderr.join("\n"));
      const nobody = await typenet(here, "call", "127.0.0.1:1", "sum");
      assert.equal(nobody.code, 1);
      assert.equal(nobody.stderr.length, 1, nobody.stderr.join("\n"));
    });

    await t.step("usage mistakes are one line and exit 2", async () => {
      const cases: [string[], string][] = [
        [["get", address], "--folder F"],
        [["get", address, "--folder", "logs", "--path", "x"], "--folder F"],
        [["get", address, "--folder", "logs", "--regex", "("], "not a regular expression"],
        [["get", "nowhere", "--folder", "logs"], "expected HOST:PORT"],
        [["put", address], "at least one file"],
        [["call", address, "sum", "not-json"], "must be JSON"],
        [["call", address], "a subroutine name"],
        [["get", address, "--folder", "x", "--connections", "0"], "--connections"],
      ];
      for (const [args, message] of cases) {
        const result = await typenet(here, ...args);
        assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr.join("\n")}`);
        assert.equal(result.stderr.length, 1, result.stderr.join("\n"));
        assert.ok(result.stderr[0].includes(message), `${result.stderr[0]} should say ${message}`);
      }
    });
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(here, { recursive: true });
  }
});
