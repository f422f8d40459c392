/**
 * What the proxy does with the audit writer's reports: counts them in the
 * metrics and logs each change of state once, saying what to do (a main
 * file that cannot be written, the worker stopped and started again, rows
 * committed after their requests were refused).
 *
 * @module
 */

import type { AuditWriterEvent } from "../audit/worker_writer.ts";
import type { Logger } from "../log.ts";
import type { ProxyMetrics } from "./metrics.ts";

/** The `onEvent` of the proxy's {@linkcode AuditWriter}. */
export function auditEventHandler(
  metrics: ProxyMetrics,
  logger: Logger,
): (event: AuditWriterEvent) => void {
  let failing = false;
  return (event) => {
    switch (event.kind) {
      case "checkpoint":
        if (event.report.ok) {
          metrics.auditWalPending.set(event.report.pending);
          if (failing) logger.info("audit main file written again: its WAL is copied into it");
          failing = false;
        } else {
          metrics.auditCheckpointFailures.inc();
          if (!failing) {
            logger.error(`audit checkpoint failed: ${event.problem?.reason}`, {
              fix: event.problem?.fix,
            });
          }
          failing = true;
        }
        return;
      case "worker-crashed":
        logger.error("audit worker stopped: starting it again", { error: event.error });
        return;
      case "worker-restarted":
        metrics.auditWorkerRestarts.inc();
        logger.info("audit worker started again");
        return;
      case "late-commit":
        logger.warn(
          "audit rows committed after their requests were refused (503): the disk was slow",
          { rows: event.rows },
        );
        return;
    }
  };
}
