/**
 * `typenet cert ca DIR` and `typenet cert new DIR NAME HOST…`: a private certificate authority
 * for a deployment, and certificates signed by it, with nothing but typenet (no openssl).
 * Private keys are written with mode 0600; nothing is overwritten.
 *
 * @example
 * ```ts
 * import { certCommand } from "./cert_command.ts";
 * await certCommand(["ca", "/etc/typenet/tls"]);
 * await certCommand(["new", "/etc/typenet/tls", "pi-1", "192.168.1.21", "pi-1.local"]);
 * ```
 * @module
 */
import { loadAuthority, newAuthority, newCertificate } from "../net/certificates.ts";
import { describe, parse, positiveInteger, UsageError } from "./usage.ts";

/** `typenet cert --help`. */
export const CERT_HELP = `Usage:
  typenet cert ca DIR [--name NAME]          make a certificate authority: DIR/ca.pem, DIR/ca.key
  typenet cert new DIR NAME HOST… [--days N] make DIR/NAME.pem and DIR/NAME.key for the HOSTs
                                             (IP addresses and DNS names), signed by DIR's CA

Copy ca.pem to every machine (--tls-ca), and NAME.pem with NAME.key to the machine NAME
(--tls-cert, --tls-key). Keep ca.key off the network: whoever holds it can make certificates
your deployment trusts. Keys are ECDSA P-256, written with mode 0600; nothing is overwritten.

Options:
  --name NAME                the CA's name (default "typenet CA")
  --days N                   how long a certificate is valid (default 825; a CA: 3650)
  -h, --help                 print this help`;

/**
 * Run `typenet cert` with `args`; resolves to the exit code.
 *
 * @example
 * ```ts
 * import { certCommand } from "./cert_command.ts";
 * await certCommand(["--help"]); // 0
 * ```
 */
export async function certCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    "help": { type: "boolean", short: "h" },
    "name": { type: "string" },
    "days": { type: "string" },
  });
  if (values.help) {
    console.log(CERT_HELP);
    return 0;
  }
  const [action, dir, name, ...hosts] = positionals;
  const days = positiveInteger(values.days as string | undefined, "--days");
  try {
    if (action === "ca" && dir !== undefined && name === undefined) {
      const ca = await newAuthority((values.name as string | undefined) ?? "typenet CA", { days });
      await writeNew(`${dir}/ca.pem`, ca.certPem, 0o644);
      await writeNew(`${dir}/ca.key`, ca.keyPem, 0o600);
      console.log(`typenet cert: wrote ${dir}/ca.pem (share it) and ${dir}/ca.key (keep it here)`);
      return 0;
    }
    if (action === "new" && dir !== undefined && name !== undefined && hosts.length > 0) {
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) {
        throw new UsageError("NAME must be 1 to 64 letters, digits, dots, dashes or underscores");
      }
      const ca = await loadAuthority(
        await Deno.readTextFile(`${dir}/ca.pem`),
        await Deno.readTextFile(`${dir}/ca.key`),
      );
      const issued = await newCertificate(ca, { name, hosts, days });
      await writeNew(`${dir}/${name}.pem`, issued.certPem, 0o644);
      await writeNew(`${dir}/${name}.key`, issued.keyPem, 0o600);
      console.log(
        `typenet cert: wrote ${dir}/${name}.pem and ${dir}/${name}.key for ${hosts.join(", ")}`,
      );
      return 0;
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    console.error(`typenet cert: ${describe(error)}`);
    return 1;
  }
  throw new UsageError("cert takes: ca DIR, or new DIR NAME HOST…");
}

async function writeNew(path: string, text: string, mode: number): Promise<void> {
  try {
    await Deno.writeTextFile(path, text, { mode, createNew: true });
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) {
      throw new Error(`${path} exists; not replacing it`);
    }
    throw error;
  }
  await Deno.chmod(path, mode);
}
