/**
 * Protected mode, seen from another host: a client in a network namespace of its own (a veth
 * pair to this one) is refused by a server listening on 0.0.0.0 without --insecure, and let
 * in with it; clients on the server's own machine are always let in. Needs root and
 * iproute2; where network namespaces cannot be made, the test says so and is ignored.
 */
import assert from "node:assert/strict";
import { connect } from "../lib/net/connect.ts";
import { ChildProcess, repoPath, runScript, type ServerProcess } from "./support/process.ts";

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
async function serverOnAllAddresses(...flags: string[]): Promise<ServerProcess> {
  const child = runScript(repoPath("cli.ts"), ["server", "0.0.0.0", "0", ...flags], {
    permissions: ["--allow-net=0.0.0.0"],
  });
  const match = await child.waitForLine(/^typenet server listening on (.+):(\d+)$/);
  return Object.assign(child, { address: `${match[1]}:${match[2]}`, port: Number(match[2]) });
}

/** Run the connect probe inside namespace `ns` against `address`; its one line of output. */
async function probeFrom(ns: string, address: string): Promise<string> {
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
    } finally {
      await ip("netns", "del", ns); // takes the veth pair with it
    }
  },
});
