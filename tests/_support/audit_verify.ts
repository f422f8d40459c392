/** `verifyChain` on a database file with its key file, as audit-query does it in process. */

import { AuditReader, loadKey, verifyChain } from "../../src/audit/mod.ts";

/** Verifies the chain of the database at `db` with the key in `keyFile`. */
export function verifyFile(
  db: string,
  keyFile: string,
  options: Parameters<typeof verifyChain>[2] = {},
) {
  const reader = AuditReader.open(db);
  try {
    return verifyChain(reader.db, loadKey(keyFile, { create: false }), options);
  } finally {
    reader.close();
  }
}
