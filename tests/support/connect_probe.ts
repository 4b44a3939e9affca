/**
 * Connect to a typenet server and say how it went, in one line: `welcome ROLE`, or
 * `refused CODE: MESSAGE`. Used from inside a network namespace, as a client on another host.
 *
 * @example
 * ```sh
 * deno run --allow-net tests/support/connect_probe.ts 10.0.0.1:4444
 * ```
 * @module
 */
import { connectWithWelcome } from "../../lib/net/connect.ts";
import { TypenetError } from "../../lib/wire/errors.ts";

try {
  const { session, welcome } = await connectWithWelcome(Deno.args[0], {
    connectTimeoutMs: 5000,
    token: Deno.args[1],
  });
  console.log(`welcome ${welcome.role}`);
  session.close();
  await session.closed;
} catch (error) {
  if (!(error instanceof TypenetError)) throw error;
  console.log(`refused ${error.code}: ${error.message}`);
}
