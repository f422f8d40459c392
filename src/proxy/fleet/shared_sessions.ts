/**
 * Console sessions kept in the fleet's database ({@linkcode SessionShare}),
 * so that a cookie made by one proxy works on every other: created, looked
 * up and ended there, never cached (a logout through one proxy ends the
 * session on all at once). Ids are stored as their SHA-256 only. A database
 * that cannot be reached is AuditUnavailableError (the same database holds
 * the audit): 503, nothing done.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { AuditUnavailableError } from "../../audit/mod.ts";
import type { Sql } from "../../audit/pg/connect.ts";
import type { Session, SessionShare } from "../session/session_store.ts";

/** Least time between two sweeps of expired sessions, in ms. */
const SWEEP_INTERVAL_MS = 60_000;

/** Console sessions in the fleet's database. */
export class SharedSessions implements SessionShare {
  readonly #sql: Sql;
  #sweptAt = -Infinity;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  save(session: Session): Promise<void> {
    return this.#reach(async () => {
      await this.#sweep();
      await this.#sql`INSERT INTO astrix_sessions (id_hash, csrf_token, principal, expires_at)
        VALUES (${hashOf(session.id)}, ${session.csrfToken}, ${JSON.stringify(session.principal)},
          ${session.expiresAt})`;
    });
  }

  load(id: string): Promise<Session | undefined> {
    return this.#reach(async () => {
      const [row] = await this.#sql`SELECT csrf_token, principal, expires_at
        FROM astrix_sessions WHERE id_hash = ${hashOf(id)}`;
      if (!row) return undefined;
      return {
        id,
        csrfToken: String(row.csrf_token),
        principal: JSON.parse(row.principal),
        expiresAt: Number(row.expires_at),
      };
    });
  }

  remove(id: string): Promise<void> {
    return this.#reach(async () => {
      await this.#sql`DELETE FROM astrix_sessions WHERE id_hash = ${hashOf(id)}`;
    });
  }

  /** Now and then, as sessions are made, those over by the database's clock go. */
  async #sweep(): Promise<void> {
    if (Date.now() - this.#sweptAt < SWEEP_INTERVAL_MS) return;
    this.#sweptAt = Date.now();
    await this.#sql`DELETE FROM astrix_sessions WHERE expires_at < extract(epoch FROM now())`;
  }

  async #reach<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw new AuditUnavailableError(
        `The fleet's database cannot be reached, so console sessions cannot be checked: ${
          (error as Error).message
        }`,
        { cause: error },
      );
    }
  }
}

function hashOf(id: string): string {
  return createHash("sha256").update(id).digest("hex");
}
