/**
 * The gateway as a real process: subroutines in handler Workers called by a controller's
 * clients — batch calls, buffers, streams with backpressure, `latest`, errors, a stuck call
 * and a crashing Worker replaced, a full pool, and closeGateway.
 */
import assert from "node:assert/strict";
import { Controller } from "../mod.ts";
import {
  BadArgument,
  PoolFullError,
  RemoteError,
  TimeoutError,
  Unavailable,
  UnknownOperation,
} from "../lib/wire/errors.ts";
import { startGateway } from "./support/gateway.ts";
import { AHEAD_ITEMS } from "../lib/gateway/handler_worker_link.ts";
import { rejectsWith } from "./support/assert.ts";
import { waitFor } from "./support/wait.ts";

Deno.test("a gateway runs subroutines for its clients", async (t) => {
  await using gateway = await startGateway({ extra: ["--pool", "2", "--call-timeout-ms", "1000"] });
  assert.equal(gateway.pool, 2);
  await using ctl = await Controller.connect(gateway.address);
  const client = await ctl.getClient();

  await t.step("ping echoes and times the round trip", async () => {
    const { echo, ms } = await client.ping("Hello there..");
    assert.equal(echo, "Hello there..");
    assert.ok(ms >= 0 && ms < 10_000);
  });

  await t.step("batch calls, with module state kept per Worker", async () => {
    assert.equal(await client.batch("mountUsage", [123]), 23);
    assert.equal(await client.batch("sum", [1, 2, 3.5]), 6.5);
    const first = await client.batch("countCalls") as number;
    assert.equal(await client.batch("countCalls"), first + 1);
    const bytes = new Uint8Array([0, 255, 7]);
    assert.deepEqual(await client.batch("echo", [{ bytes, n: 2n ** 60n }]), {
      bytes,
      n: 2n ** 60n,
    });
  });

  await t.step("send hands the subroutine a buffer", async () => {
    const buffer = new Uint8Array(100_000).fill(9);
    assert.deepEqual(await client.send("removeLogs", buffer, ["logs"]), {
      dir: "logs",
      length: 100_000,
      first: 9,
    });
  });

  await t.step("a subroutine that throws is a RemoteError; the handler carries on", async () => {
    await rejectsWith(
      () => client.batch("fail", ["no such mount"]),
      RemoteError,
      "RangeError: no such mount",
    );
    await rejectsWith(() => client.batch("nothing"), UnknownOperation, "no subroutine 'nothing'");
    await rejectsWith(() => client.batch("sensor"), BadArgument, "is a generator");
    assert.equal(await client.batch("sum", [2, 2]), 4);
  });

  await t.step("a stream stops when the reader leaves; its finally runs", async () => {
    const before = await client.batch("sensorStats") as { finished: number };
    let seen = 0;
    for await (const [ident, payload] of client.stream("sensor")) {
      assert.equal(ident, seen);
      assert.deepEqual(payload, new Uint8Array([ident & 255, 1, 2, 3]));
      if (++seen === 40) break;
    }
    await waitFor(async () =>
      (await client.batch("sensorStats") as { finished: number }).finished === before.finished + 1
    );
    const idents: number[] = [];
    for await (const [ident] of client.stream("sensor", [3])) idents.push(ident);
    assert.deepEqual(idents, [0, 1, 2]);
  });

  await t.step("the generator runs only as fast as the reader reads", async () => {
    const start = await client.batch("sensorStats") as { produced: number };
    const stream = client.stream("sensor", [], { window: 4 });
    await stream.next();
    // Whatever time passes, at most the window, the Worker's lead and the item in hand are
    // produced ahead: the count stops growing.
    const produced = async () =>
      (await client.batch("sensorStats") as { produced: number }).produced - start.produced;
    let last = -1;
    await waitFor(async () => {
      const now = await produced();
      const still = now === last;
      last = now;
      return still;
    }, { intervalMs: 100, what: "the generator to stop" });
    assert.ok(last <= 4 + AHEAD_ITEMS + 2, `produced ${last}`);
    await stream.return!(undefined);
  });

  await t.step(
    "callbacks: onData until it returns false, then onEnd; errors to onError",
    async () => {
      const got: number[] = [];
      let ended = false;
      const handle = client.stream("sensor", [], {
        onData: (ident) => {
          got.push(ident);
          return ident < 9;
        },
        onEnd: () => ended = true,
      });
      await handle.done;
      assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      assert.equal(ended, true);
      const errors: Error[] = [];
      const broken = client.stream("brittle", [], {
        onData: () => {},
        onError: (error) => errors.push(error),
      });
      await broken.done;
      assert.ok(errors[0] instanceof RemoteError && errors[0].message.includes("fell off"));
    },
  );

  await t.step(
    "latest: a slow reader gets the newest frame and hears how many it missed",
    async () => {
      let skipped = 0;
      let last = -1;
      let reads = 0;
      for await (const [ident, frame, missed] of client.stream("camera", [1], { latest: true })) {
        assert.equal(frame, `frame ${ident}`);
        assert.ok(ident > last);
        last = ident;
        skipped += missed;
        await new Promise((resume) => setTimeout(resume, 30)); // a slow reader
        if (++reads === 5) break;
      }
      assert.ok(skipped > 0, "frames were skipped");
      assert.equal(await client.batch("sum", [1, 1]), 2, "the handler is still usable");
    },
  );

  await t.step("a call that never returns: TimeoutError, Worker replaced, pool whole", async () => {
    await rejectsWith(() => client.batch("spin"), TimeoutError, "call timeout of 1000 ms");
    // The same handler works again, on a fresh Worker (its module state starts over).
    assert.equal(await client.batch("countCalls"), 1);
    assert.ok(gateway.stderr.some((l) => l.includes("was replaced")));
  });

  await t.step("a Worker that crashes is replaced; its client is told", async () => {
    await client.batch("crash");
    await waitFor(async () => {
      try {
        return await client.batch("countCalls") === 1;
      } catch (error) {
        if (error instanceof Unavailable) return false;
        throw error;
      }
    });
  });

  await t.step("a full pool: PoolFullError at once, or a wait until a slot frees", async () => {
    const second = await ctl.getClient();
    await rejectsWith(() => ctl.getClient(), PoolFullError, "all 2 handlers are in use");
    const waiting = ctl.getClient({ wait: 5_000 });
    await second.closeHandler();
    const third = await waiting;
    // A client that disconnects without a word frees its slot too.
    third.session.close();
    const fourth = await ctl.getClient({ wait: 5_000 });
    await fourth.closeHandler();
  });

  await t.step("closeGateway stops the gateway", async () => {
    await client.closeHandler();
    await ctl.closeGateway();
    assert.equal((await gateway.status).code, 0);
  });
});
