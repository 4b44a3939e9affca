/**
 * What a download finds in its local folders, asked once per folder: which names are there
 * (one directory listing instead of a `stat` per file, most of which would say "not found"),
 * and which folders it has made already.
 *
 * @example
 * ```ts
 * import { LocalIndex } from "./local_index.ts";
 * const local = new LocalIndex();
 * await local.sizeOf("backup/logs/app.log"); // undefined: not there
 * await local.makeFolder("backup/logs");
 * ```
 * @module
 */
import { fileSize } from "./file_service.ts";

/** See the module docs. */
export class LocalIndex {
  readonly #names = new Map<string, Promise<Set<string>>>();
  readonly #made = new Set<string>();

  /** The size of the regular file at `path`, or undefined if there is none. */
  async sizeOf(path: string): Promise<number | undefined> {
    const slash = path.lastIndexOf("/");
    const folder = slash <= 0 ? (slash === 0 ? "/" : ".") : path.slice(0, slash);
    if (!(await this.#namesIn(folder)).has(path.slice(slash + 1))) return undefined;
    return await fileSize(path);
  }

  /** Make `folder` (and its parents) once per transfer. */
  async makeFolder(folder: string): Promise<void> {
    if (this.#made.has(folder)) return;
    await Deno.mkdir(folder, { recursive: true });
    this.#made.add(folder);
  }

  #namesIn(folder: string): Promise<Set<string>> {
    let names = this.#names.get(folder);
    if (!names) {
      names = (async () => {
        const found = new Set<string>();
        try {
          for await (const entry of Deno.readDir(folder)) found.add(entry.name);
        } catch (error) {
          if (!(error instanceof Deno.errors.NotFound)) throw error;
        }
        return found;
      })();
      this.#names.set(folder, names);
    }
    return names;
  }
}
