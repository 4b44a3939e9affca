/**
 * The transport fuzzer against a gateway's port for ~15 s with a fresh seed each run (printed):
 * garbage, broken hellos and messages, random gateway and file operations with made-up handler
 * numbers, subroutine names and paths (traversals among them), floods — while a client in this
 * process keeps calling, streaming and reading files and checks every answer.
 *
 * `gw.close` is left out: it stops the gateway, and until tokens guard it anyone may send it.
 *
 * Environment: TYPENET_FUZZ_SEED, TYPENET_FUZZ_CASE, TYPENET_FUZZ_MS (default 15,000).
 */
import assert from "node:assert/strict";
import { Controller } from "../mod.ts";
import { FileOp, GatewayOp } from "../lib/wire/gateway_protocol.ts";
import { encodeValue } from "../lib/wire/codec.ts";
import { startGateway } from "./support/gateway.ts";
import { describeReport, fuzz } from "./support/fuzzer.ts";

const seed = Number(
  Deno.env.get("TYPENET_FUZZ_SEED") ?? crypto.getRandomValues(new Uint32Array(1))[0],
);
const only = Deno.env.get("TYPENET_FUZZ_CASE");
const durationMs = Number(Deno.env.get("TYPENET_FUZZ_MS") ?? 15_000);

Deno.test(`fuzzing a gateway (seed ${seed})`, async () => {
  console.log(`fuzz seed ${seed}${only ? `, case ${only}` : ""}`);
  const root = await Deno.makeTempDir({ prefix: "typenet-fuzz-root-" });
  try {
    await Deno.mkdir(`${root}/logs`);
    const logBytes = new Uint8Array(300_000).map((_, k) => k * 7);
    await Deno.writeFile(`${root}/logs/a.log`, logBytes);
    await Deno.writeTextFile(`${root}/logs/b.txt`, "b");
    await using gateway = await startGateway({
      root,
      extra: ["--pool", "4", "--call-timeout-ms", "2000"],
    });
    const here = await Deno.makeTempDir({ prefix: "typenet-fuzz-here-" });
    await using ctl = await Controller.connect(gateway.address, { downloadDir: here });
    // The good client holds its handler from the start: fuzz cases may take the others.
    const client = await ctl.getClient();
    let round = 0;
    const goodClient = async () => {
      round++;
      assert.equal(await client.batch("sum", [round, 1, 2]), round + 3);
      assert.deepEqual((await client.ping(`hello ${round}`)).echo, `hello ${round}`);
      const idents: number[] = [];
      for await (const [ident] of client.stream("sensor", [3])) idents.push(ident);
      assert.deepEqual(idents, [0, 1, 2]);
      const summary = await client.download({ paths: ["logs/a.log"] });
      assert.equal(summary.moved + summary.skipped, 1);
      assert.deepEqual(await Deno.readFile(`${here}/logs/a.log`), logBytes);
    };
    const report = await fuzz({
      target: {
        address: gateway.address,
        maxFrameBytes: 16 * 1024 * 1024,
        requestOps: [
          ...Object.values(GatewayOp).filter((op) =>
            op !== GatewayOp.Stream && op !== GatewayOp.Close
          ),
          ...Object.values(FileOp).filter((op) => op !== FileOp.Read && op !== FileOp.ReadMany),
        ],
        streamOps: [GatewayOp.Stream, FileOp.Read, FileOp.ReadMany],
        names: ["sum", "sensor", "camera", "echo", "fail", "crash", "nothing", "logs/a.log"],
        samples: [
          1,
          2,
          3,
          encodeValue([1, 2]),
          encodeValue({ hello: "world" }),
          "logs",
          "logs/new.bin",
          "../etc/passwd",
          "/etc/passwd",
          "a".repeat(5000),
          "0".repeat(64),
          new Uint8Array(1000),
          ["logs/a.log", "logs/b.txt", "../etc/passwd", "nothing"],
        ],
      },
      pid: gateway.pid,
      seed,
      durationMs,
      only: only === undefined ? undefined : Number(only),
      goodClient,
      command: "deno test -A tests/fuzz_gateway_test.ts",
    });
    console.log(describeReport(report, "gateway"));
    assert.ok(report.cases > 0 && report.goodRounds > 0);
    await client.closeHandler();
    await Deno.remove(here, { recursive: true });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
