/**
 * The transport fuzzer against a cluster node's port for ~15 s with a fresh seed each run
 * (printed): garbage, broken hellos and messages, random node operations and membership
 * packets (valid ones about made-up members among them), floods — while a node in this process
 * keeps requesting and emitting and checks every answer.
 *
 * Environment: TYPENET_FUZZ_SEED, TYPENET_FUZZ_CASE, TYPENET_FUZZ_MS (default 15,000).
 */
import assert from "node:assert/strict";
import { Node } from "../mod.ts";
import {
  encodePacket,
  type MemberRecord,
  NodeOp,
  type Packet,
  SWIM_TOPIC,
} from "../lib/wire/cluster_protocol.ts";
import { encodeValue } from "../lib/wire/codec.ts";
import { startEventNode } from "./support/nodes.ts";
import { describeReport, fuzz } from "./support/fuzzer.ts";

const seed = Number(
  Deno.env.get("TYPENET_FUZZ_SEED") ?? crypto.getRandomValues(new Uint32Array(1))[0],
);
const only = Deno.env.get("TYPENET_FUZZ_CASE");
const durationMs = Number(Deno.env.get("TYPENET_FUZZ_MS") ?? 15_000);

Deno.test(`fuzzing a cluster node (seed ${seed})`, async () => {
  console.log(`fuzz seed ${seed}${only ? `, case ${only}` : ""}`);
  await using target = await startEventNode();
  const driver = await Node.start({ port: 0, join: target.address });
  try {
    let round = 0;
    const goodClient = async () => {
      round++;
      assert.equal(await driver.request(target.id, "sum", [round, 1, 2]), round + 3);
      const { delivered } = await driver.emit("greeting", { round });
      assert.ok(delivered.includes(target.id), `round ${round}: ${JSON.stringify(delivered)}`);
      assert.equal(driver.member(target.id)?.state, "alive");
    };
    // Well-formed packets about made-up members on closed ports, and about the real ones.
    const fake = (k: number, state: MemberRecord["state"]): MemberRecord => ({
      id: `fake${k}`,
      name: `fake${k}`,
      address: `127.0.0.1:${k + 1}`,
      type: "Node",
      incarnation: k,
      state,
    });
    const packets: Packet[] = [
      { type: "gossip", from: "fake1", updates: [fake(1, "alive"), fake(2, "suspect")] },
      { type: "sync", from: "fake3", reply: false, members: [fake(3, "alive")] },
      {
        type: "ping",
        seq: 1,
        from: "fake4",
        replyTo: "127.0.0.1:5",
        target: target.id,
        updates: [],
      },
      { type: "ack", seq: 99, from: "fake5", updates: [fake(5, "dead")] },
      { type: "nack", seq: 7, from: "fake6", refused: true, updates: [] },
      {
        type: "ping-req",
        seq: 2,
        from: "fake7",
        replyTo: "127.0.0.1:8",
        target: "fake9",
        targetAddress: "127.0.0.1:10",
        updates: [],
      },
    ];
    const report = await fuzz({
      target: {
        address: target.address,
        maxFrameBytes: 16 * 1024 * 1024,
        requestOps: Object.values(NodeOp).filter((op) => op !== NodeOp.Listen),
        streamOps: [NodeOp.Listen],
        names: ["greeting", "sum", "value.set", "member-join"],
        samples: [
          encodeValue([1, 2]),
          encodeValue({ hello: "world" }),
          target.id,
          "request",
          "emit",
          fake(11, "alive"),
        ],
        pushes: [{ topic: SWIM_TOPIC, payloads: packets.map((p) => encodePacket(p)) }],
      },
      pid: target.pid,
      seed,
      durationMs,
      only: only === undefined ? undefined : Number(only),
      goodClient,
      command: "deno test -A tests/fuzz_cluster_node_test.ts",
    });
    console.log(describeReport(report, "node"));
    assert.ok(report.cases > 0 && report.goodRounds > 0);
  } finally {
    await driver.stop();
  }
});
