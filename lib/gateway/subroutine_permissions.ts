/**
 * What subroutines may do, when the operator says: Deno permissions for the handler Workers,
 * narrower than the gateway's own. Deno applies them only when it runs with
 * `--unstable-worker-options`, and a program cannot ask whether it does (Deno ends a process
 * that uses the option without the flag, deliberately, so that no one probes for it). So a
 * gateway given no grant says at start that subroutines have its own permissions, and one given
 * a grant needs the flag.
 *
 * @example
 * ```ts
 * import { parseGrants } from "./subroutine_permissions.ts";
 * parseGrants(["read=/var/app", "net=127.0.0.1"]); // { read: ["/var/app"], net: ["127.0.0.1"] }
 * ```
 * @module
 */
import { BadArgument } from "../wire/errors.ts";

/** The permissions a grant may name (Deno's, without `--allow-`). */
export const GRANT_KINDS = ["read", "write", "net", "env", "sys", "run", "ffi", "import"] as const;

/** One permission kind. */
export type GrantKind = typeof GRANT_KINDS[number];

/** What subroutines may do: each kind everything (`true`) or a list; a kind not named: nothing. */
export type SubroutineGrants = Partial<Record<GrantKind, true | string[]>>;

/**
 * Read `KIND` or `KIND=A,B` grants (as after `--subroutine-allow`) into {@link SubroutineGrants}.
 *
 * @example
 * ```ts
 * import { parseGrants } from "./subroutine_permissions.ts";
 * parseGrants(["env", "write=/tmp/out"]); // { env: true, write: ["/tmp/out"] }
 * ```
 */
export function parseGrants(specs: string[]): SubroutineGrants {
  const grants: SubroutineGrants = {};
  for (const spec of specs) {
    const [kind, list] = spec.split(/=(.*)/s, 2) as [string, string | undefined];
    if (!(GRANT_KINDS as readonly string[]).includes(kind)) {
      throw new BadArgument(
        `'${kind}' is not a permission (use one of ${GRANT_KINDS.join(", ")}, as KIND or KIND=A,B)`,
      );
    }
    const items = list?.split(",").filter((item) => item !== "");
    if (list !== undefined && items!.length === 0) {
      throw new BadArgument(`'${spec}' names nothing after '='`);
    }
    const previous = grants[kind as GrantKind];
    grants[kind as GrantKind] = items === undefined || previous === true
      ? true
      : [...(previous ?? []), ...items];
  }
  return grants;
}

/**
 * The Worker permissions for `grants`: every kind not granted is denied, and the folder of the
 * subroutine module is readable, so that the Worker can import it and its neighbours.
 *
 * @example
 * ```ts
 * import { workerPermissions } from "./subroutine_permissions.ts";
 * workerPermissions({ net: ["127.0.0.1"] }, "file:///srv/subs.ts");
 * // { read: ["/srv/"], write: false, net: ["127.0.0.1"], env: false, … }
 * ```
 */
export function workerPermissions(
  grants: SubroutineGrants,
  moduleUrl: string,
): Deno.PermissionOptionsObject {
  const permissions: Record<string, boolean | string[]> = {};
  for (const kind of GRANT_KINDS) permissions[kind] = grants[kind] ?? false;
  const url = new URL(moduleUrl);
  if (url.protocol === "file:") {
    const folder = decodeURIComponent(new URL(".", url).pathname);
    if (permissions.read !== true) {
      permissions.read = [...(permissions.read || []) as string[], folder];
    }
  } else if (permissions.import !== true) {
    permissions.import = [...(permissions.import || []) as string[], url.host];
  }
  return permissions as Deno.PermissionOptionsObject;
}

/**
 * One line for an operator: what the subroutines may do.
 *
 * @example
 * ```ts
 * import { describeGrants } from "./subroutine_permissions.ts";
 * describeGrants(undefined); // "subroutines run with the gateway's own permissions …"
 * ```
 */
export function describeGrants(grants: SubroutineGrants | undefined): string {
  if (grants === undefined) {
    return "subroutines run with the gateway's own permissions (narrow them with " +
      "--subroutine-allow KIND[=LIST], which needs Deno's --unstable-worker-options)";
  }
  const named = Object.entries(grants).map(([kind, value]) =>
    value === true ? kind : `${kind}=${value.join(",")}`
  );
  return `subroutines may only: ${named.length ? named.join("; ") : "nothing"} ` +
    "(and read their module's folder)";
}
