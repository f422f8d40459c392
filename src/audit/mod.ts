/**
 * The SQLite audit layer: the proxy appends (AuditLog), audit-query reads
 * (AuditReader) and verifies the hash chain (verifyChain).
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
