/** The bounded pool of links: least recently used idle links make room, busy ones never do. */
import assert from "node:assert/strict";
import { ConnectionPool } from "../lib/net/connection_pool.ts";
import { LimitExceeded, Unavailable } from "../lib/wire/errors.ts";
import { rejectsWith } from "./support/assert.ts";
import { freePort, waitFor } from "./support/wait.ts";

Deno.test("a full pool closes its least recently used idle link; all busy is LIMIT", async () => {
  // A listener that accepts and never says welcome keeps a call busy until its timeout.
  const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of silent) accepted.push(conn);
  })();
  const pool = new ConnectionPool({ connectTimeoutMs: 500 }, { maxLinks: 2, idleMs: 60_000 });
  try {
    const [a, b, c] = await Promise.all([freePort(), freePort(), freePort()]);
    for (const port of [a, b]) {
      await rejectsWith(
        () => pool.using(`127.0.0.1:${port}`, (l) => l.request("ping", [])),
        Unavailable,
      );
    }
    assert.equal(pool.size, 2);
    // A third address: the least recently used idle link (a) makes room.
    await rejectsWith(
      () => pool.using(`127.0.0.1:${c}`, (l) => l.request("ping", [])),
      Unavailable,
    );
    assert.equal(pool.size, 2);
    assert.equal(pool.peek(`127.0.0.1:${a}`), undefined);
    assert.ok(pool.peek(`127.0.0.1:${b}`));

    // Two calls waiting on the silent server hold both links; a third address is refused.
    const silentAddress = `127.0.0.1:${silent.addr.port}`;
    const busy = [
      pool.using(silentAddress, (l) => l.request("ping", [])),
      pool.using(`127.0.0.1:${b}`, () => new Promise((resume) => setTimeout(resume, 300))),
    ];
    await rejectsWith(
      () => pool.using(`127.0.0.1:${a}`, (l) => l.request("ping", [])),
      LimitExceeded,
      "links to other servers in use",
    );
    await Promise.allSettled(busy);
  } finally {
    await pool.close();
    silent.close();
    await accepting;
    for (const conn of accepted) conn.close();
  }
});

Deno.test("a link nobody uses for idleMs is closed", async () => {
  const pool = new ConnectionPool({}, { maxLinks: 8, idleMs: 30 });
  try {
    await pool.using(`127.0.0.1:${await freePort()}`, (l) => l.request("ping", [])).catch(() => {});
    assert.equal(pool.size, 1);
    await waitFor(() => pool.size === 0, { what: "the idle link closed" });
  } finally {
    await pool.close();
  }
});
