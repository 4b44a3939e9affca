/**
 * The tour's security part: a certificate authority and a token made with `typenet cert` and
 * `typenet token`, a list server that speaks TLS and demands the token, a client without the
 * token turned away, and one with it served.
 *
 * @example
 * ```sh
 * deno run --allow-run --allow-read --allow-write=/tmp --allow-net=127.0.0.1 examples/tour_security.ts
 * ```
 * @module
 */
import { AuthError, List } from "../mod.ts";
import { type Running, startTypenet, stopTypenet } from "./tour.ts";

const CLI = new URL("../cli.ts", import.meta.url).pathname;

/** Run a short `typenet` command that may write into `dir` only, echoing it and its output. */
async function typenet(dir: string, ...args: string[]): Promise<void> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", `--allow-read=${dir}`, `--allow-write=${dir}`, CLI, ...args],
    stdin: "null",
  }).output();
  console.log(`$ typenet ${args.join(" ").replaceAll(dir, "$DIR")}`);
  const text = new TextDecoder().decode(code === 0 ? stdout : stderr).trimEnd();
  console.log(text.replaceAll(dir, "$DIR"));
  if (code !== 0) throw new Error(`typenet ${args.join(" ")} failed`);
}

/** Run the security part of the tour. */
export async function securityTour(): Promise<void> {
  console.log("\ntypenet tour: TLS and a token\n");
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "typenet-tour-" });
  let server: Running | undefined;
  try {
    await typenet(dir, "cert", "ca", dir);
    await typenet(dir, "cert", "new", dir, "server", "127.0.0.1", "localhost");
    await typenet(dir, "token", "new", `${dir}/token`);
    server = await startTypenet(
      [
        ...["server", "127.0.0.1", "0", "--tls-cert", `${dir}/server.pem`],
        ...["--tls-key", `${dir}/server.key`, "--token-file", `${dir}/token`],
      ],
      /^typenet server listening on (\S+)$/,
      [`--allow-read=${dir}`],
    );
    const nodes = [server.address];
    const tls = { caFile: `${dir}/ca.pem` };
    try {
      await List.open("secrets", { nodes, tls, connectTimeoutMs: 2000 });
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      console.log(`List.open("secrets", { nodes, tls })   → AuthError: ${error.message}`);
    }
    const li = await List.open("secrets", { nodes, tls, tokenFile: `${dir}/token` });
    await li.append({ pin: 1234 });
    console.log(
      `List.open("secrets", { nodes, tls, tokenFile }); append; at(0) → ${
        JSON.stringify(await li.at(0))
      } (over TLS, token proven, never sent)`,
    );
    await li.close();
  } finally {
    if (server) await stopTypenet(server);
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) await securityTour();
