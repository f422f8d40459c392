import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from "jose";
import { assertEquals, assertRejects, assertThrows } from "../_support/assert.ts";
import { serveHttp } from "../../src/http/serve.ts";
import { Authenticator, DEV_PRINCIPAL, DEV_TOKEN } from "../../src/proxy/auth.ts";
import { AuthError, ForbiddenError, ProxyConfigError } from "../../src/proxy/errors.ts";

const SECRET = new TextEncoder().encode("0123456789abcdef0123456789abcdef-test");
const NOW = 1_795_000_000; // seconds

function claims(extra: Record<string, unknown> = {}) {
  return { sub: "u17", role: "supervisor", ext: "201", ...extra };
}

async function hs256(
  payload: Record<string, unknown> = claims(),
  options: { exp?: number | null; nbf?: number; iss?: string; aud?: string; key?: Uint8Array } = {},
): Promise<string> {
  const jwt = new SignJWT(payload).setProtectedHeader({ alg: "HS256" }).setIssuedAt(NOW)
    .setIssuer(options.iss ?? "astrix").setAudience(options.aud ?? "astrix");
  if (options.exp !== null) jwt.setExpirationTime(options.exp ?? NOW + 600);
  if (options.nbf !== undefined) jwt.setNotBefore(options.nbf);
  return await jwt.sign(options.key ?? SECRET);
}

const b64url = (value: unknown) =>
  btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");

function auth(options: { devToken?: boolean } = {}) {
  return Authenticator.hs256(SECRET, { now: () => NOW, ...options });
}

async function rejectsWith(
  a: Authenticator,
  header: string | null,
  Class: typeof AuthError | typeof ForbiddenError,
  code: string,
) {
  const error = await assertRejects(() => a.verify(header), Class);
  assertEquals((error as AuthError).code, code, header ?? "no header");
}

Deno.test("Authenticator.verify gives the caller of a valid HS256 token, from sub or user_id", async () => {
  const a = auth();
  assertEquals(await a.verify(`Bearer ${await hs256()}`), {
    userId: "u17",
    role: "supervisor",
    ext: "201",
  });
  assertEquals(
    await a.verify(`bearer ${await hs256({ user_id: "seed-7", role: "qa" })}`),
    { userId: "seed-7", role: "qa", ext: null },
  );
});

Deno.test("Authenticator.verify refuses each kind of bad token with its own code", async () => {
  const a = auth();
  await rejectsWith(a, null, AuthError, "missing_token");
  await rejectsWith(a, "Basic dXNlcjpwYXNz", AuthError, "missing_token");
  await rejectsWith(a, "Bearer not.a.jwt", AuthError, "invalid_token");
  await rejectsWith(a, "Bearer garbage", AuthError, "invalid_token");
  const none = `${b64url({ alg: "none", typ: "JWT" })}.${
    b64url({ ...claims(), iss: "astrix", aud: "astrix", exp: NOW + 60 })
  }.`;
  await rejectsWith(a, `Bearer ${none}`, AuthError, "wrong_algorithm");
  await rejectsWith(
    a,
    `Bearer ${await hs256(claims(), { exp: NOW - 31 })}`,
    AuthError,
    "token_expired",
  );
  await rejectsWith(
    a,
    `Bearer ${await hs256(claims(), { nbf: NOW + 31 })}`,
    AuthError,
    "token_not_yet_valid",
  );
  await rejectsWith(
    a,
    `Bearer ${await hs256(claims(), { exp: null })}`,
    AuthError,
    "invalid_claims",
  );
  await rejectsWith(
    a,
    `Bearer ${await hs256(claims(), { iss: "someone-else" })}`,
    AuthError,
    "wrong_issuer",
  );
  await rejectsWith(
    a,
    `Bearer ${await hs256(claims(), { aud: "another-app" })}`,
    AuthError,
    "wrong_audience",
  );
  const otherKey = new TextEncoder().encode("another secret that is long enough for hs256!");
  await rejectsWith(
    a,
    `Bearer ${await hs256(claims(), { key: otherKey })}`,
    AuthError,
    "invalid_signature",
  );
  await rejectsWith(a, `Bearer ${await hs256({ role: "admin" })}`, AuthError, "invalid_claims");
  await rejectsWith(a, `Bearer ${await hs256({ sub: "u1" })}`, ForbiddenError, "missing_role");
  await rejectsWith(
    a,
    `Bearer ${await hs256({ sub: "u1", role: "root" })}`,
    ForbiddenError,
    "unknown_role",
  );
  await rejectsWith(
    a,
    `Bearer ${await hs256(claims({ ext: "201,qESuB" }))}`,
    AuthError,
    "invalid_claims",
  );
  // Within the 30 s skew: still accepted.
  assertEquals(
    (await a.verify(`Bearer ${await hs256(claims(), { exp: NOW - 29 })}`)).userId,
    "u17",
  );
});

Deno.test("Authenticator.hs256 refuses a secret shorter than 32 bytes", () => {
  assertThrows(
    () => Authenticator.hs256(new TextEncoder().encode("short")),
    ProxyConfigError,
    "at least 32",
  );
});

Deno.test("Authenticator accepts the development token only when told to", async () => {
  await rejectsWith(auth(), `Bearer ${DEV_TOKEN}`, AuthError, "dev_token_refused");
  assertEquals(await auth({ devToken: true }).verify(`Bearer ${DEV_TOKEN}`), DEV_PRINCIPAL);
});

Deno.test("Authenticator remembers a verified token until it expires", async () => {
  let now = NOW;
  const a = Authenticator.hs256(SECRET, { now: () => now });
  const token = await hs256(claims(), { exp: NOW + 60 });
  assertEquals((await a.verify(`Bearer ${token}`)).userId, "u17");
  now = NOW + 60 + 29;
  assertEquals((await a.verify(`Bearer ${token}`)).userId, "u17", "cached, within the skew");
  now = NOW + 60 + 31;
  await rejectsWith(a, `Bearer ${token}`, AuthError, "token_expired");
});

Deno.test("Authenticator.jwks verifies RS256 from a JWKS URL and refuses HS256 made with the public key", async () => {
  const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  const server = await serveHttp(() => Response.json({ keys: [jwk] }), {
    hostname: "127.0.0.1",
    port: 0,
  });
  try {
    const a = Authenticator.jwks(new URL(`${server.url}/jwks.json`), { now: () => NOW });
    const rs = await new SignJWT(claims()).setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setIssuer("astrix").setAudience("astrix").setExpirationTime(NOW + 600).sign(privateKey);
    assertEquals((await a.verify(`Bearer ${rs}`)).role, "supervisor");
    // Key confusion: an HS256 token whose "secret" is the public key's PEM.
    const pem = new TextEncoder().encode(await exportSPKI(publicKey));
    await rejectsWith(
      a,
      `Bearer ${await hs256(claims(), { key: pem })}`,
      AuthError,
      "wrong_algorithm",
    );
    // And an RS256 token against an HS256 proxy.
    await rejectsWith(auth(), `Bearer ${rs}`, AuthError, "wrong_algorithm");
  } finally {
    await server.close();
  }
});
