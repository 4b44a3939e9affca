/**
 * The gRPC side of the gateway benchmark: `@grpc/grpc-js` at a pinned version, run under Node
 * (its home runtime, not Deno) as a server process and a client process on loopback.
 *
 * @example
 * ```ts
 * import { GrpcMissing, runGrpcBench } from "./grpc.ts";
 * try {
 *   const result = await runGrpcBench({ calls: 2000, warmup: 200, items64: 100_000, items64k: 5000 });
 *   console.log(result.unary.p50, result.stream64, result.stream64k);
 * } catch (error) {
 *   if (!(error instanceof GrpcMissing)) throw error;
 *   console.log(`skipped: ${error.message}`);
 * }
 * ```
 * @module
 */

/** The `@grpc/grpc-js` version measured; pinned so runs on different days compare. */
export const GRPC_JS_VERSION = "1.14.7";

/** Thrown when `node`, `npm` or `@grpc/grpc-js` cannot be had. */
export class GrpcMissing extends Error {}

/** What the Node client measured against the Node server. */
export interface GrpcResult {
  /** As `@grpc/grpc-js`'s package.json says. */
  readonly grpcJs: string;
  /** As `process.version` says, e.g. `v20.20.2`. */
  readonly node: string;
  /** Round trips of a 64-byte Echo, one after another, in milliseconds. */
  readonly unary: { readonly p50: number; readonly p99: number };
  /** Items per second of a server stream of 64-byte items. */
  readonly stream64: number;
  /** Items per second of a server stream of 65,536-byte items. */
  readonly stream64k: number;
}

/** How much to measure; see {@linkcode runGrpcBench}. */
export interface GrpcBenchOptions {
  /** Timed unary calls. */
  readonly calls: number;
  /** Untimed unary calls before them. */
  readonly warmup: number;
  /** Items in the 64-byte stream. */
  readonly items64: number;
  /** Items in the 64 KiB stream. */
  readonly items64k: number;
}

const PEER = new URL("./grpc_peer.cjs", import.meta.url).pathname;
const READY = /^grpc listening on (127\.0\.0\.1:\d+)$/m;
const READY_MS = 10_000;

/**
 * A `node_modules` directory holding `@grpc/grpc-js` at {@linkcode GRPC_JS_VERSION}, installed
 * with npm into a per-user cache the first time and reused after.
 */
export async function grpcModules(): Promise<string> {
  const base = Deno.env.get("XDG_CACHE_HOME") ??
    (Deno.env.get("HOME") ? `${Deno.env.get("HOME")}/.cache` : undefined);
  if (!base) throw new GrpcMissing("neither XDG_CACHE_HOME nor HOME is set: nowhere to cache");
  const prefix = `${base}/typenet-bench/grpc-js-${GRPC_JS_VERSION}`;
  const modules = `${prefix}/node_modules`;
  if (await installedVersion(modules) === GRPC_JS_VERSION) return modules;

  const manual =
    `install it by hand: npm install --prefix ${prefix} @grpc/grpc-js@${GRPC_JS_VERSION}`;
  await Deno.mkdir(prefix, { recursive: true });
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("npm", {
      args: [
        "install",
        "--no-save",
        "--no-audit",
        "--no-fund",
        "--prefix",
        prefix,
        `@grpc/grpc-js@${GRPC_JS_VERSION}`,
      ],
      stdin: "null",
    }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new GrpcMissing(`npm not found (install Node.js 18+), or ${manual}`);
    }
    throw error;
  }
  if (!output.success) {
    const stderr = new TextDecoder().decode(output.stderr).trim().split("\n").slice(-5).join("\n");
    throw new GrpcMissing(`npm install failed (exit ${output.code}); ${manual}\n${stderr}`);
  }
  // npm can succeed yet leave something else in place (a stale lockfile, a registry mirror).
  const got = await installedVersion(modules);
  if (got !== GRPC_JS_VERSION) {
    throw new GrpcMissing(`npm installed @grpc/grpc-js ${got ?? "nothing"}; ${manual}`);
  }
  return modules;
}

async function installedVersion(modules: string): Promise<string | undefined> {
  try {
    const text = await Deno.readTextFile(`${modules}/@grpc/grpc-js/package.json`);
    return JSON.parse(text).version;
  } catch {
    return undefined;
  }
}

/**
 * Start the Node gRPC server, run the Node client against it and return what the client
 * measured. The server is stopped before this returns or throws.
 */
export async function runGrpcBench(options: GrpcBenchOptions): Promise<GrpcResult> {
  const modules = await grpcModules();
  const env = { NODE_PATH: modules };
  let server: Deno.ChildProcess;
  try {
    server = new Deno.Command("node", {
      args: [PEER, "server"],
      env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new GrpcMissing("node not found: install Node.js 18+ to run the gRPC benchmark");
    }
    throw error;
  }
  // Drain stderr from the start so a chatty server can't block on a full pipe.
  const serverErr = new Response(server.stderr).text();
  try {
    const address = await readyAddress(server, () => serverErr);
    const client = await new Deno.Command("node", {
      args: [
        PEER,
        "client",
        address,
        String(options.calls),
        String(options.warmup),
        String(options.items64),
        String(options.items64k),
      ],
      env,
      stdin: "null",
    }).output();
    const stdout = new TextDecoder().decode(client.stdout).trim();
    if (!client.success) {
      const stderr = new TextDecoder().decode(client.stderr).trim();
      throw new Error(`gRPC client exited ${client.code}: ${stderr || stdout}`);
    }
    return JSON.parse(stdout.split("\n").at(-1)!) as GrpcResult;
  } finally {
    await stop(server);
    await serverErr.catch(() => {});
  }
}

/** Read the server's stdout until its ready line, within {@linkcode READY_MS}. */
async function readyAddress(
  server: Deno.ChildProcess,
  stderr: () => Promise<string>,
): Promise<string> {
  const reader = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`gRPC server not ready within ${READY_MS} ms: ${seen.trim()}`)),
      READY_MS,
    );
  });
  try {
    while (true) {
      const { value, done } = await Promise.race([reader.read(), timeout]);
      if (done) {
        // Exited before listening: its stderr says why (e.g. @grpc/grpc-js not on NODE_PATH).
        const status = await server.status;
        throw new Error(`gRPC server exited ${status.code} before listening: ${await stderr()}`);
      }
      seen += value;
      const match = seen.match(READY);
      if (match) return match[1];
    }
  } finally {
    clearTimeout(timer);
    // Keep draining stdout so later writes from the server never block it.
    reader.read().then(function drain(result): unknown {
      return result.done ? undefined : reader.read().then(drain);
    }).catch(() => {});
  }
}

/** SIGTERM the server by its PID and wait for it; SIGKILL if it lingers. */
async function stop(server: Deno.ChildProcess): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    server.kill("SIGTERM");
  } catch {
    // Already exited.
  }
  const lingered = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), 5000);
  });
  try {
    if (await Promise.race([server.status.then(() => false), lingered])) {
      try {
        server.kill("SIGKILL");
      } catch {
        // Exited in between.
      }
      await server.status;
    }
  } finally {
    clearTimeout(timer);
  }
}
