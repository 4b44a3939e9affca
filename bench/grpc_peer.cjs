// The @grpc/grpc-js side of the gateway benchmark, run under Node (not Deno).
//
//   node grpc_peer.cjs server
//     binds 127.0.0.1:0, prints "grpc listening on 127.0.0.1:PORT", serves until SIGTERM/SIGINT.
//   node grpc_peer.cjs client 127.0.0.1:PORT CALLS WARMUP ITEMS64 ITEMS64K
//     times unary Echo calls and two server streams, prints one line of JSON.
//
// Needs NODE_PATH pointing at a node_modules holding @grpc/grpc-js. Raw-bytes serializers,
// so protobuf costs nothing on either side and only the transport is measured.
"use strict";

const grpc = require("@grpc/grpc-js");

// Identity on Buffer: the payload is the message.
const identity = (buffer) => buffer;

const service = {
  echo: {
    path: "/bench.Bench/Echo",
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
  items: {
    path: "/bench.Bench/Items",
    requestStream: false,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

// 64 KiB items are well under the default 4 MiB limit; set it anyway so the limit is explicit.
const channelOptions = {
  "grpc.max_receive_message_length": 16 * 1024 * 1024,
  "grpc.max_send_message_length": 16 * 1024 * 1024,
};

// A cancelled call never drains, so waiting on 'drain' alone could hang the handler.
function drainedOrCancelled(call) {
  return new Promise((resume) => {
    const done = () => {
      call.off("drain", done);
      call.off("cancelled", done);
      resume();
    };
    call.on("drain", done);
    call.on("cancelled", done);
  });
}

function serve() {
  const server = new grpc.Server(channelOptions);
  server.addService(service, {
    echo(call, callback) {
      callback(null, call.request);
    },
    async items(call) {
      const request = call.request;
      if (request.length !== 8) {
        call.destroy({ code: grpc.status.INVALID_ARGUMENT, details: "want 8 bytes" });
        return;
      }
      const count = request.readUInt32BE(0);
      const item = Buffer.alloc(request.readUInt32BE(4));
      let cancelled = false;
      call.on("cancelled", () => cancelled = true);
      for (let i = 0; i < count && !cancelled; i++) {
        // Backpressure: an unbounded write loop would buffer the whole stream in memory.
        if (!call.write(item)) await drainedOrCancelled(call);
      }
      call.end();
    },
  });
  server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) => {
    if (error) {
      console.error(`grpc bind failed: ${error.message}`);
      process.exit(1);
    }
    // The parent waits for exactly this line.
    console.log(`grpc listening on 127.0.0.1:${port}`);
  });
  const stop = () => {
    // Give in-flight calls a moment, then force so the parent never waits long.
    const timer = setTimeout(() => server.forceShutdown(), 1000);
    server.tryShutdown(() => {
      clearTimeout(timer);
      process.exit(0);
    });
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
}

function unary(client, payload) {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      service.echo.path,
      identity,
      identity,
      payload,
      (error, reply) => error ? reject(error) : resolve(reply),
    );
  });
}

// Resolves with the number of items received once the stream ends.
function stream(client, count, itemSize) {
  const request = Buffer.alloc(8);
  request.writeUInt32BE(count, 0);
  request.writeUInt32BE(itemSize, 4);
  return new Promise((resolve, reject) => {
    const call = client.makeServerStreamRequest(service.items.path, identity, identity, request);
    let received = 0;
    call.on("data", (item) => {
      if (item.length !== itemSize) {
        call.cancel();
        reject(new Error(`item of ${item.length} bytes, want ${itemSize}`));
        return;
      }
      received++;
    });
    call.on("error", reject);
    call.on("end", () => resolve(received));
  });
}

async function timedStream(client, count, itemSize) {
  const start = process.hrtime.bigint();
  const received = await stream(client, count, itemSize);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (received !== count) throw new Error(`stream gave ${received} items, want ${count}`);
  return count / seconds;
}

function quantile(sorted, q) {
  const index = Math.min(sorted.length - 1, Math.max(0, Math.floor(q * sorted.length)));
  return sorted[index];
}

// A usage mistake, not a crash: say so in one line and exit 2, like the usage message.
function count(text, name, least) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < least) {
    console.error(`grpc_peer: ${name} wants a whole number of at least ${least}, got ${text}`);
    process.exit(2);
  }
  return n;
}

async function bench(address, calls, warmup, items64, items64k) {
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), channelOptions);
  try {
    const payload = Buffer.alloc(64, 7);
    for (let i = 0; i < warmup; i++) await unary(client, payload);
    const times = new Array(calls);
    for (let i = 0; i < calls; i++) {
      const start = process.hrtime.bigint();
      const reply = await unary(client, payload);
      times[i] = Number(process.hrtime.bigint() - start) / 1e6;
      if (reply.length !== payload.length) throw new Error(`echo gave ${reply.length} bytes`);
    }
    times.sort((a, b) => a - b);

    // Untimed small streams so the first timed one doesn't pay for JIT and buffer growth.
    await stream(client, 1000, 64);
    await stream(client, 50, 65536);
    const stream64 = await timedStream(client, items64, 64);
    const stream64k = await timedStream(client, items64k, 65536);

    return {
      grpcJs: require("@grpc/grpc-js/package.json").version,
      node: process.version,
      unary: { p50: quantile(times, 0.5), p99: quantile(times, 0.99) },
      stream64,
      stream64k,
    };
  } finally {
    client.close();
  }
}

async function main(argv) {
  const [mode, ...rest] = argv;
  if (mode === "server" && rest.length === 0) return serve();
  if (mode === "client" && rest.length === 5) {
    const [address, calls, warmup, items64, items64k] = rest;
    const result = await bench(
      address,
      count(calls, "CALLS", 1),
      count(warmup, "WARMUP", 0),
      count(items64, "ITEMS64", 1),
      count(items64k, "ITEMS64K", 1),
    );
    console.log(JSON.stringify(result));
    process.exit(0);
  }
  console.error(
    "usage: node grpc_peer.cjs server\n" +
      "       node grpc_peer.cjs client 127.0.0.1:PORT CALLS WARMUP ITEMS64 ITEMS64K",
  );
  process.exit(2);
}

main(process.argv.slice(2)).catch((error) => {
  console.error(`grpc_peer: ${error.stack ?? error}`);
  process.exit(1);
});
