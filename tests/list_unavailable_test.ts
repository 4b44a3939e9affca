/**
 * Servers that die, hang or restart: calls fail within the timeout with an error naming the
 * server, nothing hangs, the client reconnects by itself, and a restarted (memory-only)
 * server's lost items are reported, never papered over.
 */
import assert from "node:assert/strict";
import { List } from "../mod.ts";
import { DataLost, TimeoutError, Unavailable } from "../lib/wire/errors.ts";
import { rejectsWith } from "./support/assert.ts";
import { uniqueName } from "./support/cluster.ts";
import { startServer } from "./support/process.ts";

const TIMEOUT_MS = 1_000;
const timeouts = { requestTimeoutMs: TIMEOUT_MS, connectTimeoutMs: TIMEOUT_MS };

/** Run `work`, expecting `ErrorClass` naming `address`, well before anything could hang. */
async function failsPromptly(
  work: () => Promise<unknown>,
  ErrorClass: typeof Unavailable,
  address: string,
) {
  const started = Date.now();
  await rejectsWith(work, ErrorClass, address);
  assert.ok(Date.now() - started < 3 * TIMEOUT_MS, "the call must not hang");
}

Deno.test("a dead server: Unavailable naming it; after a restart the client reconnects", async () => {
  const server = await startServer();
  const address = server.address;
  const name = uniqueName("restart");
  const li = await List.open(name, { nodes: [address], ...timeouts });
  try {
    await li.extend([1, 2, 3]);
    await server.stop("SIGKILL");

    await failsPromptly(() => li.append(4), Unavailable, address);
    await failsPromptly(() => li.at(0), Unavailable, address);
    await failsPromptly(() => li.toArray(), Unavailable, address);

    await using again = await startServer(["127.0.0.1", String(server.port)]);
    // Reconnected by itself; the list is new, because a memory-only server kept nothing.
    assert.equal(await li.append("after"), 0);
    assert.deepEqual(await li.toArray(), ["after"]);
    assert.equal(again.address, address);
  } finally {
    await li.close();
  }
});

Deno.test("a hung server: TimeoutError (an Unavailable) naming it; it recovers", async () => {
  await using server = await startServer();
  await using li = await List.open(uniqueName("hung"), { nodes: [server.address], ...timeouts });
  await li.extend(["a", "b"]);
  server.kill("SIGSTOP");
  try {
    await failsPromptly(() => li.at(1), TimeoutError, server.address);
    await failsPromptly(() => li.length(), Unavailable, server.address);
  } finally {
    server.kill("SIGCONT");
  }
  assert.deepEqual(await li.toArray(), ["a", "b"]);
});

Deno.test("one of two servers dies: only calls that need it fail, naming it", async () => {
  await using home = await startServer();
  const other = await startServer();
  const nodes = [home.address, other.address];
  await using li = await List.open(uniqueName("half"), { nodes, partitionSize: 10, ...timeouts });
  await li.extend(Array.from({ length: 100 }, (_, i) => i));
  await other.stop("SIGKILL");

  assert.equal(await li.at(5), 5); // block 0, on the home
  assert.equal(await li.length(), 100);
  await failsPromptly(() => li.at(15), Unavailable, other.address);
  await failsPromptly(() => li.toArray(), Unavailable, other.address);
  // Indexes 100…109 are the home's, 110 is the dead server's: all or nothing.
  await failsPromptly(
    () => li.push(...Array.from({ length: 11 }, (_, i) => i)),
    Unavailable,
    other.address,
  );
  assert.equal(await li.length(), 100);
  assert.equal(await li.append("home block"), 100);

  // It comes back empty: what it held is reported lost, not silently skipped.
  await using back = await startServer(["127.0.0.1", String(other.port)]);
  await rejectsWith(() => li.at(15), DataLost, back.address);
  await rejectsWith(
    () => li.push(...Array.from({ length: 10 }, (_, i) => i)),
    DataLost,
    back.address,
  );
  assert.equal(await li.at(100), "home block");
});

Deno.test("a restarted home refuses to start the list again over its peers' items", async () => {
  const home = await startServer();
  await using other = await startServer();
  const name = uniqueName("lost-home");
  const nodes = [home.address, other.address];
  await using li = await List.open(name, { nodes, partitionSize: 10, ...timeouts });
  await li.extend(Array.from({ length: 30 }, (_, i) => i));
  await home.stop("SIGKILL");
  await using back = await startServer(["127.0.0.1", String(home.port)]);
  await rejectsWith(() => li.append("x"), DataLost, "the home restarted and lost the list");
  await rejectsWith(
    () => List.open(name, { nodes, partitionSize: 10, ...timeouts }),
    DataLost,
    back.address,
  );
  assert.equal(await li.at(15), 15); // the other server's items are untouched
});
