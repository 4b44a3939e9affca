/** Packets are cut to fit the peer's frame limit, the sender's own record first. */
import assert from "node:assert/strict";
import { fitted } from "../lib/cluster/packet_links.ts";
import { decodePacket, type MemberRecord } from "../lib/wire/cluster_protocol.ts";

const record = (k: number): MemberRecord => ({
  id: `member-${k}`,
  name: `a rather long name for member number ${k}`,
  address: `127.0.0.1:${1000 + k}`,
  type: "ValueNode",
  incarnation: k,
  state: "alive",
});

Deno.test("a view too big for the peer goes out in part; small packets are untouched", () => {
  const members = Array.from({ length: 3000 }, (_, k) => record(k));
  const sync = decodePacket(
    fitted({ type: "sync", from: "member-0", reply: false, members }, 65_536),
  );
  assert.equal(sync.type, "sync");
  if (sync.type !== "sync") return;
  assert.ok(sync.members.length < 3000 && sync.members.length > 100, `${sync.members.length}`);
  assert.deepEqual(sync.members[0], record(0));
  const gossip = { type: "gossip" as const, from: "member-1", updates: [record(1), record(2)] };
  assert.deepEqual(decodePacket(fitted(gossip, 65_536)), gossip);
});
