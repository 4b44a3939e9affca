/**
 * Another project imports mod.ts by URL, with none of this repository's configuration
 * (`--no-config`: no import map, no lock file), and uses a List.
 */
import assert from "node:assert/strict";
import { runScript, startServer } from "./support/process.ts";

Deno.test("mod.ts works when imported by its file:// URL from a project of its own", async () => {
  const scratch = await Deno.makeTempDir({ prefix: "typenet-import-" });
  try {
    await using server = await startServer();
    const modUrl = new URL("../mod.ts", import.meta.url).href;
    const script = `${scratch}/use_typenet.ts`;
    await Deno.writeTextFile(
      script,
      `import { List } from ${JSON.stringify(modUrl)};
const li = await List.open("by-url", { nodes: [Deno.args[0]] });
await li.push("imported", 1n, { by: "url" });
console.log(JSON.stringify(await li.slice(0, 1)), await li.length());
await li.close();
`,
    );
    await using child = runScript(script, [server.address], {
      permissions: ["--no-config", "--allow-net=127.0.0.1"],
      cwd: scratch,
    });
    const status = await child.status;
    await child.stop();
    assert.equal(status.code, 0, child.stderr.join("\n"));
    assert.deepEqual(child.stdout, ['["imported"] 3']);
  } finally {
    await Deno.remove(scratch, { recursive: true });
  }
});
