/**
 * Signing tokens the proxy accepts (HS256), for `astrix token`, `astrix dev`
 * and tests: `sub`, `role`, optional `ext` and `pbx`, `iss`, `aud`, `iat` and an
 * expiry, always. Claims the proxy would refuse (control characters, too
 * long: see `claims.ts`) are refused here too, with InvalidClaimError.
 *
 * @example
 * ```ts
 * import { signToken } from "./tokens.ts";
 *
 * const secret = new TextEncoder().encode("a secret of at least thirty-two bytes!");
 * const token = await signToken(secret, { sub: "u17", role: "supervisor", ext: "201" });
 * ```
 *
 * @module
 */

import { SignJWT } from "jose";
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER } from "./auth.ts";
import { claimProblem, pbxClaimProblem } from "./claims.ts";
import { InvalidClaimError } from "./errors.ts";
import type { Role } from "./roles.ts";

/** What a token says. */
export interface TokenClaims {
  sub: string;
  role: Role;
  ext?: string;
  /** The PBXs the token may reach (one name or several); absent: every PBX. */
  pbx?: string | readonly string[];
  /** Lifetime in seconds. Default 3,600. */
  ttlSeconds?: number;
  issuer?: string;
  audience?: string;
  /** Seconds since the epoch; default now. */
  now?: number;
}

/** An HS256 JWT for the proxy; throws InvalidClaimError for a claim the proxy would refuse. */
export async function signToken(secret: Uint8Array, claims: TokenClaims): Promise<string> {
  const identity: [string, string | undefined][] = [
    ["sub", claims.sub],
    ["role", claims.role],
    ["ext", claims.ext],
  ];
  for (const [name, value] of identity) {
    const problem = value === undefined ? undefined : claimProblem(value);
    if (problem !== undefined) throw new InvalidClaimError(name, problem);
  }
  const pbxProblem = claims.pbx === undefined ? undefined : pbxClaimProblem(claims.pbx);
  if (pbxProblem !== undefined) throw new InvalidClaimError("pbx", pbxProblem);
  const now = Math.floor(claims.now ?? Date.now() / 1000);
  const payload: Record<string, string | readonly string[]> = { role: claims.role };
  if (claims.ext !== undefined) payload.ext = claims.ext;
  if (claims.pbx !== undefined) payload.pbx = claims.pbx;
  return await new SignJWT(payload)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(claims.sub)
    .setIssuer(claims.issuer ?? DEFAULT_ISSUER)
    .setAudience(claims.audience ?? DEFAULT_AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + (claims.ttlSeconds ?? 3_600))
    .sign(secret);
}
