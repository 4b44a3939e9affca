/**
 * The gateway side of the backup tutorial (pynetwork's conditional backup, fixed): how full a
 * log folder is, and removing the logs a controller has backed up.
 *
 * @example
 * ```sh
 * deno run --allow-net=127.0.0.1 --allow-read --allow-write=/var/app \
 *   cli.ts gateway --subroutines examples/backup/subroutines.ts --root /var/app
 * ```
 * @module
 */

/** How much `dir` holds: its `.log` files' bytes and count. */
export async function mountUsage(dir: string): Promise<{ bytes: number; files: number }> {
  let bytes = 0;
  let files = 0;
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !entry.name.endsWith(".log")) continue;
    bytes += (await Deno.stat(`${dir}/${entry.name}`)).size;
    files++;
  }
  return { bytes, files };
}

/**
 * Remove from `dir` the log files named in `buffer` (one name per line) — the ones the
 * controller has safely backed up. Only plain `.log` names directly in `dir` are removed.
 * Returns how many were.
 */
export async function removeLogs(dir: string, opts: { buffer?: Uint8Array }): Promise<number> {
  const names = new TextDecoder().decode(opts.buffer ?? new Uint8Array()).split("\n");
  let removed = 0;
  for (const name of names) {
    if (!/^[^/]+\.log$/.test(name)) continue;
    try {
      await Deno.remove(`${dir}/${name}`);
      removed++;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return removed;
}
