/**
 * Console sessions: a browser that logged in with a token holds the
 * session's id in its `astrix_session` cookie, and the session stands for
 * the token's caller until the token's `exp`, or until it logs out. The ids
 * are 256 random bits; each session has its own CSRF token. In memory by
 * default: at most {@linkcode MAX_SESSIONS} live at once (the oldest is
 * ended to make room), expired ones swept as new ones come, and a restart
 * ends every session. Given a {@linkcode SessionShare} (the fleet's
 * database), sessions live there instead, for every proxy of the fleet.
 *
 * @example
 * ```ts
 * import { SessionStore } from "./session_store.ts";
 *
 * const sessions = new SessionStore();
 * const principal = { userId: "sup-201", role: "supervisor" as const, ext: "201" };
 * const session = await sessions.create({ principal, expiresAt: Date.now() / 1000 + 3600 });
 * (await sessions.get(session.id))?.principal; // the supervisor
 * await sessions.end(session.id);
 * await sessions.get(session.id); // undefined
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

/** Where sessions are kept for every proxy of a fleet (`../fleet/shared_sessions.ts`). */
export interface SessionShare {
  save(session: Session): Promise<void>;
  load(id: string): Promise<Session | undefined>;
  remove(id: string): Promise<void>;
}

/** Options of {@linkcode SessionStore}. */
export interface SessionStoreOptions {
  /** Keep sessions there instead of in memory. */
  shared?: SessionShare;
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
  readonly #shared?: SessionShare;
  #sweptAt = -Infinity;

  constructor(options: SessionStoreOptions = {}) {
    this.#now = options.now ?? (() => Date.now() / 1000);
    this.#limit = options.limit ?? MAX_SESSIONS;
    this.#shared = options.shared;
  }

  /** Seconds since the epoch, by the store's clock. */
  now(): number {
    return this.#now();
  }

  /** A new session for a verified token, ending when the token does. */
  async create(token: VerifiedToken): Promise<Session> {
    const session: Session = {
      id: randomSecret(32),
      csrfToken: randomSecret(32),
      principal: { ...token.principal },
      expiresAt: token.expiresAt,
    };
    if (this.#shared) {
      await this.#shared.save(session);
      return session;
    }
    this.#sweep();
    // Still full of live sessions: the oldest makes room (Maps keep insertion order).
    while (this.#sessions.size >= this.#limit) {
      this.#sessions.delete(this.#sessions.keys().next().value!);
    }
    this.#sessions.set(session.id, session);
    return session;
  }

  /** The live session of `id`, or undefined (never made, ended, expired or evicted). */
  async get(id: string): Promise<Session | undefined> {
    const session = this.#shared ? await this.#shared.load(id) : this.#sessions.get(id);
    if (session && this.#now() >= session.expiresAt) {
      await this.end(id);
      return undefined;
    }
    return session;
  }

  /** Ends a session: its cookie is refused from now on (on every proxy of a fleet). */
  async end(id: string): Promise<void> {
    this.#sessions.delete(id);
    await this.#shared?.remove(id);
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
