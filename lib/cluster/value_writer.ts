/**
 * `ValueWriter`: a value node that appends the text form of each new value to a file, one per
 * line (the original picklenodewriter, without pickle). Strings are written as they are when
 * they hold no line break, anything else as JSON (bigints as digits, bytes as base64), so each
 * line is one value. It catches up like any value node: a writer that joins late writes the
 * current value once.
 *
 * @example
 * ```ts
 * import { ValueWriter } from "./value_writer.ts";
 * const writer = await ValueWriter.start({ join: "127.0.0.1:7946", port: 0, file: "values.txt" });
 * // … every change of the cluster's value becomes a line of values.txt …
 * await writer.leave();
 * ```
 * @module
 */
import { jsonText } from "../wire/json_text.ts";
import { ValueNode, type ValueNodeOptions } from "./value_node.ts";

/** Options of a writer: a value node's, and the file. */
export interface ValueWriterOptions extends ValueNodeOptions {
  /** The file each value is appended to (created if missing). */
  file: string;
}

/** See the module docs. */
export class ValueWriter extends ValueNode {
  /** The type other members see. */
  static override typeName = "ValueWriter";
  readonly #file: string;
  /** Appends in order: each waits for the one before. */
  #writing: Promise<void> = Promise.resolve();

  /** Use `ValueWriter.start`. */
  constructor(options: ValueWriterOptions) {
    super(options);
    this.#file = options.file;
    this.on("change", (value) => {
      const line = `${textForm(value)}\n`;
      // A failed write is told and the next one tried: the chain never stays rejected.
      this.#writing = this.#writing.then(() =>
        Deno.writeTextFile(this.#file, line, { append: true })
      ).catch((error) => this.notice(`cannot write ${this.#file}: ${(error as Error).message}`));
    });
  }

  /** Resolves once every line so far is written. */
  flushed(): Promise<void> {
    return this.#writing;
  }

  /** Leave gracefully, once every line is written. */
  override async leave(): Promise<void> {
    await super.leave();
    await this.#writing;
  }
}

/**
 * One value as one line of text.
 *
 * @example
 * ```ts
 * import { textForm } from "./value_writer.ts";
 * textForm("21.5 °C"); // "21.5 °C"
 * textForm({ a: 1 }); // '{"a":1}'
 * ```
 */
export function textForm(value: unknown): string {
  if (typeof value === "string" && !/[\r\n]/.test(value)) return value;
  return jsonText(value);
}
