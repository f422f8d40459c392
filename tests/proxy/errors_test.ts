import { assertEquals } from "../_support/assert.ts";
import {
  AmiDisconnectedError,
  AmiError,
  AmiInjectionError,
  AmiOutcomeUnknownError,
  AmiTimeoutError,
} from "../../src/ami/mod.ts";
import { OutcomeUnknownError, toHttpError } from "../../src/proxy/errors.ts";

Deno.test("toHttpError says whose fault it was and whether the outcome is known", () => {
  const cases: [Error, number, string][] = [
    // A value the proxy refused to send: the request's fault, nothing reached the PBX.
    [new AmiInjectionError("Data", "bad"), 400, "bad_request"],
    [new AmiDisconnectedError("Not connected"), 503, "ami_unavailable"],
    // A read whose answer was lost is safe to repeat; routes that act turn it into 504.
    [new AmiOutcomeUnknownError("Status", new Error("gone")), 503, "ami_unavailable"],
    [new OutcomeUnknownError("job_x", "may exist"), 504, "outcome_unknown"],
    [new AmiTimeoutError("Originate", 10_000), 504, "ami_timeout"],
    [new AmiError("No such thing"), 502, "ami_error"],
    [new Error("bug"), 500, "internal"],
  ];
  for (const [error, status, code] of cases) {
    const answer = toHttpError(error);
    assertEquals([answer.status, answer.code], [status, code], error.name);
  }
});
