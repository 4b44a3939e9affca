/**
 * `typenet token new FILE`: write a fresh random token (32 bytes, URL-safe base64) to FILE,
 * readable by its owner only (mode 0600). It refuses to replace an existing file unless told
 * `--force`: replacing a token locks out everyone who holds the old one.
 *
 * @example
 * ```ts
 * import { tokenCommand } from "./token_command.ts";
 * await tokenCommand(["new", "/etc/typenet/token"]); // 0
 * ```
 * @module
 */
import { newToken } from "../net/auth.ts";
import { describe, parse, UsageError } from "./usage.ts";

/** `typenet token --help`. */
export const TOKEN_HELP = `Usage: typenet token new FILE [--force]

Writes a new random token to FILE (mode 0600: readable by its owner only) and says where.
Give the same file to every server, node, gateway and client of a deployment (--token-file
FILE), or set TYPENET_TOKEN to its contents. The token itself is not printed.

Options:
  --force                    replace FILE if it exists (everyone holding the old token is locked out)
  -h, --help                 print this help`;

/**
 * Run `typenet token` with `args`; resolves to the exit code.
 *
 * @example
 * ```ts
 * import { tokenCommand } from "./token_command.ts";
 * await tokenCommand(["--help"]); // 0
 * ```
 */
export async function tokenCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    "help": { type: "boolean", short: "h" },
    "force": { type: "boolean" },
  });
  if (values.help) {
    console.log(TOKEN_HELP);
    return 0;
  }
  if (positionals[0] !== "new" || positionals.length !== 2) {
    throw new UsageError("token takes: new FILE");
  }
  const path = positionals[1];
  try {
    if (values.force) await Deno.remove(path).catch(() => {});
    await Deno.writeTextFile(path, `${newToken()}\n`, { mode: 0o600, createNew: true });
    // The mode given at creation is filtered by the umask; make sure it is exactly 0600.
    await Deno.chmod(path, 0o600);
  } catch (error) {
    const why = error instanceof Deno.errors.AlreadyExists
      ? "it exists (--force replaces it, locking out the old token's holders)"
      : describe(error);
    console.error(`typenet token: cannot write ${path}: ${why}`);
    return 1;
  }
  console.log(`typenet token: wrote a new token to ${await Deno.realPath(path)} (mode 0600)`);
  return 0;
}
