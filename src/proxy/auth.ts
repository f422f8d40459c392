/**
 * Bearer tokens: verified with `jose` under a pinned algorithm (HS256 with a
 * secret of at least 32 bytes, or RS256/ES256 keys from a JWKS URL; never
 * `none`, never one family accepted for the other), with `exp` required,
 * `nbf` honoured, `iss` and `aud` checked, 30 s of clock skew, an `iat` no
 * further in the future than that skew and a lifetime (`exp - iat`, or
 * `exp - now` without `iat`) of at most 24 h by default. The claims give the
 * caller: `sub` (or the seed's `user_id`), `role`, optional `ext`, each plain
 * text that logs and the audit keep exactly (see `claims.ts`), checked before
 * anything is logged or audited, and optional `pbx`, the PBXs it may reach.
 * A verified token is remembered until it expires, so that a client's
 * repeated requests cost one signature check.
 *
 * @example
 * ```ts
 * import { Authenticator } from "./auth.ts";
 *
 * const auth = Authenticator.hs256(new TextEncoder().encode("a secret of at least thirty-two bytes!"));
 * const caller = await auth.verify("Bearer eyJ...").catch((error) => error); // AuthError: invalid_token
 * ```
 *
 * @module
 */

import { createRemoteJWKSet, type JWTPayload, jwtVerify, type JWTVerifyGetKey } from "jose";
import { claimProblem, IDENTITY_CLAIMS, MAX_CLAIM_CHARS, pbxClaimProblem } from "./claims.ts";
import { AuthError, ForbiddenError, ProxyConfigError } from "./errors.ts";
import { isRole, type Role } from "./roles.ts";

/** Who is calling. */
export interface Principal {
  userId: string;
  role: Role;
  /** The caller's own phone: where its listens and playbacks ring. */
  ext: string | null;
  /** The PBXs the token is limited to (claim `pbx`); absent: every PBX. */
  pbx?: readonly string[];
}

/** A verified token: its caller, and when it stops being valid (seconds since the epoch). */
export interface VerifiedToken {
  principal: Principal;
  /** The token's `exp`; for the development token, which has none, now plus the longest lifetime. */
  expiresAt: number;
}

/** The seed's development token, accepted only when the proxy is told to. */
export const DEV_TOKEN = "test-token-for-local-dev";
/** Who the development token stands for. */
export const DEV_PRINCIPAL: Readonly<Principal> = { userId: "dev", role: "admin", ext: "201" };

/** Default `iss` and `aud` a token must carry. */
export const DEFAULT_ISSUER = "astrix";
export const DEFAULT_AUDIENCE = "astrix";
/** The shortest HS256 secret the proxy accepts (RFC 7518 §3.2: the hash's size). */
export const MIN_SECRET_BYTES = 32;
/** How far clocks may disagree, in seconds (`exp`, `nbf`, `iat`). */
export const CLOCK_SKEW_S = 30;
/** The longest token lifetime accepted by default, in seconds (24 h). */
export const DEFAULT_MAX_TOKEN_LIFETIME_S = 86_400;

/** Options common to both kinds of key. */
export interface AuthOptions {
  issuer?: string;
  audience?: string;
  /** Accept {@linkcode DEV_TOKEN} (simulate mode and `astrix dev` only). */
  devToken?: boolean;
  /** Longest lifetime (`exp - iat`, or `exp - now` without `iat`) accepted, in seconds; default 24 h. */
  maxTokenLifetimeSeconds?: number;
  /** Seconds since the epoch, for tests. */
  now?: () => number;
}

const CACHE_LIMIT = 10_000;
const EXTENSION = /^[0-9A-Za-z_*#+-]{1,32}$/;

/** Verifies `Authorization: Bearer` headers. */
export class Authenticator {
  readonly #key: Uint8Array | JWTVerifyGetKey;
  readonly #algorithms: string[];
  readonly #issuer: string;
  readonly #audience: string;
  readonly #devToken: boolean;
  readonly #maxLifetime: number;
  readonly #now: () => number;
  /** Verified tokens and when they stop being valid (s). */
  readonly #cache = new Map<string, { verified: VerifiedToken; until: number }>();

  private constructor(
    key: Uint8Array | JWTVerifyGetKey,
    algorithms: string[],
    options: AuthOptions,
  ) {
    this.#key = key;
    this.#algorithms = algorithms;
    this.#issuer = options.issuer ?? DEFAULT_ISSUER;
    this.#audience = options.audience ?? DEFAULT_AUDIENCE;
    this.#devToken = options.devToken ?? false;
    this.#maxLifetime = options.maxTokenLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_S;
    if (!(this.#maxLifetime > 0)) {
      throw new ProxyConfigError(
        `The longest token lifetime must be more than 0 seconds, not ${this.#maxLifetime}`,
      );
    }
    this.#now = options.now ?? (() => Date.now() / 1000);
  }

  /** The longest token lifetime accepted, in seconds. */
  get maxTokenLifetimeSeconds(): number {
    return this.#maxLifetime;
  }

  /** HS256 with a shared secret; throws ProxyConfigError if it is shorter than 32 bytes. */
  static hs256(secret: Uint8Array, options: AuthOptions = {}): Authenticator {
    if (secret.length < MIN_SECRET_BYTES) {
      throw new ProxyConfigError(
        `The JWT secret is ${secret.length} bytes; HS256 needs at least ${MIN_SECRET_BYTES} ` +
          "(generate one with: openssl rand -base64 48)",
      );
    }
    return new Authenticator(secret, ["HS256"], options);
  }

  /** RS256/ES256 with the keys an identity provider publishes at `url`. */
  static jwks(url: URL, options: AuthOptions = {}): Authenticator {
    return new Authenticator(createRemoteJWKSet(url), ["RS256", "ES256"], options);
  }

  /** Is the development token accepted? */
  get devTokenEnabled(): boolean {
    return this.#devToken;
  }

  /** The caller of a request, from its Authorization header; throws AuthError or ForbiddenError. */
  async verify(authorization: string | null | undefined): Promise<Principal> {
    const token = authorization?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
    if (!token) {
      throw new AuthError(
        "missing_token",
        "Send the token as Authorization: Bearer <token>",
      );
    }
    return (await this.verifyToken(token)).principal;
  }

  /** A token's caller and expiry, checked as {@linkcode verify} checks it; throws the same errors. */
  async verifyToken(token: string): Promise<VerifiedToken> {
    const now = this.#now();
    if (token === DEV_TOKEN) {
      if (this.#devToken) {
        return { principal: { ...DEV_PRINCIPAL }, expiresAt: now + this.#maxLifetime };
      }
      throw new AuthError(
        "dev_token_refused",
        "The development token is accepted only by `astrix dev` or a proxy in simulate mode started with --dev-token",
      );
    }
    const cached = this.#cache.get(token);
    if (cached && now < cached.until) return cached.verified;
    if (cached) this.#cache.delete(token);

    const payload = await this.#verifySignature(token);
    checkTimes(payload, now, this.#maxLifetime);
    const exp = payload.exp as number;
    const verified = { principal: principalOf(payload), expiresAt: exp };
    this.#remember(token, verified, exp + CLOCK_SKEW_S, now);
    return verified;
  }

  async #verifySignature(token: string): Promise<JWTPayload> {
    try {
      const options = {
        algorithms: this.#algorithms,
        issuer: this.#issuer,
        audience: this.#audience,
        clockTolerance: CLOCK_SKEW_S,
        requiredClaims: ["exp"],
        currentDate: new Date(this.#now() * 1000),
      };
      // Two calls because jose's overloads take a key or a key getter, not either.
      const { payload } = this.#key instanceof Uint8Array
        ? await jwtVerify(token, this.#key, options)
        : await jwtVerify(token, this.#key, options);
      return payload;
    } catch (error) {
      throw authErrorOf(error, this.#algorithms);
    }
  }

  #remember(token: string, verified: VerifiedToken, until: number, now: number): void {
    if (this.#cache.size >= CACHE_LIMIT) {
      for (const [key, entry] of this.#cache) if (entry.until <= now) this.#cache.delete(key);
      // Still full of live tokens: forget the oldest.
      if (this.#cache.size >= CACHE_LIMIT) this.#cache.delete(this.#cache.keys().next().value!);
    }
    this.#cache.set(token, { verified, until });
  }
}

/** Refuses an `iat` in the future and a lifetime over `maxLifetime` (s). */
function checkTimes(payload: JWTPayload, now: number, maxLifetime: number): void {
  // jose has checked that exp, and iat if present, are numbers.
  const exp = payload.exp as number;
  const iat = payload.iat;
  if (iat !== undefined && iat > now + CLOCK_SKEW_S) {
    throw new AuthError(
      "token_issued_in_future",
      `The token's iat is ${Math.round(iat - now)} s in the future (clocks may differ by ` +
        `${CLOCK_SKEW_S} s): check the issuer's clock`,
    );
  }
  // Without iat, the token's age is unknown: what is left of it, give or take the skew.
  const lifetime = iat !== undefined ? exp - iat : exp - now;
  if (lifetime > maxLifetime + (iat !== undefined ? 0 : CLOCK_SKEW_S)) {
    throw new AuthError(
      "token_lifetime_too_long",
      `The token is valid for ${describeLifetime(lifetime)} ` +
        `(${
          iat !== undefined ? "exp - iat" : "exp - now, it has no iat"
        }); this proxy accepts at most ` +
        `${describeLifetime(maxLifetime)} (--max-token-lifetime): sign a shorter one`,
    );
  }
}

/** `90 s`, `8 h`, `1.0e+300 s`: a lifetime in words. */
export function describeLifetime(seconds: number): string {
  if (!Number.isSafeInteger(Math.round(seconds))) return `${seconds.toExponential(1)} s`;
  if (seconds > 172_800 && seconds % 86_400 === 0) return `${seconds / 86_400} d`;
  if (seconds >= 3_600 && seconds % 3_600 === 0) return `${seconds / 3_600} h`;
  return `${Math.round(seconds)} s`;
}

/** Refuses identity claims that logs and the audit could not keep exactly (see claims.ts). */
function checkIdentityClaims(payload: JWTPayload): void {
  for (const claim of IDENTITY_CLAIMS) {
    const value = payload[claim];
    if (typeof value !== "string") continue; // absent or of the wrong type: principalOf says
    const problem = claimProblem(value);
    if (problem !== undefined) {
      throw new AuthError(
        "invalid_claims",
        `The token's ${claim} claim ${problem}: claims must be plain text of at most ` +
          `${MAX_CLAIM_CHARS} characters without control characters`,
      );
    }
  }
}

function principalOf(payload: JWTPayload): Principal {
  checkIdentityClaims(payload);
  const userId = payload.sub ?? payload.user_id;
  if (typeof userId !== "string" || userId === "") {
    throw new AuthError("invalid_claims", "The token names no user (claim sub or user_id)");
  }
  if (payload.role === undefined) {
    throw new ForbiddenError("missing_role", "The token carries no role (claim role)");
  }
  if (!isRole(payload.role)) {
    throw new ForbiddenError(
      "unknown_role",
      `The token's role "${String(payload.role)}" is not one of user, qa, supervisor, admin`,
    );
  }
  const ext = payload.ext;
  if (ext !== undefined && (typeof ext !== "string" || !EXTENSION.test(ext))) {
    throw new AuthError("invalid_claims", "The token's ext claim is not an extension");
  }
  const principal: Principal = { userId, role: payload.role, ext: ext ?? null };
  if (payload.pbx === undefined) return principal;
  const problem = pbxClaimProblem(payload.pbx);
  if (problem !== undefined) {
    throw new AuthError("invalid_claims", `The token's pbx claim ${problem}`);
  }
  return { ...principal, pbx: [payload.pbx as string | string[]].flat() };
}

function authErrorOf(error: unknown, algorithms: string[]): AuthError {
  const e = error as { code?: string; claim?: string };
  switch (e?.code) {
    case "ERR_JWT_EXPIRED":
      return new AuthError("token_expired", "The token has expired: sign in again", {
        cause: error,
      });
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      if (e.claim === "nbf") {
        return new AuthError("token_not_yet_valid", "The token is not valid yet (nbf)", {
          cause: error,
        });
      }
      if (e.claim === "iss") {
        return new AuthError("wrong_issuer", "The token was issued for another issuer (iss)", {
          cause: error,
        });
      }
      if (e.claim === "aud") {
        return new AuthError("wrong_audience", "The token is meant for another audience (aud)", {
          cause: error,
        });
      }
      if (e.claim === "exp") {
        return new AuthError("invalid_claims", "The token has no expiry (exp)", { cause: error });
      }
      return new AuthError("invalid_claims", `The token's ${e.claim} claim is wrong`, {
        cause: error,
      });
    case "ERR_JOSE_ALG_NOT_ALLOWED":
      return new AuthError(
        "wrong_algorithm",
        `The token's algorithm is not accepted here (only ${algorithms.join(", ")})`,
        { cause: error },
      );
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
    case "ERR_JWKS_NO_MATCHING_KEY":
      return new AuthError("invalid_signature", "The token's signature does not verify", {
        cause: error,
      });
    default:
      return new AuthError("invalid_token", "The token is not a valid JWT", { cause: error });
  }
}
