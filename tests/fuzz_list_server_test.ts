/**
 * The fuzzer against a real list server for ~20 s with a fresh seed each run (printed), while
 * a List client appends, reads and pops and checks every answer.
 *
 * Environment: TYPENET_FUZZ_SEED (replay a run), TYPENET_FUZZ_CASE (replay one case of it),
 * TYPENET_FUZZ_MS (how long; default 20,000).
 */
import assert from "node:assert/strict";
import { List } from "../mod.ts";
import { connect } from "../lib/net/connect.ts";
import { ListOp } from "../lib/wire/list_protocol.ts";
import { startServers, uniqueName } from "./support/cluster.ts";
import { describeReport, fuzz } from "./support/fuzzer.ts";

const seed = Number(
  Deno.env.get("TYPENET_FUZZ_SEED") ?? crypto.getRandomValues(new Uint32Array(1))[0],
);
const only = Deno.env.get("TYPENET_FUZZ_CASE");
const durationMs = Number(Deno.env.get("TYPENET_FUZZ_MS") ?? 20_000);
const UNREACHABLE = "127.0.0.1:1";

Deno.test(`fuzzing a list server (seed ${seed})`, async () => {
  console.log(`fuzz seed ${seed}${only ? `, case ${only}` : ""}`);
  await using servers = await startServers(1);
  const [address] = servers.addresses;
  const names = ["fuzz-a", "fuzz-b", "fuzz-c"];

  // Lists for random operations to work on: one held here alone, one where this server is
  // node 1 of a home that does not exist (so peer operations have something to act on).
  await using home = await List.open(names[0], { nodes: [address], partitionSize: 4 });
  await home.extend(Array.from({ length: 100 }, (_, i) => ({ i })));
  const peer = await connect(address, { role: "peer" });
  const elsewhere = { nodes: [UNREACHABLE, address], partitionSize: 3 };
  await peer.request(ListOp.Open, [names[1], elsewhere, 1]);
  peer.close();

  // The good client: its own list, every answer checked against a model.
  await using good = await List.open(uniqueName("good"), { nodes: [address], partitionSize: 7 });
  const model: unknown[] = [];
  let round = 0;
  const goodClient = async () => {
    const values = Array.from({ length: 20 }, (_, k) => `round ${round} item ${k}`);
    round++;
    await good.extend(values);
    model.push(...values);
    assert.equal(await good.length(), model.length);
    assert.deepEqual(await good.slice(-20), model.slice(-20));
    const i = (round * 7919) % model.length;
    assert.deepEqual(await good.at(i), model[i]);
    assert.deepEqual(await good.pop(), model.pop());
  };

  const report = await fuzz({
    target: {
      address,
      maxFrameBytes: 16 * 1024 * 1024,
      requestOps: Object.values(ListOp).filter((op) => op !== ListOp.Range),
      streamOps: [ListOp.Range],
      names,
      samples: [
        { nodes: [address], partitionSize: 4 },
        elsewhere,
        { nodes: [address, UNREACHABLE], partitionSize: 2 ** 30 },
        { nodes: Array.from({ length: 300 }, (_, k) => `127.0.0.1:${k + 1}`), partitionSize: 1 },
        0,
        1,
        2 ** 30,
      ],
    },
    pid: servers.processes[0].pid,
    seed,
    durationMs,
    only: only === undefined ? undefined : Number(only),
    goodClient,
    command: "deno test -A tests/fuzz_list_server_test.ts",
  });
  console.log(describeReport(report, "server"));
  assert.ok(report.cases > 0 && report.goodRounds > 0);
  // Nothing acknowledged was lost.
  assert.deepEqual(await good.toArray(), model);
});
