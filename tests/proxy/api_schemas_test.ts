/**
 * The response schemas of src/proxy/api/schemas.ts (the OpenAPI document's
 * source) hold for the proxy's real answers: a listen started, a job read
 * and hung up, the channel list, readiness, health, an error. Strict: a
 * field the schema does not name fails the parse.
 */

import { assert, assertEquals } from "../_support/assert.ts";
import {
  channelList,
  errorBody,
  health,
  jobAnswer,
  jobStarted,
  readiness,
} from "../../src/proxy/api/schemas.ts";
import { startTestProxy } from "../_support/proxy.ts";

Deno.test("the proxy's answers parse with the API's response schemas, unknown fields refused", async () => {
  await using px = await startTestProxy();
  const parsed = (
    schema: { safeParse(v: unknown): { success: boolean; error?: unknown } },
    body: unknown,
  ) => {
    const result = schema.safeParse(body);
    assert(result.success, `${JSON.stringify(body)}: ${String(result.error)}`);
  };
  parsed(health, (await px.request("GET", "/healthz")).body);
  parsed(readiness, (await px.request("GET", "/readyz")).body);
  parsed(channelList, (await px.request("GET", "/ami/channels", { role: "supervisor" })).body);
  const target = await px.liveChannel();
  const started = await px.request("POST", "/ami/originate/listen", {
    role: "supervisor",
    json: { targetChannel: target },
  });
  assertEquals(started.status, 202);
  parsed(jobStarted, started.body);
  const jobId = started.body.jobId;
  parsed(jobAnswer, (await px.request("GET", `/ami/jobs/${jobId}`, { role: "supervisor" })).body);
  const hungUp = await px.request("POST", `/ami/jobs/${jobId}/hangup`, { role: "supervisor" });
  parsed(jobAnswer, hungUp.body);
  const refused = await px.request("GET", "/ami/channels", { role: "user" });
  assertEquals(refused.status, 403);
  parsed(errorBody, refused.body);
  // Strict: an answer with a field the contract does not name is not the contract's.
  assert(!health.safeParse({ status: "ok", extra: 1 }).success);
});
