/**
 * A user value as one line of JSON, for people and files: bigints as their digits, bytes as
 * `{ "base64": … }`, everything else as `JSON.stringify` writes it.
 *
 * @example
 * ```ts
 * import { jsonText } from "./json_text.ts";
 * jsonText({ n: 1n, raw: new Uint8Array([1]) }); // '{"n":"1","raw":{"base64":"AQ=="}}'
 * ```
 * @module
 */

/**
 * See the module docs.
 *
 * @example
 * ```ts
 * import { jsonText } from "./json_text.ts";
 * jsonText([1, "a"]); // '[1,"a"]'
 * ```
 */
export function jsonText(value: unknown): string {
  return JSON.stringify(value, (_, v) => {
    if (typeof v === "bigint") return v.toString();
    if (v instanceof Uint8Array) return { base64: btoa(String.fromCharCode(...v)) };
    return v;
  }) ?? "null";
}
