/**
 * Bad input on a cluster port: garbage, oversized and truncated frames, forged membership
 * packets, a member that claims another's id, a stale refutation, an event flood. The
 * offender gets a clear error (and is disconnected where it broke the protocol); the node stays
 * up and the cluster carries on.
 */
import assert from "node:assert/strict";
import { Node } from "../mod.ts";
import { encodePacket, NodeOp, SWIM_TOPIC } from "../lib/wire/cluster_protocol.ts";
import { encodeMessageShared, encodeValue } from "../lib/wire/codec.ts";
import { FrameBatch } from "../lib/wire/frame.ts";
import { Kind } from "../lib/wire/messages.ts";
import { startEventNode } from "./support/nodes.ts";
import { RawClient } from "./support/raw_client.ts";
import { LivenessProbe } from "./support/liveness.ts";
import { SimCluster } from "./support/sim_cluster.ts";

Deno.test("a cluster node shrugs off bad input; offenders get clear errors", async (t) => {
  await using target = await startEventNode();
  const friend = await Node.start({ port: 0, join: target.address });
  const probe = await LivenessProbe.start(target.address);
  /** The cluster still works: the friend's request is answered. */
  const stillServing = async () => {
    assert.equal(await friend.request(target.id, "sum", [2, 3]), 5);
    assert.equal(friend.member(target.id)?.state, "alive");
  };
  /** A raw connection that has said hello as a node. */
  const greeted = async () => {
    const raw = await RawClient.connect(target.address);
    assert.equal((await raw.hello({ role: "node" }))?.[0], Kind.Welcome);
    return raw;
  };
  try {
    await t.step("garbage, an oversized header, a truncated frame", async () => {
      for (
        const [bytes, code] of [
          [new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n"), "FRAME_TOO_LARGE"],
          [new Uint8Array([0, 0, 0, 5, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1]), "PROTOCOL"],
        ] as const
      ) {
        await using raw = await RawClient.connect(target.address);
        await raw.write(bytes);
        assert.equal((await raw.read())?.[2], code);
        assert.equal(await raw.read(), null);
      }
      await using raw = await greeted();
      await raw.write(new Uint8Array([0, 0, 0, 50, 0x94]));
      await raw.closeWrite();
      assert.equal((await raw.read())?.[2], "PROTOCOL");
      await stillServing();
    });

    await t.step("forged membership packets: PROTOCOL, and the link is closed", async () => {
      const forged = [
        { not: "a packet" }, // a map, not a bin
        new Uint8Array([0xc1]), // a bin that is not msgpack
        encodeMessageShared({ type: "ping", seq: -1, from: "x" }).slice(), // bad fields
        encodeMessageShared({ type: "gossip", from: "ok", updates: [{ id: "../etc" }] }).slice(),
        encodeMessageShared({ type: "teleport", from: "ok" }).slice(),
      ];
      for (const payload of forged) {
        await using raw = await greeted();
        await raw.send([Kind.Push, SWIM_TOPIC, payload]);
        const answer = await raw.read();
        assert.deepEqual(answer?.slice(0, 3), [Kind.Error, 0, "PROTOCOL"], String(answer?.[3]));
        assert.equal(await raw.read(), null);
      }
      await stillServing();
    });

    await t.step("a member that claims another's id is turned away", async () => {
      await using raw = await greeted();
      const impostor = {
        id: friend.id,
        name: "impostor",
        address: "127.0.0.1:9",
        type: "Node",
        incarnation: 99,
        state: "alive" as const,
      };
      await raw.send([
        Kind.Push,
        SWIM_TOPIC,
        encodePacket({ type: "sync", from: friend.id, reply: false, members: [impostor] }),
      ]);
      const answer = await raw.read();
      assert.deepEqual(answer?.slice(0, 3), [Kind.Error, 0, "PROTOCOL"]);
      assert.match(
        String(answer?.[3]),
        new RegExp(`member id ${friend.id} is in use by ${friend.clusterPort}`),
      );
      assert.equal(await raw.read(), null);
      // Gossip that tries to move a live member elsewhere is ignored.
      await using other = await greeted();
      await other.send([
        Kind.Push,
        SWIM_TOPIC,
        encodePacket({ type: "gossip", from: "someone", updates: [impostor] }),
      ]);
      await other.send([Kind.Request, 1, "ping", []]);
      assert.deepEqual(await other.read(), [Kind.Response, 1, "pong"]);
      await stillServing();
    });

    await t.step(
      "a flood of 20,000 events from one connection does not hold up the others",
      async () => {
        await using raw = await greeted();
        const batch = new FrameBatch();
        for (let k = 0; k < 20_000; k++) {
          batch.add(encodeMessageShared([
            Kind.Request,
            2 * k + 1,
            NodeOp.Event,
            ["greeting", encodeValue(k), "flooder", "emit", k],
          ]));
        }
        await raw.write(batch.take().slice());
        let answered = 0;
        while (answered < 20_000 && (await raw.read())?.[0] === Kind.Response) answered++;
        assert.equal(answered, 20_000);
        await stillServing();
      },
    );

    await t.step("throughout, the node answered every ping at once", async () => {
      const report = await probe.stop();
      assert.deepEqual(report.failures, []);
      assert.ok(report.slowestMs < 1_000, `a ping waited ${report.slowestMs} ms`);
    });
  } finally {
    await friend.stop();
  }
});

Deno.test("a refutation with a stale incarnation does not clear a suspicion", () => {
  const cluster = new SimCluster(6, { seed: 9 });
  cluster.joinAll();
  cluster.clock.runUntilTrue(() => cluster.converged(), 10_000);
  const suspect = cluster.addresses[2];
  cluster.network.partition([suspect]);
  assert.ok(cluster.clock.runUntilTrue(() => cluster.allSee("m2", "suspect", [suspect]), 10_000));
  const observer = cluster.members[0];
  const record = observer.member("m2")!;
  // A forged "alive" at the same incarnation (a real refutation raises it) changes nothing.
  observer.receive({ type: "gossip", from: "m5", updates: [{ ...record, state: "alive" }] });
  assert.equal(observer.member("m2")?.state, "suspect");
  // The real one does.
  observer.receive({
    type: "gossip",
    from: "m2",
    updates: [{ ...record, state: "alive", incarnation: record.incarnation + 1 }],
  });
  assert.equal(observer.member("m2")?.state, "alive");
  cluster.stop();
});
