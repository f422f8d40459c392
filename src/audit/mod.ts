/**
 * The audit layer: the proxy appends (AuditLog on SQLite, PgAuditLog on
 * PostgreSQL), audit-query and the proxy read (AuditSource, either database)
 * and verify the hash chain.
 *
 * @module
 */

export * from "./errors.ts";
export { type AuditEntry, type AuditRow, type Outcome, OUTCOMES } from "./chain.ts";
export { type Appended, AuditLog, type AuditLogOptions } from "./log.ts";
export {
  type AuditFilter,
  type AuditPage,
  AuditReader,
  type PageOptions,
  type StatsKey,
  timestampMs,
} from "./query.ts";
export {
  type BreakKind,
  type RecordedHead,
  verifyChain,
  type VerifyOptions,
  type VerifyResult,
} from "./verify.ts";
export { anchorFile, type ChainPoint, formatPoint, parsePoint, readAnchor } from "./anchor.ts";
export { defaultKeyFile, loadKey } from "./key.ts";
export { describeUrl, isPostgresUrl } from "./pg/connect.ts";
export { type AuditSource, openAuditSource } from "./source.ts";
