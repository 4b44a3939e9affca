/** parseMessage: every kind accepted in its shape, everything else a clear ProtocolError. */
import assert from "node:assert/strict";
import { ProtocolError } from "../lib/wire/errors.ts";
import { Kind, type Message, parseMessage, toWire } from "../lib/wire/messages.ts";
import { rejectsWith } from "./support/assert.ts";

Deno.test("every message kind survives toWire and parseMessage", () => {
  const messages: Message[] = [
    {
      kind: Kind.Hello,
      magic: "typenet",
      version: 1,
      role: "client",
      agent: "t",
      maxFrameBytes: 1024,
    },
    {
      kind: Kind.Welcome,
      version: 1,
      role: "list-server",
      agent: "t",
      maxFrameBytes: 10,
      serverId: "x",
    },
    {
      kind: Kind.Hello,
      magic: "typenet",
      version: 2,
      role: "client",
      agent: "t",
      maxFrameBytes: 1024,
      nonce: new Uint8Array(32).fill(7),
    },
    {
      kind: Kind.Welcome,
      version: 2,
      role: "list-server",
      agent: "t",
      maxFrameBytes: 1024,
      serverId: "x",
      proof: new Uint8Array(32).fill(9),
      access: "admin",
      idleTimeoutMs: 300_000,
    },
    { kind: Kind.Challenge, nonce: new Uint8Array(32).fill(1) },
    { kind: Kind.Proof, proof: new Uint8Array(32).fill(2) },
    { kind: Kind.Request, id: 1, op: "ping", args: [] },
    { kind: Kind.Response, id: 1, result: { a: 1 } },
    { kind: Kind.Error, id: 0, code: "PROTOCOL", message: "bad" },
    { kind: Kind.Stream, id: 3, op: "list.range", args: ["a", 0, 5, 1], credit: 8 },
    { kind: Kind.Item, id: 3, item: [new Uint8Array([1])] },
    { kind: Kind.End, id: 3 },
    { kind: Kind.Credit, id: 3, n: 4 },
    { kind: Kind.Cancel, id: 3 },
    { kind: Kind.Push, topic: "news", payload: 1 },
  ];
  for (const message of messages) assert.deepEqual(parseMessage(toWire(message)), message);
});

Deno.test("malformed messages say what is wrong", async () => {
  const cases: [unknown, string][] = [
    [null, "non-empty array"],
    [[], "non-empty array"],
    [{ kind: 2 }, "non-empty array"],
    [[99], "unknown message kind 99"],
    [["2", 1, "op", []], "unknown message kind"],
    [[Kind.Request, -1, "op", []], "request id"],
    [[Kind.Request, 1.5, "op", []], "request id"],
    [[Kind.Request, 2 ** 31, "op", []], "request id"],
    [[Kind.Request, 1, 5, []], "op must be a string"],
    [[Kind.Request, 1, "op", "args"], "args must be an array"],
    [[Kind.Request, 1, "op"], "REQUEST has 3 elements, expected 4"],
    [[Kind.Stream, 1, "op", [], -1], "credit"],
    [[Kind.Hello, "typenet"], "HELLO body must be a map"],
    [[Kind.Hello, { magic: "typenet", role: "client" }], "HELLO version"],
    [[Kind.Hello, { version: 1, role: "client" }], "HELLO magic"],
    [[Kind.Credit, 1, 1.5], "credit"],
  ];
  for (const [body, message] of cases) {
    await rejectsWith(() => parseMessage(body), ProtocolError, message);
  }
});
