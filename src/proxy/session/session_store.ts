/**
 * Console sessions, in memory: a browser that logged in with a token holds
 * the session's id in its `astrix_session` cookie, and the session stands
 * for the token's caller until the token's `exp`, or until it logs out. The
 * ids are 256 random bits; each session has its own CSRF token. At most
 * {@linkcode MAX_SESSIONS} live at once (the oldest is ended to make room);
 * expired ones are swept as new ones come. A restart ends every session.
 *
 * @example
 * ```ts
 * import { SessionStore } from "./session_store.ts";
 *
 * const sessions = new SessionStore();
 * const principal = { userId: "sup-201", role: "supervisor" as const, ext: "201" };
 * const session = sessions.create({ principal, expiresAt: Date.now() / 1000 + 3600 });
 * sessions.get(session.id)?.principal; // the supervisor
 * sessions.end(session.id);
 * sessions.get(session.id); // undefined
 * ```
 *
 * @module
 */

import type { Principal, VerifiedToken } from "../auth.ts";
import { randomSecret } from "./secrets.ts";

/** Most sessions alive at once. */
export const MAX_SESSIONS = 10_000;
/** Least time between two sweeps of expired sessions, in seconds. */
const SWEEP_INTERVAL_S = 60;

/** A console session. */
export interface Session {
  /** 256 random bits, base64url: the cookie's value. */
  readonly id: string;
  /** 256 random bits, base64url: what `X-Astrix-CSRF` must carry. */
  readonly csrfToken: string;
  readonly principal: Readonly<Principal>;
  /** When it ends: the token's `exp`, in seconds since the epoch. */
  readonly expiresAt: number;
}

/** Options of {@linkcode SessionStore}. */
export interface SessionStoreOptions {
  /** Seconds since the epoch (the clock tokens are checked with); default the system clock. */
  now?: () => number;
  /** Most sessions alive at once; default {@linkcode MAX_SESSIONS}. */
  limit?: number;
}

/** The live console sessions, by id. */
export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #now: () => number;
  readonly #limit: number;
  #sweptAt = -Infinity;

  constructor(options: SessionStoreOptions = {}) {
    this.#now = options.now ?? (() => Date.now() / 1000);
    this.#limit = options.limit ?? MAX_SESSIONS;
  }

  /** Seconds since the epoch, by the store's clock. */
  now(): number {
    return this.#now();
  }

  /** A new session for a verified token, ending when the token does. */
  create(token: VerifiedToken): Session {
    this.#sweep();
    // Still full of live sessions: the oldest makes room (Maps keep insertion order).
    while (this.#sessions.size >= this.#limit) {
      this.#sessions.delete(this.#sessions.keys().next().value!);
    }
    const session: Session = {
      id: randomSecret(32),
      csrfToken: randomSecret(32),
      principal: { ...token.principal },
      expiresAt: token.expiresAt,
    };
    this.#sessions.set(session.id, session);
    return session;
  }

  /** The live session of `id`, or undefined (never made, ended, expired or evicted). */
  get(id: string): Session | undefined {
    const session = this.#sessions.get(id);
    if (session && this.#now() >= session.expiresAt) {
      this.#sessions.delete(id);
      return undefined;
    }
    return session;
  }

  /** Ends a session: its cookie is refused from now on. */
  end(id: string): void {
    this.#sessions.delete(id);
  }

  /** How many sessions are kept (live, or expired and not swept yet). */
  get size(): number {
    return this.#sessions.size;
  }

  #sweep(): void {
    const now = this.#now();
    if (this.#sessions.size < this.#limit && now - this.#sweptAt < SWEEP_INTERVAL_S) return;
    this.#sweptAt = now;
    for (const [id, session] of this.#sessions) {
      if (now >= session.expiresAt) this.#sessions.delete(id);
    }
  }
}
