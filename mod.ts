/**
 * typenet: share data and work between a few machines.
 *
 * This module is the library: the distributed `List` and the building blocks under it
 * (the transport every role shares, the list server, typed errors). Import it by path or URL;
 * it needs no import map.
 *
 * @example
 * ```ts
 * import { List } from "./mod.ts";
 * const li = await List.open("list-test", { nodes: ["127.0.0.1:4444", "127.0.0.1:4445"] });
 * await li.append("hello");
 * console.log(await li.at(-1)); // "hello"
 * await li.close();
 * ```
 * @module
 */
export { DEFAULT_PARTITION_SIZE, List, type ListOptions } from "./lib/types/list.ts";
export type { SliceBound } from "./lib/types/slice.ts";
export {
  Dict,
  type DictEntry,
  type DictOptions,
  type SetOptions as DictSetOptions,
} from "./lib/types/dict.ts";
export type { DictKey } from "./lib/wire/dict_protocol.ts";
export type { ClientOptions } from "./lib/types/client_options.ts";
export {
  type DataInfo,
  DEFAULT_LIST_PORT,
  ListServer,
  type ListServerOptions,
} from "./lib/store/list_server.ts";
export type { FsyncMode } from "./lib/store/record_log.ts";
export {
  type AnyEventHandler,
  DEFAULT_CLUSTER_PORT,
  type EmitResult,
  type EventHandler,
  type MemberEvent,
  type MemberHandler,
  type MemberInfo,
  Node,
  type NodeOptions,
  type SendOptions,
} from "./lib/cluster/node.ts";
export { DEFAULT_TIMINGS, type Timings } from "./lib/cluster/timings.ts";
export {
  type ChangeHandler,
  ValueEvent,
  ValueNode,
  type ValueNodeOptions,
} from "./lib/cluster/value_node.ts";
export { ValueWriter, type ValueWriterOptions } from "./lib/cluster/value_writer.ts";
export { adminRoutes, serveAdmin } from "./lib/cluster/admin_http.ts";
export {
  Client,
  Controller,
  type ControllerOptions,
  type PingResult,
  type StreamCallbacks,
  type StreamHandle,
  type StreamOptions as GatewayStreamOptions,
} from "./lib/gateway/controller.ts";
export {
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_POOL,
  Gateway,
  type GatewayOptions,
} from "./lib/gateway/gateway.ts";
export { DEFAULT_GATEWAY_PORT } from "./lib/wire/gateway_protocol.ts";
export { Swarm } from "./lib/gateway/swarm.ts";
export {
  GRANT_KINDS,
  type GrantKind,
  type SubroutineGrants,
} from "./lib/gateway/subroutine_permissions.ts";
export type {
  DownloadSpec,
  Progress,
  TransferOptions,
  TransferSummary,
} from "./lib/gateway/transfer.ts";
export type { Timestamp } from "./lib/cluster/hlc.ts";
export { connect, type ConnectOptions } from "./lib/net/connect.ts";
export { Connection, type ConnectionOptions } from "./lib/net/connection.ts";
export {
  type ExposureState,
  type ServeOptions,
  Server,
  type ServerStats,
} from "./lib/net/server.ts";
export type { SecurityOptions } from "./lib/net/security.ts";
export type { TlsOptions } from "./lib/net/tls.ts";
export { newToken, TOKEN_ENV, type TokenOptions } from "./lib/net/auth.ts";
export {
  type Authority,
  type CertificateRequest,
  type IssuedCertificate,
  loadAuthority,
  newAuthority,
  newCertificate,
  type Validity,
} from "./lib/net/certificates.ts";
export type {
  RequestOptions,
  Session,
  SessionOptions,
  SessionStats,
  StreamOptions,
} from "./lib/net/session.ts";
export type { WindowGrowth } from "./lib/net/stream_reader.ts";
export type { StreamReader } from "./lib/net/stream_reader.ts";
export {
  type CallContext,
  defineHandlers,
  type Handlers,
  type HandlerSpec,
  type RequestHandler,
  type StreamHandler,
} from "./lib/net/handlers.ts";
export { DEFAULT_LIMITS, DEFAULT_TIMEOUTS, type Limits, type Timeouts } from "./lib/net/limits.ts";
export {
  AuthError,
  BadArgument,
  ClockSkew,
  DataLost,
  ErrorCode,
  FrameTooLarge,
  IndexError,
  InternalError,
  LayoutMismatch,
  LimitExceeded,
  NoHandler,
  NotFound,
  PoolFullError,
  ProtocolError,
  RemoteError,
  TimeoutError,
  TypenetError,
  Unavailable,
  UnknownOperation,
  Unreachable,
  UnsupportedOperation,
  VersionMismatch,
} from "./lib/wire/errors.ts";
export { decodeValue, encodeValue } from "./lib/wire/codec.ts";
export type { ListLayout } from "./lib/wire/list_protocol.ts";
export type { ServerInfo } from "./lib/wire/messages.ts";
export { PROTOCOL_VERSION, VERSION } from "./lib/version.ts";
