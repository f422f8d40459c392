/**
 * What the tampering checks (`../tamper.ts`) read from a PostgreSQL audit:
 * the same questions, asked in PostgreSQL's SQL.
 *
 * @module
 */

import type { ChainPoint } from "../anchor.ts";
import { type ChainFacts, MAX_ID, UNHASHED_SQL } from "../tamper.ts";
import type { Queries } from "./connect.ts";

/** The first chained row, where the chain starts (undefined before it has). */
export async function pgFirstChained(sql: Queries): Promise<ChainPoint | undefined> {
  const [row] =
    await sql`SELECT id, hash FROM ami_audit WHERE hash IS NOT NULL ORDER BY id LIMIT 1`;
  return row ? { id: Number(row.id), hash: String(row.hash) } : undefined;
}

/** {@linkcode ChainFacts} of a PostgreSQL audit (inside the caller's transaction, if any). */
export async function pgChainFacts(
  sql: Queries,
  recorded: ChainPoint | undefined,
): Promise<ChainFacts> {
  const [foreign] = await sql`SELECT id::text AS id FROM ami_audit
    WHERE id <= 0 OR id > ${MAX_ID} ORDER BY id LIMIT 1`;
  const first = await pgFirstChained(sql);
  const [atRecorded] = recorded
    ? await sql`SELECT hash FROM ami_audit WHERE id = ${recorded.id}`
    : [undefined];
  const [unhashed] = await sql.unsafe(UNHASHED_SQL.replace("?", "$1"), [
    (recorded ?? first)?.id ?? MAX_ID,
  ]);
  return {
    foreign: foreign?.id,
    first,
    atRecorded: atRecorded && { hash: atRecorded.hash ?? null },
    unhashed: unhashed && { id: Number(unhashed.id), outcome: unhashed.outcome ?? null },
  };
}
