/**
 * The record log on real files: group commit keeps order, a compaction keeps exactly the
 * records appended after its snapshot (none before it, none twice) while appends go on, and
 * reading back tells a torn tail from corruption.
 */
import assert from "node:assert/strict";
import { readRecords, RecordLog } from "../lib/store/record_log.ts";

const bytes = (n: number) => new Uint8Array([n & 0xff, n >> 8]);
const numbers = (records: Uint8Array[]) => records.map((r) => r[0] | r[1] << 8);

/** `always` with every sync off the event loop, as on a slow disk. */
const SLOW_DISK = "always, off the loop";

async function withLog(
  fsync: "always" | "everysec" | "no" | typeof SLOW_DISK,
  body: (log: RecordLog, path: string) => Promise<void>,
) {
  const dir = await Deno.makeTempDir({ prefix: "typenet-log-" });
  const path = `${dir}/log`;
  const file = await Deno.open(path, { create: true, append: true });
  const log = fsync === SLOW_DISK
    ? new RecordLog(file, "always", 0, 0)
    : new RecordLog(file, fsync);
  try {
    await body(log, path);
  } finally {
    await log.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("appends made together are written in order, each answered once durable", async () => {
  for (const fsync of ["always", SLOW_DISK, "everysec"] as const) {
    await withLog(fsync, async (log, path) => {
      // In several turns, each waiting on some of its appends: batches while a sync is under way.
      const answered: Promise<number>[] = [];
      for (let n = 0; n < 500; n++) {
        log.append(bytes(n));
        if (n % 7 === 0) answered.push(log.durable().then(() => n));
        if (n % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
      }
      for (const n of await Promise.all(answered)) {
        // Answered only once that record, and every one before it, is in the file.
        assert.ok(log.size >= (n + 1) * 10, `${fsync}: record ${n} answered before written`);
      }
      await log.durable();
      const contents = readRecords(await Deno.readFile(path));
      assert.deepEqual(numbers(contents.records), Array.from({ length: 500 }, (_, n) => n));
      assert.equal(contents.tornBytes, 0);
    });
  }
});

Deno.test("a compaction keeps the snapshot and exactly what was appended after it", async () => {
  for (const fsync of ["always", SLOW_DISK, "no"] as const) {
    await withLog(fsync, async (log, path) => {
      for (let n = 0; n < 100; n++) log.append(bytes(n));
      // Not yet written when the snapshot is taken: the snapshot must stand for them.
      const snapshot = [bytes(1000), bytes(1001)];
      const compacting = log.compact(snapshot, path, `${path}.compact`);
      for (let n = 100; n < 300; n++) {
        log.append(bytes(n));
        if (n % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
      }
      await compacting;
      for (let n = 300; n < 320; n++) log.append(bytes(n));
      await log.durable();
      const { records } = readRecords(await Deno.readFile(path));
      assert.deepEqual(numbers(records), [
        1000,
        1001,
        ...Array.from({ length: 220 }, (_, k) => 100 + k),
      ]);
    });
  }
});

Deno.test("a torn tail is told from corruption", () => {
  const good = new Uint8Array([2, 0, 0, 0, 0, 0, 0, 0, 7, 7]);
  const view = new DataView(good.buffer);
  view.setUint32(4, zlibCrc(new Uint8Array([7, 7])), true);
  const cases: [Uint8Array, number, number][] = [
    [good, 1, 0],
    [concat(good, new Uint8Array([9, 0, 0])), 1, 3], // half a header
    [concat(good, new Uint8Array([20, 0, 0, 0, 1, 2, 3, 4, 5])), 1, 9], // payload cut short
    [concat(good, new Uint8Array(64)), 1, 64], // zeros where the file grew
    [concat(good, flip(good)), 1, 10], // a bad last record, nothing after it
  ];
  for (const [file, records, torn] of cases) {
    const contents = readRecords(file);
    assert.equal(contents.records.length, records);
    assert.equal(contents.tornBytes, torn);
  }
  assert.throws(() => readRecords(concat(flip(good), good)), /corrupt at byte 0/);
});

/** CRC-32 (IEEE), written out here: the log's checksum, checked independently. */
function zlibCrc(payload: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of payload) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  return new Uint8Array([...a, ...b]);
}

function flip(record: Uint8Array): Uint8Array {
  const copy = record.slice();
  copy[copy.length - 1] ^= 0xff;
  return copy;
}

/** The real file, with every `syncData` taking 5 ms more: a slow disk (an SD card). */
function slowSyncs(file: Deno.FsFile): Deno.FsFile {
  return new Proxy(file, {
    get(target, key) {
      if (key === "syncData") {
        return async () => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          await target.syncData();
        };
      }
      const value = Reflect.get(target, key, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

Deno.test("on a slow disk, a compaction finishes while appends keep coming", async () => {
  const dir = await Deno.makeTempDir({ prefix: "typenet-log-" });
  const path = `${dir}/log`;
  const file = await Deno.open(path, { create: true, append: true });
  const log = new RecordLog(slowSyncs(file), "always", 0, 0);
  try {
    for (let n = 0; n < 10; n++) log.append(bytes(n));
    let compacted = false;
    const compacting = log.compact([bytes(1000)], path, `${path}.compact`).then(() => {
      compacted = true;
    });
    // A steady stream of appends, each in a turn of its own, none waiting for its sync.
    let n = 10;
    const answered: Promise<void>[] = [];
    while (!compacted && n < 3_000) {
      log.append(bytes(n++));
      answered.push(log.durable());
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    assert.ok(compacted, `the compaction waited for the appends to stop (${n} appends)`);
    await compacting;
    await Promise.all(answered);
    const { records } = readRecords(await Deno.readFile(path));
    const numbersAfter = numbers(records);
    assert.equal(numbersAfter[0], 1000);
    // After the snapshot: exactly the appends made after the compaction began, in order.
    assert.deepEqual(numbersAfter.slice(1), Array.from({ length: n - 10 }, (_, k) => 10 + k));
  } finally {
    await log.close();
    await Deno.remove(dir, { recursive: true });
  }
});
