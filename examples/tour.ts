/**
 * The typenet tour (`deno task demo`): starts two list servers on 127.0.0.1, uses one List
 * spread over both and a Dict, prints each step and what it returned, then stops the servers; then a
 * cluster of three nodes (examples/tour_cluster.ts); then a gateway and the backup example
 * (examples/tour_gateway.ts); then TLS and a token (examples/tour_security.ts).
 *
 * It asks for ports 4444 and 4445, as in the README, and takes free ports if those are busy.
 *
 * @example
 * ```sh
 * deno run --allow-run --allow-read --allow-write=/tmp --allow-net=127.0.0.1 examples/tour.ts
 * ```
 * @module
 */
import { Dict, List } from "../mod.ts";
import { clusterTour } from "./tour_cluster.ts";
import { gatewayTour } from "./tour_gateway.ts";
import { securityTour } from "./tour_security.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;

/** A `typenet` child process and the address it printed when ready. */
export interface Running {
  address: string;
  process: Deno.ChildProcess;
  /** The ready line it printed. */
  line: string;
}

/** Start `typenet ARGS`; resolves once it prints its ready line, which `ready` parses. */
export async function startTypenet(
  args: string[],
  ready: RegExp,
  permissions: string[] = [],
): Promise<Running> {
  const process = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-net=127.0.0.1", ...permissions, CLI, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = process.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await lines.read();
    if (done) {
      await process.status;
      throw new Error(`typenet ${args.join(" ")} did not start`);
    }
    text += value;
  }
  lines.releaseLock();
  process.stdout.cancel().catch(() => {});
  const line = text.split("\n")[0];
  const match = line.match(ready);
  if (!match) throw new Error(`typenet ${args.join(" ")} printed '${line}'`);
  console.log(`$ typenet ${args.join(" ")}\n${line}`);
  return { address: match[1], process, line };
}

/** Start `typenet server 127.0.0.1 PORT`. */
function startServer(port: number): Promise<Running> {
  return startTypenet(
    ["server", "127.0.0.1", String(port)],
    /^typenet server listening on (\S+)$/,
  );
}

/** Stop a process with SIGTERM and wait for it. */
export async function stopTypenet(running: Running): Promise<void> {
  try {
    running.process.kill("SIGTERM");
  } catch {
    // Already gone.
  }
  await running.process.status;
}

/** Whether nothing listens on 127.0.0.1:`port`. */
export function isFree(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}

/** Print a line of the tour and what it returned (`text` is printed as it is). */
function show(code: string, result?: unknown, text?: string): void {
  const shown = text ?? (result === undefined ? undefined : Deno.inspect(result));
  console.log(shown === undefined ? code : `${code.padEnd(32)} → ${shown}`);
}

async function tour(nodes: string[]): Promise<void> {
  console.log(`\nconst nodes = ${Deno.inspect(nodes)}`);
  console.log(`const li = await List.open("list-test", { nodes, partitionSize: 10000 })`);
  let li = await List.open("list-test", { nodes, partitionSize: 10000 });
  await li.append(0);
  await li.append("test");
  show(`await li.append(0); await li.append("test")`);
  show("await li.at(0)", await li.at(0));
  show("await li.at(-1)", await li.at(-1));
  show("await li.slice(0, 2)", await li.slice(0, 2));
  show("for await (const x of li) console.log(x)");
  for await (const x of li) console.log(x);
  await li.delete(-1);
  show("await li.delete(-1); await li.length()", await li.length());
  await li.extend(Array.from({ length: 20 }, (_, i) => i * i));
  show("await li.extend(squares of 0…19)", await li.length());
  show("await li.slice(-3)", await li.slice(-3));
  show("await li.slice(undefined, 6, 2)", await li.slice(undefined, 6, 2));
  show("await li.includes(361)", await li.includes(361));
  await li.delete(0);
  show("await li.delete(0); await li.at(0)", await li.at(0));
  show("await li.destroy()", undefined, `${await li.destroy()} items removed from both servers`);

  console.log(`\nli = await List.open("list-test", { nodes, partitionSize: 100 })`);
  li = await List.open("list-test", { nodes, partitionSize: 100 });
  console.log("for (let i = 0; i < 10_000; i++) await li.append(i)");
  for (let i = 0; i < 10_000; i++) await li.append(i);
  console.log("console.log(await li.nodeDebug())");
  console.log(await li.nodeDebug());
  // Edits in the middle and a sort are done by the servers: no item crosses to this client.
  await li.insert(5_000, "middle");
  show(
    `await li.insert(5_000, "middle"); await li.slice(4_999, 5_002)`,
    await li.slice(4_999, 5_002),
  );
  show(`await li.remove("middle")`, await li.remove("middle"));
  await li.sort({ reverse: true });
  show("await li.sort({ reverse: true }); await li.slice(0, 3)", await li.slice(0, 3));
  await li.reverse();
  show("await li.reverse(); await li.slice(0, 3)", await li.slice(0, 3));
  await li.destroy();
}

async function dictTour(nodes: string[]): Promise<void> {
  console.log(`\nconst d = await Dict.open("users", { nodes })`);
  await using d = await Dict.open("users", { nodes });
  await d.set("ada", { age: 36 });
  show(`await d.set("ada", { age: 36 }); await d.get("ada")`, await d.get("ada"));
  const entry = (await d.getEntry("ada"))!;
  show(`const { version } = await d.getEntry("ada")`);
  show(
    `await d.set("ada", { age: 37 }, { ifVersion: version })`,
    await d.set("ada", { age: 37 }, { ifVersion: entry.version }),
  );
  show(
    "… again with the same, now stale, version",
    await d.set("ada", { age: 99 }, { ifVersion: entry.version }),
  );
  await d.setMany(Array.from({ length: 1000 }, (_, i) => [`user${i}`, { n: i }]));
  show("await d.setMany(1,000 entries); await d.size()", await d.size());
  show(`await d.getMany(["ada", "user7", "nobody"])`, await d.getMany(["ada", "user7", "nobody"]));
  console.log(await d.nodeDebug());
  show("await d.clear()", await d.clear());
}

/** A server with a data directory, killed with SIGKILL and started again: the list is there. */
async function durableTour(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "typenet-tour-data-" });
  const access = [`--allow-read=${dir}`, `--allow-write=${dir}`];
  const start = (port: number) =>
    startTypenet(
      ["server", "127.0.0.1", String(port), "--data", dir],
      /^typenet server listening on (\S+)$/,
      access,
    );
  console.log("\ntypenet tour: a server that keeps its lists in a data directory");
  let server = await start(0);
  try {
    const nodes = [server.address];
    {
      await using li = await List.open("kept", { nodes });
      await li.extend(["survives", "a", "crash"]);
      await li.insert(1, "even");
      show(`await li.toArray()`, await li.toArray());
    }
    console.log("kill -9 the server, then start it again on the same directory and port");
    server.process.kill("SIGKILL");
    await server.process.status;
    server = await start(Number(server.address.split(":")[1]));
    await using li = await List.open("kept", { nodes });
    show(`await li.toArray()`, await li.toArray());
  } finally {
    await stopTypenet(server);
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  const servers: Running[] = [];
  console.log("typenet tour: two list servers on this machine and one List spread over both\n");
  try {
    const ports = isFree(4444) && isFree(4445) ? [4444, 4445] : [0, 0];
    if (ports[0] === 0) console.log("(ports 4444 and 4445 are busy: using free ports)");
    for (const port of ports) servers.push(await startServer(port));
    await tour(servers.map((s) => s.address));
    await dictTour(servers.map((s) => s.address));
  } finally {
    console.log("\nstopping the servers");
    await Promise.all(servers.map(stopTypenet));
  }
  await durableTour();
  await clusterTour();
  await gatewayTour();
  await securityTour();
}
