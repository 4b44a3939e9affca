/**
 * The gateway's shared folder (`--root`): every path a client names is resolved inside it, and
 * nothing outside can be reached — not by `..`, not by an absolute path, not by a symbolic link
 * that leads out (links that stay inside are followed).
 *
 * @example
 * ```ts
 * import { SharedFolder } from "./shared_folder.ts";
 * const root = await SharedFolder.open("./shared-files");
 * await root.resolveExisting("logs/app.log"); // "/abs/shared-files/logs/app.log"
 * await root.resolveExisting("../etc/passwd"); // BadArgument: outside the shared folder
 * ```
 * @module
 */
import { BadArgument, NotFound } from "../wire/errors.ts";
import { excerpt } from "../wire/errors.ts";

/** The longest relative path accepted. */
export const MAX_PATH_CHARS = 4096;

/** See the module docs. */
export class SharedFolder {
  /** The folder's real path (symbolic links resolved). */
  readonly root: string;

  private constructor(root: string) {
    this.root = root;
  }

  /** The folder at `path` (it must exist and be a directory). */
  static async open(path: string): Promise<SharedFolder> {
    const real = await Deno.realPath(path);
    if (!(await Deno.stat(real)).isDirectory) throw new BadArgument(`${path} is not a folder`);
    return new SharedFolder(real);
  }

  /**
   * The segments of a client's relative path, checked: not empty, not absolute, no `..`, no NUL.
   * `"."` and empty segments are dropped.
   */
  static segments(path: string): string[] {
    if (typeof path !== "string" || path.length > MAX_PATH_CHARS) {
      throw new BadArgument(`a path must be a string of at most ${MAX_PATH_CHARS} characters`);
    }
    if (path.startsWith("/")) {
      throw new BadArgument(
        `${excerpt(path)} is absolute: paths are relative to the shared folder`,
      );
    }
    if (path.includes("\0")) throw new BadArgument("a path may not contain NUL");
    const segments = path.split("/").filter((s) => s !== "" && s !== ".");
    if (segments.includes("..")) {
      throw new BadArgument(`${excerpt(path)} leads outside the shared folder ('..')`);
    }
    return segments;
  }

  /** The absolute path of an existing file or folder `path`, checked to be inside. */
  async resolveExisting(path: string): Promise<string> {
    const joined = this.#join(SharedFolder.segments(path));
    let real: string;
    try {
      real = await Deno.realPath(joined);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) throw new NotFound(`no ${excerpt(path)} here`);
      throw error;
    }
    this.#checkInside(real, path);
    return real;
  }

  /**
   * The absolute path to write `path` at, inside: its folders are created as needed, and the
   * deepest one that exists is checked (a link in it that leads out is refused).
   */
  async resolveForWrite(path: string): Promise<string> {
    const segments = SharedFolder.segments(path);
    if (segments.length === 0) throw new BadArgument("a file path is needed");
    const parents = segments.slice(0, -1);
    // The deepest existing parent must really be inside; the rest is created under it.
    let existing = 0;
    for (; existing < parents.length; existing++) {
      try {
        await Deno.lstat(this.#join(parents.slice(0, existing + 1)));
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) break;
        throw error;
      }
    }
    const base = await Deno.realPath(this.#join(parents.slice(0, existing)));
    this.#checkInside(base, path);
    const folder = [base, ...parents.slice(existing)].join("/");
    if (existing < parents.length) await Deno.mkdir(folder, { recursive: true });
    const target = `${folder}/${segments[segments.length - 1]}`;
    // If the file itself exists as a link, it must not lead out either.
    try {
      const real = await Deno.realPath(target);
      this.#checkInside(real, path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    return target;
  }

  /** `real` as a path relative to the root. */
  relative(real: string): string {
    return real === this.root ? "" : real.slice(this.root.length + 1);
  }

  #join(segments: string[]): string {
    return [this.root, ...segments].join("/");
  }

  #checkInside(real: string, asked: string): void {
    if (real !== this.root && !real.startsWith(`${this.root}/`)) {
      throw new BadArgument(`${excerpt(asked)} leads outside the shared folder`);
    }
  }
}
