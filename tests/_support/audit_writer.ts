/**
 * A writer process for the audit tests: appends rows to a database and
 * prints each committed row's id, one line per append, as soon as append()
 * has returned.
 *
 *   deno run -A tests/_support/audit_writer.ts <db> <key file> <count> <writer name>
 */

import { writeSync } from "node:fs";
import { AuditLog } from "../../src/audit/log.ts";

const [db, keyFile, count, name] = Deno.args;
const log = AuditLog.open(db, { keyFile });
for (let i = 0; i < Number(count); i++) {
  const { id } = log.append({
    userId: name,
    role: "supervisor",
    action: "listen",
    target: `SIP/2${String(i % 100).padStart(2, "0")}-0000000a`,
    outcome: i % 2 ? "ok" : "attempt",
    detail: { writer: name, n: i },
  });
  writeSync(1, `${id}\n`); // unbuffered: a printed id is a committed row
}
log.close();
