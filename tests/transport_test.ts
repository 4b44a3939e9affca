/**
 * The transport every role stands on, tested against a real service process
 * (tests/support/stream_service.ts): pipelining, streams (credit, cancellation from either
 * side), pushes, timeouts, typed errors and reconnection.
 */
import assert from "node:assert/strict";
import { rejectsWith } from "./support/assert.ts";
import { connect } from "../lib/net/connect.ts";
import { Connection } from "../lib/net/connection.ts";
import type { Session } from "../lib/net/session.ts";
import {
  BadArgument,
  FrameTooLarge,
  InternalError,
  LimitExceeded,
  ProtocolError,
  TimeoutError,
  Unavailable,
  UnknownOperation,
} from "../lib/wire/errors.ts";
import { type ChildProcess, repoPath, runScript } from "./support/process.ts";
import { freePort, waitFor } from "./support/wait.ts";

interface Service extends ChildProcess {
  address: string;
}

async function startService(port = 0): Promise<Service> {
  const child = runScript(repoPath("tests/support/stream_service.ts"), [String(port)]);
  const match = await child.waitForLine(/^stream service listening on (.+)$/);
  return Object.assign(child, { address: match[1] });
}

async function withSession(
  fn: (session: Session, service: Service) => Promise<void>,
  onPush?: (topic: string, payload: unknown) => void,
): Promise<void> {
  await using service = await startService();
  const session = await connect(service.address, { requestTimeoutMs: 10_000, onPush });
  try {
    await fn(session, service);
  } finally {
    session.close();
    await session.closed;
  }
}

async function record(session: Session, key: string) {
  return await session.request("record", [key]) as {
    produced: number;
    cancelled: boolean;
    finished: boolean;
  };
}

Deno.test("requests are pipelined on one connection and answered out of order", async () => {
  await withSession(async (session) => {
    const order: string[] = [];
    const slow = session.request("delayed", [300, "slow"]).then((v) => order.push(String(v)));
    const fast = session.request("delayed", [0, "fast"]).then((v) => order.push(String(v)));
    await Promise.all([slow, fast]);
    assert.deepEqual(order, ["fast", "slow"]);

    const many = await Promise.all(
      Array.from({ length: 2000 }, (_, i) => session.request("echo", [i])),
    );
    assert.deepEqual(many, Array.from({ length: 2000 }, (_, i) => i));
  });
});

Deno.test("a stream delivers every item in order, then ends", async () => {
  await withSession(async (session) => {
    const items: unknown[] = [];
    for await (const item of session.stream("count", ["all", 1000])) items.push(item);
    assert.deepEqual(items, Array.from({ length: 1000 }, (_, i) => i));
    assert.deepEqual((await record(session, "all")).finished, true);
  });
});

Deno.test("a slow reader holds the producer to the credit it granted", async () => {
  await withSession(async (session) => {
    const stream = session.stream("count", ["slow", 10_000], { window: 4 });
    assert.deepEqual((await stream.next()).value, 0);
    assert.deepEqual((await stream.next()).value, 1);
    // Two consumed of a window of four: the reader granted two more, six in all.
    await waitFor(async () => (await record(session, "slow")).produced === 6);
    await session.request("echo", ["round trip"]);
    assert.deepEqual((await record(session, "slow")).produced, 6);

    let rest = 0;
    for await (const _ of stream) rest++;
    assert.deepEqual(rest, 9_998);
  });
});

Deno.test("a growing window widens with small items, and never past its bounds", async () => {
  await withSession(async (session) => {
    // Items are small integers (~1 byte each counted as 10): 640 bytes ahead is 64 items.
    const grow = { maxWindow: 64, bytesAhead: 640, sizeOf: () => 10 };
    const stream = session.stream("count", ["growing", 10_000], { window: 4, grow });
    for (let k = 0; k < 10; k++) assert.equal((await stream.next()).value, k);
    // At the first grant (2 read of 4) the window grew to 64: 4 + 2 + 60 items granted in all,
    // and no more until 32 more are read (half the new window).
    await waitFor(async () => (await record(session, "growing")).produced === 66);
    await session.request("echo", ["round trip"]);
    assert.equal((await record(session, "growing")).produced, 66);
    await stream.return();
  });
});

Deno.test("breaking out of a stream cancels the producer", async () => {
  await withSession(async (session) => {
    let seen = 0;
    for await (const _ of session.stream("count", ["broken", 1_000_000])) {
      if (++seen === 5) break;
    }
    await waitFor(async () => (await record(session, "broken")).cancelled);
    assert.ok((await record(session, "broken")).produced < 1_000_000);
    // The connection carries on.
    assert.deepEqual(await session.request("echo", ["still here"]), "still here");
  });
});

Deno.test("a producer waiting for data is stopped by the consumer's cancel", async () => {
  await withSession(async (session) => {
    const stream = session.stream("hang", ["hang"], { timeoutMs: 0 });
    assert.deepEqual((await stream.next()).value, "first");
    await stream.return();
    await waitFor(async () => (await record(session, "hang")).cancelled);
  });
});

Deno.test("a producer that fails ends the stream with its typed error", async () => {
  await withSession(async (session) => {
    const items: unknown[] = [];
    await rejectsWith(
      async () => {
        for await (const item of session.stream("failAfter", [3])) items.push(item);
      },
      BadArgument,
      "failing after 3 items",
    );
    assert.deepEqual(items, [0, 1, 2]);
  });
});

Deno.test("pushes arrive without being asked for", async () => {
  const pushed: [string, unknown][] = [];
  await withSession(async (session) => {
    assert.deepEqual(await session.request("pushMe", ["news", 3]), 3);
    assert.deepEqual(pushed, [["news", 0], ["news", 1], ["news", 2]]);
  }, (topic, payload) => pushed.push([topic, payload]));
});

Deno.test("a request with no answer fails with TimeoutError naming the server", async () => {
  await withSession(async (session, service) => {
    await rejectsWith(
      () => session.request("never", [], { timeoutMs: 200 }),
      TimeoutError,
      `${service.address} did not answer never within 200 ms`,
    );
    assert.deepEqual(await session.request("echo", [1]), 1);
  });
});

Deno.test("unknown operations and crashing handlers fail only that call", async () => {
  await withSession(async (session) => {
    await rejectsWith(() => session.request("nope", []), UnknownOperation, "'nope'");
    await rejectsWith(() => session.request("toString", []), UnknownOperation);
    await rejectsWith(async () => {
      for await (const _ of session.stream("nope", [])) { /* nothing */ }
    }, UnknownOperation);
    await rejectsWith(() => session.request("crash", []), InternalError, "deliberate crash");
    assert.deepEqual(await session.request("echo", ["ok"]), "ok");
  });
});

Deno.test("a message over the server's frame limit is refused before it is sent", async () => {
  await withSession(async (session) => {
    await rejectsWith(
      () => session.request("echo", [new Uint8Array(100_000)]),
      FrameTooLarge,
      "frame limit of 65536 bytes",
    );
    assert.deepEqual(await session.request("echo", ["ok"]), "ok");
  });
});

Deno.test("nothing listening: Unavailable names the address", async () => {
  const address = `127.0.0.1:${await freePort()}`;
  await rejectsWith(() => connect(address), Unavailable, `${address} is unavailable`);
});

Deno.test("a Connection reconnects by itself after the server restarts", async () => {
  const port = await freePort();
  const first = await startService(port);
  const link = new Connection(first.address, { requestTimeoutMs: 5_000 });
  try {
    assert.deepEqual(await link.request("echo", ["before"]), "before");
    assert.deepEqual(await link.request("exit", []), "bye");
    await first.status;
    await first.stop();
    await rejectsWith(() => link.request("echo", ["down"]), Unavailable, first.address);

    await using second = await startService(port);
    assert.deepEqual(await link.request("echo", ["after"]), "after");
    assert.deepEqual(second.address, first.address);
  } finally {
    link.close();
    await link.idle();
  }
});

Deno.test("past maxInFlight the server pauses reading; everything still completes", async () => {
  await withSession(async (session) => {
    // The service allows 2 pending answers per connection; 6 are sent at once, and a stream
    // runs beside them.
    const slow = Array.from({ length: 6 }, (_, i) => session.request("delayed", [50, i]));
    const items: unknown[] = [];
    for await (const item of session.stream("count", ["beside", 100], { window: 2 })) {
      items.push(item);
    }
    assert.deepEqual(await Promise.all(slow), [0, 1, 2, 3, 4, 5]);
    assert.equal(items.length, 100);
  });
});

Deno.test("one stream past maxStreams is refused with LIMIT; closing one makes room", async () => {
  await withSession(async (session) => {
    const open = Array.from({ length: 4 }, (_, i) => session.stream("hang", [`open-${i}`]));
    for (const stream of open) assert.equal((await stream.next()).value, "first");
    const extra = session.stream("hang", ["extra"]);
    await rejectsWith(() => extra.next(), LimitExceeded, "too many open streams");
    await open[0].return();
    await waitFor(async () => (await record(session, "open-0")).cancelled);
    const again = session.stream("hang", ["again"]);
    assert.equal((await again.next()).value, "first");
    await again.return();
    for (const stream of open.slice(1)) await stream.return();
  });
});

Deno.test("something that is not a typenet server is named as such", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const answering = (async () => {
    const conn = await listener.accept();
    await conn.write(new TextEncoder().encode("HTTP/1.1 400 Bad Request\r\n\r\n"));
    conn.close();
  })();
  const address = `127.0.0.1:${listener.addr.port}`;
  try {
    await rejectsWith(() => connect(address), ProtocolError, `${address} is not a typenet server`);
  } finally {
    await answering;
    listener.close();
  }
});
