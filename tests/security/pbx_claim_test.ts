/**
 * Attack: a supervisor of one branch listening to another branch's calls
 * through a proxy that serves both. A token's `pbx` claim limits it to the
 * PBXs it names: a request for another PBX is 403 `not_your_pbx` with a
 * `denied` audit row and nothing sent to any PBX; channel lists and the
 * event stream show only the allowed PBXs; a job on another PBX cannot be
 * read or hung up. A malformed claim is refused like any bad claim (401
 * `invalid_claims`, no audit row), and `astrix token`'s signer refuses it.
 */

import { SignJWT } from "jose";
import { assert, assertEquals, assertMatch, assertRejects } from "../_support/assert.ts";
import { contractFetch } from "../_support/contract.ts";
import { SseReader } from "../_support/sse.ts";
import { CALLERS, TEST_SECRET } from "../_support/proxy.ts";
import { InvalidClaimError } from "../../src/proxy/errors.ts";
import { signToken } from "../../src/proxy/tokens.ts";
import { startTwoPbxProxy, type TwoPbxProxy } from "../proxy/two_pbxs.ts";

/** A token signed with the test proxy's secret, claims as given (no checks on the way). */
async function forged(claims: Record<string, unknown>): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return await new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setIssuer("astrix")
    .setAudience("astrix").setIssuedAt(now).setExpirationTime(now + 600).sign(TEST_SECRET);
}

/** Asserts a 403 not_your_pbx naming `pbx` in its one denied row, with nothing sent. */
function assertRefused(
  pbxs: TwoPbxProxy,
  answer: Awaited<ReturnType<TwoPbxProxy["request"]>>,
  pbx: string,
) {
  const where = JSON.stringify(answer.body);
  assertEquals([answer.status, answer.body.error?.code], [403, "not_your_pbx"], where);
  assertEquals(answer.sent, { floor1: [], floor2: [] }, "nothing reaches any PBX");
  const rows = pbxs.auditOf(answer.requestId);
  assertEquals(rows.map((row) => [row.outcome, row.status]), [["denied", 403]], where);
  assertEquals(JSON.parse(rows[0].detail!), { code: "not_your_pbx", pbx });
}

Deno.test("a token limited to floor1 sees and acts on floor1 only: other PBXs are 403 not_your_pbx, audited, nothing sent", async () => {
  await using pbxs = await startTwoPbxProxy();
  const floor1 = await pbxs.token({ ...CALLERS.supervisor, role: "supervisor", pbx: "floor1" });
  const channel = await pbxs.liveChannel("floor1");

  const listed = await pbxs.request("GET", "/ami/channels", { token: floor1 });
  assertEquals(listed.status, 200);
  assert(listed.body.channels.length > 0);
  assert(listed.body.channels.every((c: { pbx: string }) => c.pbx === "floor1"));
  assertEquals(listed.sent, { floor1: ["CoreShowChannels"], floor2: [] });

  assertRefused(
    pbxs,
    await pbxs.request("GET", "/ami/channels?pbx=floor2", { token: floor1 }),
    "floor2",
  );
  assertRefused(
    pbxs,
    await pbxs.request("POST", "/ami/originate/listen", {
      token: floor1,
      json: { targetChannel: channel, pbx: "floor2" },
    }),
    "floor2",
  );
  const allowed = await pbxs.request("POST", "/ami/originate/listen", {
    token: floor1,
    json: { targetChannel: channel, pbx: "floor1" },
  });
  assertEquals(allowed.status, 202, JSON.stringify(allowed.body));
  assertEquals(allowed.sent, { floor1: ["Status", "Originate"], floor2: [] });

  // An admin limited to floor1 cannot reach a floor2 job, even though admins reach any job.
  const started = await pbxs.request("POST", "/ami/originate/listen", {
    role: "supervisor",
    json: { targetChannel: channel, pbx: "floor2" },
  });
  assertEquals(started.status, 202, JSON.stringify(started.body));
  const jobId = started.body.jobId;
  const admin = await pbxs.token({ ...CALLERS.admin, role: "admin", pbx: ["floor1"] });
  assertRefused(pbxs, await pbxs.request("GET", `/ami/jobs/${jobId}`, { token: admin }), "floor2");
  assertRefused(
    pbxs,
    await pbxs.request("POST", `/ami/jobs/${jobId}/hangup`, { token: admin }),
    "floor2",
  );
  const jobs = await pbxs.request("GET", "/ami/jobs", {
    token: await pbxs.token({ ...CALLERS.supervisor, role: "supervisor", pbx: "floor1" }),
  });
  assertEquals(jobs.body.jobs.map((job: { pbx: string }) => job.pbx), ["floor1"]);

  const nowhere = await pbxs.token({ ...CALLERS.supervisor, role: "supervisor", pbx: "lab" });
  const none = await pbxs.request("GET", "/ami/channels", { token: nowhere });
  assertEquals([none.status, none.body.error.code], [403, "not_your_pbx"]);
  assertMatch(none.body.error.message, /none of this proxy's PBXs \(floor1, floor2\)/);
});

Deno.test("a token limited to floor1 gets no floor2 event on its stream", async () => {
  await using pbxs = await startTwoPbxProxy();
  const channel = await pbxs.liveChannel("floor1");
  const floor1 = await pbxs.token({ ...CALLERS.admin, role: "admin", pbx: "floor1" });
  const events = new SseReader(
    await contractFetch(`${pbxs.url}/ami/events`, {
      headers: { authorization: `Bearer ${floor1}` },
    }),
  );
  try {
    await events.next(); // retry:
    // floor2's listen first, live before floor1's starts: its events are published before.
    const other = await pbxs.request("POST", "/ami/originate/listen", {
      role: "supervisor",
      json: { targetChannel: channel, pbx: "floor2" },
    });
    await pbxs.waitForJob(other.body.jobId, (job) => job.status === "active", "floor2 live");
    const own = await pbxs.request("POST", "/ami/originate/listen", {
      role: "supervisor",
      json: { targetChannel: channel, pbx: "floor1" },
    });
    const seen: string[] = [];
    await events.until((frame) => {
      if (frame.data === undefined) return false;
      const data = JSON.parse(frame.data);
      seen.push(data.pbx);
      return frame.event === "job" && data.id === own.body.jobId && data.status === "active";
    });
    assert(seen.length > 0);
    assertEquals(seen.filter((pbx) => pbx !== "floor1"), [], "only floor1's events");
  } finally {
    await events.cancel();
  }
});

Deno.test("a malformed pbx claim is refused 401 invalid_claims with no audit row, and is never signed", async () => {
  await using pbxs = await startTwoPbxProxy();
  const base = { sub: "sup-201", role: "supervisor", ext: "201" };
  const bad: unknown[] = [
    [],
    "",
    5,
    true,
    { floor1: true },
    ["floor1", 7],
    ["Floor1"],
    "floor 1",
    "floor1\u0000admin",
    "x".repeat(33),
    "-floor1",
    Array.from({ length: 65 }, (_, i) => `f${i}`),
  ];
  for (const pbx of bad) {
    const answer = await pbxs.request("GET", "/ami/channels", {
      token: await forged({ ...base, pbx }),
    });
    const where = `pbx ${JSON.stringify(pbx)}: ${JSON.stringify(answer.body)}`;
    assertEquals([answer.status, answer.body.error.code], [401, "invalid_claims"], where);
    assertMatch(answer.body.error.message, /^The token's pbx claim /, where);
    assert(!answer.body.error.message.includes("admin"), "the value is never repeated");
    assertEquals(answer.sent, { floor1: [], floor2: [] });
    assertEquals(pbxs.auditOf(answer.requestId), [], where);
  }
  for (const pbx of ["Floor1", [] as string[], ["floor1", "a b"]]) {
    await assertRejects(
      () => signToken(TEST_SECRET, { ...base, role: "supervisor", pbx }),
      InvalidClaimError,
      "pbx claim",
    );
  }
});
