/**
 * Protected mode, seen from another host: a client in a network namespace of its own (a veth
 * pair to this one) is refused by a server listening on 0.0.0.0 without --insecure, and let
 * in with it; clients on the server's own machine are always let in. Needs root and
 * iproute2; where network namespaces cannot be made, the test says so and is ignored.
 */
import assert from "node:assert/strict";
import { connect } from "../lib/net/connect.ts";
import {
  ChildProcess,
  repoPath,
  runScript,
  type ServerProcess,
  startServer,
} from "./support/process.ts";
import { freePort } from "./support/wait.ts";

async function ip(...args: string[]): Promise<boolean> {
  const { success } = await new Deno.Command("ip", { args, stdout: "null", stderr: "null" })
    .output()
    .catch(() => ({ success: false }));
  return success;
}

const probeName = `tnprobe${Deno.pid}`;
const canMakeNamespaces = await ip("netns", "add", probeName) &&
  await ip("netns", "del", probeName);

/** Start `typenet server 0.0.0.0 0` (with extra flags) and wait for its ready line. */
function serverOnAllAddresses(...flags: string[]): Promise<ServerProcess> {
  const denoFlags = flags.filter((f) => f.startsWith("--allow-"));
  const args = flags.filter((f) => !f.startsWith("--allow-"));
  return startServer(["0.0.0.0", "0", ...args], {
    permissions: ["--allow-net=0.0.0.0", ...denoFlags],
  });
}

/** Start another role listening on every address; its port from the ready line. */
async function roleOnAllAddresses(
  role: string,
  args: string[],
  ready: RegExp,
): Promise<ChildProcess & { port: number }> {
  const child = runScript(repoPath("cli.ts"), [role, ...args], {
    permissions: ["--allow-net=0.0.0.0,127.0.0.1", `--allow-read=${repoPath("")}`],
  });
  return Object.assign(child, { port: Number((await child.waitForLine(ready))[1]) });
}

/** Run the connect probe inside namespace `ns` against `address`; its one line of output. */
async function probeFrom(ns: string, address: string, token?: string): Promise<string> {
  const command = new Deno.Command("ip", {
    args: [
      "netns",
      "exec",
      ns,
      Deno.execPath(),
      "run",
      "--quiet",
      "--allow-net",
      repoPath("tests/support/connect_probe.ts"),
      address,
      ...(token ? [token] : []),
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });
  await using probe = new ChildProcess(command.spawn());
  const status = await probe.status;
  await probe.stop();
  assert.equal(status.code, 0, probe.stderr.join("\n"));
  return probe.stdout.join("\n");
}

Deno.test({
  name: "protected mode refuses other hosts until --insecure; this machine is always let in",
  ignore: !canMakeNamespaces,
  fn: async () => {
    const ns = `tn${Deno.pid}`;
    const [hostSide, nsSide] = [`tnh${Deno.pid}`, `tnn${Deno.pid}`];
    const [hostIp, nsIp] = ["10.213.77.1", "10.213.77.2"];
    try {
      for (
        const args of [
          ["netns", "add", ns],
          ["link", "add", hostSide, "type", "veth", "peer", "name", nsSide],
          ["link", "set", nsSide, "netns", ns],
          ["addr", "add", `${hostIp}/30`, "dev", hostSide],
          ["link", "set", hostSide, "up"],
          ["netns", "exec", ns, "ip", "addr", "add", `${nsIp}/30`, "dev", nsSide],
          ["netns", "exec", ns, "ip", "link", "set", nsSide, "up"],
        ]
      ) assert.ok(await ip(...args), `ip ${args.join(" ")}`);

      await using guarded = await serverOnAllAddresses();
      assert.ok(guarded.stderr.some((l) => l.includes("protected mode")));
      const refused = await probeFrom(ns, `${hostIp}:${guarded.port}`);
      assert.match(refused, /^refused AUTH: protected mode: .*--insecure/);
      const local = await connect(`127.0.0.1:${guarded.port}`);
      assert.equal(await local.request("ping", []), "pong");
      local.close();
      await local.closed;

      await using open = await serverOnAllAddresses("--insecure");
      assert.equal(await probeFrom(ns, `${hostIp}:${open.port}`), "welcome list-server");

      // A token lifts protected mode: remote clients that prove it are let in, others are not.
      const token = "a-token-for-the-namespace-test";
      const tokenFile = await Deno.makeTempFile();
      try {
        await Deno.writeTextFile(tokenFile, token);
        await using guardedByToken = await serverOnAllAddresses(
          "--token-file",
          tokenFile,
          `--allow-read=${tokenFile}`,
        );
        const address = `${hostIp}:${guardedByToken.port}`;
        assert.match(await probeFrom(ns, address), /^refused AUTH: this server requires a token/);
        assert.equal(await probeFrom(ns, address, token), "welcome list-server");
      } finally {
        await Deno.remove(tokenFile);
      }

      // Nodes and gateways are in protected mode the same way.
      const nodePort = await freePort();
      await using node = await roleOnAllAddresses("node", [
        ...["--host", "0.0.0.0", "--port", `${nodePort}`, "--advertise", `${hostIp}:${nodePort}`],
      ], /^typenet node \S+ cluster port \S+:(\d+) /);
      assert.match(await probeFrom(ns, `${hostIp}:${node.port}`), /^refused AUTH: protected mode/);
      await using gateway = await roleOnAllAddresses("gateway", [
        ...["--host", "0.0.0.0", "--port", "0", "--subroutines"],
        repoPath("tests/data/subroutines.ts"),
      ], /^typenet gateway listening on \S+:(\d+) /);
      assert.match(
        await probeFrom(ns, `${hostIp}:${gateway.port}`),
        /^refused AUTH: protected mode/,
      );
    } finally {
      await ip("netns", "del", ns); // takes the veth pair with it
    }
  },
});
