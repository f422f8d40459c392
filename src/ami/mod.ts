/**
 * The AMI protocol module: messages, the incremental parser, the client,
 * the server and typed action builders. Everything in astrix that speaks
 * AMI (proxy, mock-ami, test-client) imports it from here.
 *
 * @module
 */

export * from "./errors.ts";
export * from "./message.ts";
export * from "./parser.ts";
export * from "./client.ts";
export * from "./server.ts";
export * as actions from "./actions.ts";
export type { ListenMode, PlaybackControl } from "./actions.ts";
export {
  EVENT_GAP_NAME,
  EventGap,
  EventSubscription,
  isEventGap,
  type OverflowMode,
  type SubscriptionOptions,
} from "./event_stream.ts";
export { backoffDelay, type BackoffOptions, type ReconnectClock } from "./backoff.ts";
export {
  ACTION_WRITE_CLASSES,
  leastClassFor,
  listedActions,
  parseClasses,
  parseEventMask,
  type PermissionClass,
} from "./permissions.ts";
export {
  type AmiConn,
  type AmiListener,
  defaultTransport,
  type NetAddr,
  type TlsClientOptions,
  type TlsServerOptions,
  type Transport,
} from "./transport.ts";
export { denoTransport } from "./transport_deno.ts";
export { nodeTransport } from "./transport_node.ts";
export {
  ASTERISK_MAJORS,
  type AsteriskMajor,
  describePbx,
  identifyPbx,
  type PbxIdentity,
} from "./versions.ts";
