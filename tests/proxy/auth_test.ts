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
  options: {
    exp?: number | null;
    iat?: number | null;
    nbf?: number;
    iss?: string;
    aud?: string;
    key?: Uint8Array;
  } = {},
): Promise<string> {
  const jwt = new SignJWT(payload).setProtectedHeader({ alg: "HS256" })
    .setIssuer(options.iss ?? "astrix").setAudience(options.aud ?? "astrix");
  if (options.iat !== null) jwt.setIssuedAt(options.iat ?? NOW);
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

Deno.test("Authenticator.verify refuses an iat beyond the clock skew and a lifetime over the maximum", async () => {
  const a = auth();
  const refused: [string, { iat?: number | null; exp: number }, string][] = [
    ["iat 31 s ahead", { iat: NOW + 31, exp: NOW + 600 }, "token_issued_in_future"],
    ["exp - iat one second over 24 h", { exp: NOW + 86_401 }, "token_lifetime_too_long"],
    ["exp 1e300", { exp: 1e300 }, "token_lifetime_too_long"],
    [
      "no iat, exp 24 h and 31 s ahead",
      { iat: null, exp: NOW + 86_431 },
      "token_lifetime_too_long",
    ],
    [
      "iat long ago, exp soon",
      { iat: NOW - 30 * 86_400, exp: NOW + 60 },
      "token_lifetime_too_long",
    ],
  ];
  for (const [what, times, code] of refused) {
    const token = await hs256(claims(), times);
    const error = await assertRejects(() => a.verify(`Bearer ${token}`), AuthError);
    assertEquals((error as AuthError).code, code, what);
  }
  for (
    const times of [{ iat: NOW + 30, exp: NOW + 600 }, { exp: NOW + 86_400 }, {
      iat: null,
      exp: NOW + 86_430,
    }]
  ) {
    assertEquals((await a.verify(`Bearer ${await hs256(claims(), times)}`)).userId, "u17");
  }
  const short = Authenticator.hs256(SECRET, { now: () => NOW, maxTokenLifetimeSeconds: 3_600 });
  const error = await assertRejects(
    async () => short.verify(`Bearer ${await hs256(claims(), { exp: NOW + 7_200 })}`),
    AuthError,
  );
  assertEquals(
    error.message,
    "The token is valid for 2 h (exp - iat); this proxy accepts at most 1 h (--max-token-lifetime): sign a shorter one",
  );
  assertThrows(() => Authenticator.hs256(SECRET, { maxTokenLifetimeSeconds: 0 }), ProxyConfigError);
});

Deno.test("Authenticator.verify refuses sub, user_id, role or ext with a control character as 401 invalid_claims, without repeating it", async () => {
  const a = auth();
  for (const claim of ["sub", "user_id", "role", "ext"]) {
    const value = claim === "role" ? "admin\u0000" : "201\u001b[2J";
    const payload: Record<string, unknown> = { ...claims(), [claim]: value };
    if (claim === "user_id") delete payload.sub;
    const error = await assertRejects(
      async () => a.verify(`Bearer ${await hs256(payload)}`),
      AuthError,
    );
    assertEquals(error.code, "invalid_claims", claim);
    assertEquals(error.message.includes(value), false, error.message);
    assertEquals(
      error.message.startsWith(`The token's ${claim} claim has a control character (U+`),
      true,
      error.message,
    );
  }
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
