/** Where each index lives, and the walks over one node's blocks. */
import assert from "node:assert/strict";
import {
  indexAt,
  localOffset,
  nextOwnedIndex,
  ownerOf,
  previousOwnedIndex,
} from "../lib/wire/list_protocol.ts";

const layouts = [
  { nodes: ["a:1"], partitionSize: 1 },
  { nodes: ["a:1", "b:2"], partitionSize: 100 },
  { nodes: ["a:1", "b:2", "c:3"], partitionSize: 7 },
  { nodes: ["a:1", "b:2", "c:3", "d:4"], partitionSize: 1 },
];

Deno.test("block b lives on nodes[b % n], and each node's items are packed in order", () => {
  for (const layout of layouts) {
    const n = layout.nodes.length;
    const nextOffset = layout.nodes.map(() => 0);
    for (let i = 0; i < 500; i++) {
      const owner = ownerOf(layout, i);
      assert.equal(owner, Math.floor(i / layout.partitionSize) % n);
      // Offsets on a node are 0, 1, 2, … in index order: no gaps, no reuse.
      assert.equal(localOffset(layout, i), nextOffset[owner]++);
    }
  }
});

Deno.test("10,000 items in blocks of 100 on two nodes: 5,000 each", () => {
  const layout = layouts[1];
  const counts = [0, 0];
  for (let i = 0; i < 10_000; i++) counts[ownerOf(layout, i)]++;
  assert.deepEqual(counts, [5000, 5000]);
});

Deno.test("next and previous owned index agree with a plain scan", () => {
  for (const layout of layouts) {
    layout.nodes.forEach((_, self) => {
      for (let i = 0; i < 200; i++) {
        let next = i;
        while (ownerOf(layout, next) !== self) next++;
        assert.equal(nextOwnedIndex(layout, self, i), next);
        let previous = i;
        while (previous >= 0 && ownerOf(layout, previous) !== self) previous--;
        assert.equal(previousOwnedIndex(layout, self, i), previous);
      }
    });
  }
});

Deno.test("indexAt undoes localOffset", () => {
  for (const layout of layouts) {
    for (let i = 0; i < 300; i++) {
      assert.equal(indexAt(layout, ownerOf(layout, i), localOffset(layout, i)), i);
    }
  }
});
