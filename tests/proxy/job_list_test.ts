/**
 * `GET /ami/jobs`: the caller's own jobs, newest first, whatever the role
 * (another supervisor's and the admin's lists do not hold them), `state=live`
 * leaves out those that are over, `limit` bounds the answer, a bad query is
 * 400 naming the field, and each read is one `jobs.list` audit row.
 */

import { assertEquals } from "../_support/assert.ts";
import { assertErrorAnswer, startTestProxy } from "../_support/proxy.ts";
import { JobStore } from "../../src/proxy/jobs.ts";

Deno.test("GET /ami/jobs: own jobs only, newest first; live filter, limit, bad query, audit", async () => {
  await using px = await startTestProxy();
  const target = await px.liveChannel();
  const first = await px.listenUntilActive(target);
  const second = await px.listenUntilActive(target);
  const hangup = await px.request("POST", `/ami/jobs/${first.jobId}/hangup`, {
    role: "supervisor",
  });
  assertEquals(hangup.status, 200);
  await px.waitForJob(first.jobId, (job) => job.status === "ended", "the first listen ended");

  const all = await px.request("GET", "/ami/jobs", { role: "supervisor" });
  assertEquals(all.status, 200);
  assertEquals(all.body.jobs.map((job: { id: string }) => job.id), [second.jobId, first.jobId]);
  assertEquals(all.body.jobs[1].status, "ended");
  assertEquals(all.body.jobs[0].timeline.at(-1).status, "active");

  const live = await px.request("GET", "/ami/jobs?state=live", { role: "supervisor" });
  assertEquals(live.body.jobs.map((job: { id: string }) => job.id), [second.jobId]);
  const one = await px.request("GET", "/ami/jobs?limit=1", { role: "supervisor" });
  assertEquals(one.body.jobs.map((job: { id: string }) => job.id), [second.jobId]);

  // Not another supervisor's, not the admin's (an admin reads anyone's job by its id).
  const other = await px.token({ sub: "sup-other", role: "supervisor", ext: "203" });
  const theirs = await px.request("GET", "/ami/jobs", { token: other });
  assertEquals([theirs.status, theirs.body.jobs], [200, []]);
  const admin = await px.request("GET", "/ami/jobs", { role: "admin" });
  assertEquals(admin.body.jobs, []);

  for (const query of ["state=ended", "limit=0", "limit=201", "owner=sup-201"]) {
    const bad = await px.request("GET", `/ami/jobs?${query}`, { role: "supervisor" });
    assertErrorAnswer(bad, 400, "bad_request", query.split("=")[0]);
  }

  const rows = px.auditOf(all.requestId);
  assertEquals(
    rows.map((row) => [row.action, row.outcome, row.status, row.userId]),
    [["jobs.list", "ok", 200, "sup-201"]],
  );
  assertEquals(JSON.parse(rows[0].detail!), { count: 2 });
});

Deno.test("JobStore.ownedBy: the owner's jobs among many others, newest first, bounded", () => {
  const jobs = new JobStore({ now: () => Date.UTC(2026, 0, 1) });
  const make = (owner: string) =>
    jobs.create({
      kind: "listen",
      owner,
      ownerRole: "supervisor",
      extension: "201",
      target: "SIP/202-00000001",
      mode: "listen",
    });
  for (let i = 0; i < 10_000; i++) make(`busy-${i % 100}`);
  const mine = [make("me"), make("me"), make("me")];
  assertEquals(jobs.ownedBy("me", 10).map((job) => job.id), mine.reverse().map((job) => job.id));
  assertEquals(jobs.ownedBy("me", 2).length, 2);
  assertEquals(jobs.ownedBy("nobody", 10), []);
});
