/**
 * Subroutines for the gateway call benchmark: an echo and a stream of same-size items, the
 * counterparts of the gRPC peer's Echo and Items (bench/grpc_peer.cjs).
 * @module
 */

/** Returns what it was given. */
export function echo(payload: Uint8Array): Uint8Array {
  return payload;
}

/** `count` items of `size` bytes each, `[k, bytes]`. */
export function* items(count: number, size: number): Generator<[number, Uint8Array]> {
  const bytes = new Uint8Array(size);
  for (let k = 0; k < count; k++) yield [k, bytes];
}
