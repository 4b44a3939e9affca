/**
 * Bad input against a real list server: each offender gets a clear error or is disconnected,
 * the server stays up, other clients carry on, and nothing acknowledged is lost.
 */
import assert from "node:assert/strict";
import { List } from "../mod.ts";
import { Kind } from "../lib/wire/messages.ts";
import { ListOp } from "../lib/wire/list_protocol.ts";
import { startServers, uniqueName } from "./support/cluster.ts";
import { RawClient } from "./support/raw_client.ts";
import { waitFor } from "./support/wait.ts";

const HANDSHAKE_MS = 500;

/** Expect `[ERROR, id, code, …]` whose message contains `includes`. */
function assertError(frame: unknown[] | null, id: number, code: string, includes = ""): void {
  assert.ok(frame !== null, `expected ${code}, but the connection closed`);
  assert.equal(frame[0], Kind.Error, `expected an ERROR frame, got ${JSON.stringify(frame)}`);
  assert.equal(frame[1], id);
  assert.equal(frame[2], code, `message: ${frame[3]}`);
  assert.ok(String(frame[3]).includes(includes), `${frame[3]} should contain ${includes}`);
}

Deno.test("bad input never takes the list server down", async (t) => {
  await using servers = await startServers(1, [
    "--handshake-timeout-ms",
    String(HANDSHAKE_MS),
    "--max-connections",
    "8",
  ]);
  const [address] = servers.addresses;
  const witnessName = uniqueName("witness");
  await using witness = await List.open(witnessName, { nodes: [address], partitionSize: 4 });
  const acknowledged = Array.from({ length: 50 }, (_, i) => ({ i }));
  await witness.extend(acknowledged);

  /** After each case: the server answers, and every acknowledged item is still there. */
  const stillServing = async () => {
    assert.deepEqual(await witness.toArray(), acknowledged);
    assert.equal(servers.processes[0].stderr.some((l) => /panic|uncaught/i.test(l)), false);
  };

  /** A raw connection that has said hello. */
  const greeted = async () => {
    const raw = await RawClient.connect(address);
    const welcome = await raw.hello();
    assert.equal(welcome?.[0], Kind.Welcome);
    return raw;
  };

  await t.step("garbage bytes: an error frame, then the connection closes", async () => {
    await using raw = await RawClient.connect(address);
    await raw.write(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: typenet\r\n\r\n"));
    assertError(await raw.read(), 0, "FRAME_TOO_LARGE", "exceeds the limit of 65536");
    assert.equal(await raw.read(), null);
    await stillServing();
  });

  await t.step("a frame that is not msgpack: PROTOCOL, then closed", async () => {
    await using raw = await RawClient.connect(address);
    await raw.write(new Uint8Array([0, 0, 0, 3, 0xc1, 0xc1, 0xc1]));
    assertError(await raw.read(), 0, "PROTOCOL", "malformed message");
    assert.equal(await raw.read(), null);
    await stillServing();
  });

  await t.step("a truncated frame, then the client leaves", async () => {
    await using raw = await greeted();
    await raw.write(new Uint8Array([0, 0, 0, 100, 0x94, 2, 1]));
    await raw.closeWrite();
    assertError(await raw.read(), 0, "PROTOCOL", "middle of a frame");
    assert.equal(await raw.read(), null);
    await stillServing();
  });

  await t.step(
    "a client that connects and sends nothing is closed after the deadline",
    async () => {
      await using silent = await RawClient.connect(address);
      await using partial = await RawClient.connect(address);
      await partial.write(new Uint8Array([0, 0, 0, 40, 0x92]));
      // Others carry on while they hang.
      await stillServing();
      assertError(await silent.read(), 0, "TIMEOUT", `no hello within ${HANDSHAKE_MS} ms`);
      assert.equal(await silent.read(), null);
      assertError(await partial.read(), 0, "TIMEOUT");
      await stillServing();
    },
  );

  await t.step("a frame over the limit after the hello: FRAME_TOO_LARGE, closed", async () => {
    await using raw = await greeted();
    await raw.write(new Uint8Array([1, 16, 0, 0])); // announces 16 MiB + 1 MiB
    assertError(await raw.read(), 0, "FRAME_TOO_LARGE", "exceeds the limit of 16777216");
    assert.equal(await raw.read(), null);
    await stillServing();
  });

  await t.step("a wrong protocol version is refused, naming both versions", async () => {
    await using raw = await RawClient.connect(address);
    const answer = await raw.hello({ version: 99 });
    assertError(
      answer,
      0,
      "VERSION_MISMATCH",
      "client speaks protocol 99, this server speaks protocol 2",
    );
    assert.equal(await raw.read(), null);
    await stillServing();
  });

  await t.step("a hello with the wrong magic, or a request before the hello", async () => {
    await using wrongMagic = await RawClient.connect(address);
    assertError(await wrongMagic.hello({ magic: "redis" }), 0, "PROTOCOL", "typenet hello");
    await using noHello = await RawClient.connect(address);
    await noHello.send([Kind.Request, 1, "ping", []]);
    assertError(await noHello.read(), 0, "PROTOCOL", "typenet hello");
    await stillServing();
  });

  await t.step("an unknown operation fails that request only", async () => {
    await using raw = await greeted();
    await raw.send([Kind.Request, 1, "list.frobnicate", []]);
    assertError(await raw.read(), 1, "UNKNOWN_OPERATION", "'list.frobnicate'");
    await raw.send([Kind.Request, 3, "__proto__", []]);
    assertError(await raw.read(), 3, "UNKNOWN_OPERATION");
    await raw.send([Kind.Stream, 5, "list.frobnicate", [], 4]);
    assertError(await raw.read(), 5, "UNKNOWN_OPERATION");
    await raw.send([Kind.Request, 7, "ping", []]);
    assert.deepEqual(await raw.read(), [Kind.Response, 7, "pong"]);
    await stillServing();
  });

  await t.step("wrong argument types are BAD_ARGUMENT, naming the argument", async () => {
    await using raw = await greeted();
    const cases: [string, unknown[], string][] = [
      [ListOp.Append, [5, [new Uint8Array([1]), [1]]], "name must be a non-empty string"],
      [ListOp.Append, [witnessName, "x"], "values must be a value batch [bytes, lengths]"],
      [ListOp.Append, [witnessName, [[1, 2], [1, 1]]], "values must be a value batch"],
      [ListOp.Append, [witnessName, [new Uint8Array([1, 2]), [1]]], "add up to 1, but there are 2"],
      [ListOp.Append, [witnessName, [new Uint8Array([1, 2]), [0, 2]]], "positive integer"],
      [ListOp.Append, [witnessName, [new Uint8Array(0), []]], "at least one value"],
      [ListOp.Append, [witnessName], "takes 2 argument(s)"],
      [ListOp.Get, [witnessName, "3"], "index must be an integer, got string"],
      [ListOp.Get, [witnessName, 1.5], "index must be an integer"],
      [ListOp.Get, [witnessName, 2 ** 60], "index must be an integer"],
      [ListOp.Set, [witnessName, 0, "not bytes"], "value must be bytes"],
      [ListOp.Open, ["x", { nodes: "a" }, 0], "nodes must be a non-empty array"],
      [ListOp.Open, ["x", { nodes: [address], partitionSize: -1 }, 0], "partitionSize"],
      [ListOp.Open, ["x", { nodes: [address], partitionSize: 5 }, 3], "node index 3"],
      [ListOp.Find, [witnessName, "x", 10], "value must be bytes"],
      [ListOp.Insert, [witnessName, "1", new Uint8Array([1])], "index must be an integer"],
      [ListOp.Insert, [witnessName, 0, "x"], "value must be bytes"],
      [ListOp.Insert, [witnessName, 0], "takes 3 argument(s)"],
      [ListOp.Pop, [witnessName, 1.5], "index must be an integer"],
      [ListOp.Delete, [witnessName, "0"], "index must be an integer"],
      [ListOp.Remove, [witnessName], "takes 2 argument(s)"],
      [ListOp.Remove, [witnessName, 7], "value must be bytes"],
      [ListOp.Reverse, [witnessName, true], "takes 1 argument(s)"],
      [ListOp.Clear, [witnessName, 0], "takes 1 argument(s)"],
      [ListOp.Sort, [witnessName, "yes"], "descending must be a boolean"],
      [ListOp.Sort, [witnessName], "takes 2 argument(s)"],
    ];
    let id = 1;
    for (const [op, args, message] of cases) {
      await raw.send([Kind.Request, id, op, args]);
      assertError(await raw.read(), id, "BAD_ARGUMENT", message);
      id += 2;
    }
    await raw.send([Kind.Stream, id, ListOp.Range, [witnessName, 0, 10, 0], 4]);
    assertError(await raw.read(), id, "BAD_ARGUMENT", "step must not be zero");
    await stillServing();
  });

  await t.step("huge and negative indexes are IndexError; unknown lists NOT_FOUND", async () => {
    await using raw = await greeted();
    await raw.send([Kind.Request, 1, ListOp.Get, [witnessName, 2 ** 52]]);
    assertError(await raw.read(), 1, "INDEX_OUT_OF_RANGE");
    await raw.send([Kind.Request, 3, ListOp.Get, [witnessName, -(2 ** 52)]]);
    assertError(await raw.read(), 3, "INDEX_OUT_OF_RANGE");
    await raw.send([Kind.Request, 5, ListOp.Length, ["no-such-list"]]);
    assertError(await raw.read(), 5, "NOT_FOUND", "'no-such-list' is not open");
    await stillServing();
  });

  await t.step("server-to-server operations are refused on a client connection", async () => {
    await using raw = await greeted();
    await raw.send([Kind.Request, 1, ListOp.Take, [witnessName, 49]]);
    assertError(await raw.read(), 1, "UNSUPPORTED", "for list servers");
    await raw.send([Kind.Request, 3, ListOp.Store, [witnessName, 10_000_000, [
      new Uint8Array([1]),
      [1],
    ]]]);
    assertError(await raw.read(), 3, "UNSUPPORTED");
    await raw.send([Kind.Request, 5, ListOp.Truncate, [witnessName, 0]]);
    assertError(await raw.read(), 5, "UNSUPPORTED");
    const rewriteSteps: [string, unknown[]][] = [
      [ListOp.Move, [witnessName, 1, ["reverse", 50]]],
      [ListOp.Stage, [witnessName, 1, []]],
      [ListOp.Commit, [witnessName, 1, 0, 0]],
      [ListOp.Abort, [witnessName, 1]],
      [ListOp.SortPrepare, [witnessName, 1, 50, false]],
      [ListOp.SortProbe, [witnessName, 1, []]],
    ];
    let id = 7;
    for (const [op, args] of rewriteSteps) {
      await raw.send([Kind.Request, id, op, args]);
      assertError(await raw.read(), id, "UNSUPPORTED", "for list servers");
      id += 2;
    }
    await stillServing();
  });

  await t.step("an error longer than the client's frame limit is cut, not fatal", async () => {
    await using raw = await RawClient.connect(address);
    const welcome = await raw.hello({ maxFrameBytes: 1024 });
    assert.equal(welcome?.[0], Kind.Welcome);
    await raw.send(["x".repeat(2000)]);
    const error = await raw.read();
    assertError(error, 0, "PROTOCOL", "unknown message kind");
    assert.ok(String(error![3]).length < 1024);
    assert.equal(await raw.read(), null);
    await stillServing();
  });

  await t.step("a range with absurd bounds is answered at once", async () => {
    await using raw = await greeted();
    await raw.send([Kind.Stream, 1, ListOp.Range, [witnessName, 1, Number.MAX_SAFE_INTEGER, 2], 4]);
    let frame = await raw.read();
    const items: unknown[] = [];
    while (frame?.[0] === Kind.Item) {
      items.push(frame[2]);
      await raw.send([Kind.Credit, 1, 1]);
      frame = await raw.read();
    }
    assert.deepEqual(frame, [Kind.End, 1]);
    await raw.send([
      Kind.Stream,
      3,
      ListOp.Range,
      [witnessName, Number.MAX_SAFE_INTEGER, -1, -3],
      4,
    ]);
    assert.deepEqual(await raw.read(), [Kind.End, 3]);
    await stillServing();
  });

  await t.step("a client calling itself a peer still cannot change a list's home", async () => {
    await using raw = await RawClient.connect(address);
    assert.equal((await raw.hello({ role: "peer" }))?.[0], Kind.Welcome);
    await raw.send([Kind.Request, 1, ListOp.Truncate, [witnessName, 0]]);
    assertError(await raw.read(), 1, "UNSUPPORTED", "never sent to a list's home");
    await raw.send([Kind.Request, 3, ListOp.Take, [witnessName, 49]]);
    assertError(await raw.read(), 3, "UNSUPPORTED");
    await stillServing();
  });

  await t.step("request id 0 or the wrong parity is a protocol error", async () => {
    await using zero = await greeted();
    await zero.send([Kind.Request, 0, "ping", []]);
    assertError(await zero.read(), 0, "PROTOCOL", "request id 0");
    assert.equal(await zero.read(), null);
    await using even = await greeted();
    await even.send([Kind.Request, 2, "ping", []]);
    assertError(await even.read(), 0, "PROTOCOL", "odd ids");
    await stillServing();
  });

  await t.step("connections beyond the limit are told LIMIT; the limit frees up", async () => {
    const held: RawClient[] = [];
    try {
      // The witness List holds one connection; fill the other seven.
      for (let i = 0; i < 7; i++) held.push(await greeted());
      await using extra = await RawClient.connect(address);
      assertError(await extra.read(), 0, "LIMIT", "too many connections (limit 8)");
      held.pop()!.close();
      await waitFor(async () => {
        await using retry = await RawClient.connect(address);
        return (await retry.hello())?.[0] === Kind.Welcome;
      }, { what: "a connection admitted once one closed" });
    } finally {
      for (const raw of held) raw.close();
    }
    await stillServing();
  });

  assert.equal(await witness.length(), acknowledged.length);
});

Deno.test("a client that never reads its answers is cut off before they pile up", async () => {
  // The home answers these reads by asking the other server, so they are read faster than
  // they are answered: the answers pile up unwritten, past the pause and past the cap.
  await using servers = await startServers(2, ["--max-frame-bytes", "65536"]);
  const name = uniqueName("unread");
  await using li = await List.open(name, { nodes: servers.addresses, partitionSize: 1 });
  await li.push("home", "x".repeat(60_000));

  await using raw = await RawClient.connect(servers.addresses[0]);
  assert.equal((await raw.hello())?.[0], Kind.Welcome);
  await raw.send([Kind.Request, 1, ListOp.Open, [name, li.layout, 0]]);
  try {
    for (let id = 3; id < 603; id += 2) await raw.send([Kind.Request, id, ListOp.Get, [name, -1]]);
  } catch (error) {
    // The server may cut us off before we finish sending: that is the point.
    if (
      !(error instanceof Deno.errors.ConnectionReset || error instanceof Deno.errors.BrokenPipe)
    ) {
      throw error;
    }
  }
  await waitFor(() => servers.processes[0].stderr.some((l) => l.includes("answers unread")), {
    what: "the server closing the connection",
  });
  while (await raw.read() !== null) { /* drain what was sent before the cut */ }
  assert.equal(String(await li.at(1)).length, 60_000);
});
