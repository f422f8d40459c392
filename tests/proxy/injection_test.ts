/**
 * Header injection and malformed input through the proxy's real HTTP API:
 * CR, LF, CRLF + `Action: Originate` and NUL in every string field of every
 * POST route and in the queries of GET /recordings and GET /ami/events are
 * refused with 400 naming the field, as are unknown fields, wrong types, a
 * channel with a comma, a body that is not JSON; a body over 64 KiB gets
 * 413. None of these writes an `attempt` row, and mock-ami receives no
 * action at all from the proxy after its Login (checked on what mock-ami
 * received, not on the answers alone).
 */

import { assert, assertEquals } from "../_support/assert.ts";
import {
  type Answer,
  assertErrorAnswer,
  RECORDINGS,
  startTestProxy,
  type TestProxy,
} from "../_support/proxy.ts";

/** Values that would split an AMI header if they reached the wire. */
const PAYLOADS: Record<string, string> = {
  "CR": "\r",
  "LF": "\n",
  "CRLF + Action: Originate":
    "\r\nAction: Originate\r\nChannel: SIP/666\r\nApplication: ChanSpy\r\nData: SIP/203-00000001,qB\r\n",
  "NUL": "\0",
};

/** A valid body of each POST route (as admin: any extension may be named). */
const ROUTES: Record<string, Record<string, string>> = {
  "/ami/originate/listen": {
    targetChannel: "SIP/203-00000001",
    listenerExtension: "202",
    mode: "listen",
  },
  "/ami/originate/playback": { recordingId: RECORDINGS.of205, targetExtension: "202" },
  "/ami/control/playback": { jobId: "job_AAAAAAAAAAAAAAAAAAAAAA", control: "pause" },
};

/** Asserts a refusal that wrote no attempt row and sent nothing to the PBX. */
function assertRefused(
  px: TestProxy,
  answer: Answer,
  status: number,
  code: string,
  field?: string,
) {
  assertErrorAnswer(answer, status, code, field);
  if (field !== undefined) {
    assert(answer.body.error.message.includes(field), `the message names ${field}`);
  }
  assertEquals(px.auditOf(answer.requestId).filter((r) => r.outcome === "attempt"), []);
  assertEquals(answer.sent, [], "nothing reached mock-ami");
}

/** After everything: mock-ami saw the proxy's Login and its check of its rights, nothing else. */
function assertOnlyLogin(px: TestProxy) {
  assertEquals(px.actions.map((a) => a.get("Action")), ["Login", "ListCommands"]);
}

Deno.test("POST routes: CR, LF, CRLF + Action: Originate and NUL in any string field get 400 naming it, and no action reaches mock-ami", async (t) => {
  await using px = await startTestProxy({ recordings: "folder" });
  for (const [path, valid] of Object.entries(ROUTES)) {
    for (const field of Object.keys(valid)) {
      await t.step(`${path} ${field}`, async () => {
        for (const [name, payload] of Object.entries(PAYLOADS)) {
          for (const value of [valid[field] + payload, payload + valid[field]]) {
            const answer = await px.request("POST", path, {
              role: "admin",
              json: { ...valid, [field]: value },
            });
            assertRefused(px, answer, 400, "bad_request", field);
            assertEquals(px.auditOf(answer.requestId), [], name);
          }
        }
      });
    }
  }

  await t.step("a nested value and a field name holding CRLF", async () => {
    const listen = ROUTES["/ami/originate/listen"];
    const nested = await px.request("POST", "/ami/originate/listen", {
      role: "admin",
      json: { ...listen, targetChannel: { x: "SIP/203\r\nAction: Originate" } },
    });
    assertRefused(px, nested, 400, "bad_request", "targetChannel.x");
    const key = await px.request("POST", "/ami/originate/listen", {
      role: "admin",
      json: { ...listen, "mode\r\nAction: Originate": "listen" },
    });
    assertRefused(px, key, 400, "bad_request", "body key");
  });

  assertOnlyLogin(px);
});

Deno.test("GET /recordings and GET /ami/events: CR, LF, CRLF and NUL in a query get 400 naming it, and no action reaches mock-ami", async (t) => {
  await using px = await startTestProxy({ recordings: "folder" });
  const queries: [string, string, string][] = [
    ["/recordings", "q", "205"],
    ["/recordings", "extension", "205"],
    ["/recordings", "from", "24h"],
    ["/recordings", "cursor", "abc"],
    ["/ami/events", "job", "job_AAAAAAAAAAAAAAAAAAAAAA"],
    ["/ami/events", "event", "Hangup"],
  ];
  for (const [path, param, valid] of queries) {
    await t.step(`${path}?${param}=`, async () => {
      for (const [name, payload] of Object.entries(PAYLOADS)) {
        const answer = await px.request(
          "GET",
          `${path}?${param}=${encodeURIComponent(valid + payload)}`,
          { role: "admin" },
        );
        assertRefused(px, answer, 400, "bad_request", `query.${param}`);
        assertEquals(px.auditOf(answer.requestId), [], name);
      }
    });
  }

  await t.step("a query parameter name holding CRLF", async () => {
    for (const path of ["/recordings", "/ami/events"]) {
      const answer = await px.request(
        "GET",
        `${path}?${encodeURIComponent("q\r\nAction: Originate")}=1`,
        { role: "admin" },
      );
      assertRefused(px, answer, 400, "bad_request", "query key");
    }
  });

  await t.step("a job id holding CRLF in the path: 404, nothing sent", async () => {
    const id = encodeURIComponent("job_A\r\nAction: Originate");
    for (const [method, path] of [["GET", `/ami/jobs/${id}`], ["POST", `/ami/jobs/${id}/hangup`]]) {
      const answer = await px.request(method, path, { role: "admin" });
      assertRefused(px, answer, 404, "not_found");
    }
  });

  assertOnlyLogin(px);
});

Deno.test("POST routes: unknown fields, wrong types, a comma in a channel, non-JSON and oversized bodies are refused before any attempt", async (t) => {
  await using px = await startTestProxy({ recordings: "folder" });
  const listen = ROUTES["/ami/originate/listen"];

  await t.step("unknown fields: 400 naming the field", async () => {
    for (const [path, valid] of Object.entries(ROUTES)) {
      const answer = await px.request("POST", path, {
        role: "admin",
        json: { ...valid, application: "System" },
      });
      assertRefused(px, answer, 400, "bad_request", "application");
    }
  });

  await t.step("wrong types: 400 naming the field", async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ["/ami/originate/listen", { ...listen, targetChannel: 202 }, "targetChannel"],
      ["/ami/originate/listen", { ...listen, listenerExtension: 202 }, "listenerExtension"],
      ["/ami/originate/listen", { ...listen, mode: ["listen"] }, "mode"],
      ["/ami/originate/listen", { ...listen, mode: "spy" }, "mode"],
      ["/ami/originate/playback", { recordingId: null }, "recordingId"],
      ["/ami/originate/playback", { recordingId: "../../etc/passwd" }, "recordingId"],
      ["/ami/control/playback", { jobId: "job_A", control: true }, "control"],
      ["/ami/control/playback", { jobId: 7, control: "pause" }, "jobId"],
      ["/ami/control/playback", { control: "pause" }, "jobId"],
    ];
    for (const [path, json, field] of cases) {
      const answer = await px.request("POST", path, { role: "admin", json });
      assertRefused(px, answer, 400, "bad_request", field);
    }
    for (const json of [[listen], "SIP/203-00000001", null]) {
      const answer = await px.request("POST", "/ami/originate/listen", { role: "admin", json });
      assertRefused(px, answer, 400, "bad_request", "body");
    }
  });

  await t.step("a channel or extension with a comma or blank: 400", async () => {
    for (
      const targetChannel of ["SIP/202,qB", "SIP/202-00000001,qB", "SIP/202 x", "SIP/${EXTEN}"]
    ) {
      const answer = await px.request("POST", "/ami/originate/listen", {
        role: "admin",
        json: { ...listen, targetChannel },
      });
      assertRefused(px, answer, 400, "bad_request", "targetChannel");
    }
    const answer = await px.request("POST", "/ami/originate/listen", {
      role: "admin",
      json: { ...listen, listenerExtension: "202,B" },
    });
    assertRefused(px, answer, 400, "bad_request", "listenerExtension");
  });

  await t.step("a body that is not JSON, or not sent as JSON: 400", async () => {
    for (const path of Object.keys(ROUTES)) {
      const garbled = await px.request("POST", path, {
        role: "admin",
        body: '{"targetChannel": "SIP/203-00000001",',
        headers: { "content-type": "application/json" },
      });
      assertRefused(px, garbled, 400, "bad_request", "body");
      const form = await px.request("POST", path, {
        role: "admin",
        body: new URLSearchParams(ROUTES[path]),
      });
      assertRefused(px, form, 400, "bad_request", "body");
    }
  });

  await t.step("a body over 64 KiB: 413, with or without Content-Length", async () => {
    const big = JSON.stringify({ ...listen, pad: "x".repeat(64 * 1024) });
    for (const path of Object.keys(ROUTES)) {
      const sized = await px.request("POST", path, {
        role: "admin",
        body: big,
        headers: { "content-type": "application/json" },
      });
      assertRefused(px, sized, 413, "too_large");
      const bytes = new TextEncoder().encode(big);
      const chunked = await px.request("POST", path, {
        role: "admin",
        // A stream has no length: it is sent chunked and the limit applies while reading.
        body: new ReadableStream({
          start(controller) {
            for (let i = 0; i < bytes.length; i += 8 * 1024) {
              controller.enqueue(bytes.subarray(i, i + 8 * 1024));
            }
            controller.close();
          },
        }),
        headers: { "content-type": "application/json" },
      });
      assertRefused(px, chunked, 413, "too_large");
    }
  });

  assertOnlyLogin(px);
});
