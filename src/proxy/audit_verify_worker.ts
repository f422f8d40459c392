/**
 * The worker thread that verifies the audit's hash chain for
 * `GET /audit/verify`: `verifyChain` hashes every row synchronously (about
 * 4.5 s for a million rows), which on the proxy's main thread would stall
 * every request, event stream and the AMI link. Told `{path, keyFile}`, it
 * opens the database (a SQLite file or a `postgres://` URL) read-only, verifies it with the key and the chain start
 * recorded beside it, as `audit-query --verify` does, and answers one
 * {@linkcode VerifyAnswer}.
 *
 * Started by `audit_browser.ts`; the binaries include it (`deno compile
 * --include`, a third entrypoint of `bun build --compile`).
 *
 * @module
 */

import { anchorFile, formatPoint, loadKey, openAuditSource, readAnchor } from "../audit/mod.ts";
import { verifyReport } from "../audit/verify_report.ts";
import type { AuditVerification, VerifyAnswer, VerifyRequest } from "./audit_browser.ts";

/** The parts of a worker's global scope used here (Deno and Bun both provide them). */
interface WorkerScope {
  onmessage: ((event: MessageEvent<VerifyRequest>) => void) | null;
  postMessage(message: VerifyAnswer): void;
}

const scope = globalThis as unknown as WorkerScope;

scope.onmessage = async (event) => {
  try {
    scope.postMessage({ type: "verified", verification: await verify(event.data) });
  } catch (error) {
    scope.postMessage({ type: "failed", message: (error as Error).message });
  }
};

async function verify(request: VerifyRequest): Promise<AuditVerification> {
  const anchor = anchorFile(request.keyFile);
  const key = loadKey(request.keyFile, { create: false });
  const start = readAnchor(anchor);
  const reader = await openAuditSource(request.path);
  try {
    const result = await reader.verify(key, { start });
    const report = verifyReport(result, {
      keyFile: request.keyFile,
      keySource: "the proxy's --audit-key-file",
      anchorFile: anchor,
      startRecorded: start !== undefined,
    });
    const head = result.head && result.start
      ? {
        ...result.head,
        start: result.start,
        text: `${formatPoint(result.head)} ${formatPoint(result.start)}`,
      }
      : null;
    return {
      ok: report.code === 0,
      rows: result.rows,
      chained: result.chained,
      legacy: result.legacy,
      head,
      ...(report.code === 0 ? {} : { problem: [...report.out, ...report.err].join("; ") }),
      ...(result.firstBad
        ? { broken: { id: result.firstBad.id, kind: result.firstBad.kind } }
        : {}),
    };
  } finally {
    await reader.close();
  }
}
