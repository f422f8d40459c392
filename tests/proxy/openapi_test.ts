/**
 * The OpenAPI document is complete, valid and in step with the code: a real
 * OpenAPI validator accepts it, it lists exactly the routes the Hono app
 * serves, every example in it validates against its own schema, every error
 * code the proxy can raise is listed, request bodies refuse unknown fields as
 * the document says (and the proxy does refuse them), the committed
 * docs/openapi.json is what the code generates, and the contract check the
 * whole proxy suite runs under refuses answers the document does not allow.
 */

import { Validator } from "@seriousme/openapi-schema-validator";
import { assert, assertEquals, assertMatch, assertThrows } from "../_support/assert.ts";
import { checkAnswer, ContractViolation, theContract } from "../_support/contract.ts";
import { startTestProxy } from "../_support/proxy.ts";
import { openApiDocument, openApiJson } from "../../src/proxy/api/openapi.ts";
import { openApiPath } from "../../src/proxy/api/operations.ts";
import { createProxyApp, type ProxyDeps } from "../../src/proxy/app.ts";

// deno-lint-ignore no-explicit-any
type Json = any;
const METHODS = ["get", "head", "post", "put", "patch", "delete", "options"];

/** Every operation of the document as [path, method, operation]. */
function operations(document: Json): [string, string, Json][] {
  return Object.entries(document.paths as Record<string, Json>).flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map((method) =>
      [path, method, item[method]] as [string, string, Json]
    )
  );
}

/** A JSON pointer segment. */
function segment(key: string): string {
  return key.replaceAll("~", "~0").replaceAll("/", "~1");
}

Deno.test("openapi: the document is valid OpenAPI 3.1 for a real validator", async () => {
  const validator = new Validator();
  // What clients download: the serialized document.
  const result = await validator.validate(JSON.parse(openApiJson()));
  assert(result.valid, `not valid OpenAPI: ${JSON.stringify(result.errors, null, 2)}`);
  assertEquals(validator.version, "3.1");
});

Deno.test("openapi: docs/openapi.json is what the code generates (`deno task openapi`)", async () => {
  const committed = await Deno.readTextFile(new URL("../../docs/openapi.json", import.meta.url));
  assert(committed === openApiJson(), "docs/openapi.json is stale: run `deno task openapi`");
});

Deno.test("openapi: every route the app serves is in the document, and nothing else", () => {
  // Routes are registered without touching the dependencies (they are used per request).
  const app = createProxyApp({} as ProxyDeps);
  const served = new Set(
    app.routes.filter((route) => route.method !== "ALL").map((route) =>
      `${route.method.toLowerCase()} ${openApiPath(route.path)}`
    ),
  );
  const documented = new Set(
    operations(openApiDocument()).map(([path, method]) => `${method} ${path}`),
  );
  for (const route of served) assert(documented.has(route), `${route} is served, not documented`);
  for (const operation of documented) {
    // Hono answers HEAD with the GET route: a documented HEAD needs the GET.
    const route = operation.replace(/^head /, "get ");
    assert(served.has(route), `${operation} is documented, not served`);
  }
  assert(served.size >= 15, `only ${served.size} routes found: is the route table read right?`);
});

Deno.test("openapi: every operation says who may call it and answers every error it can", () => {
  for (const [path, method, operation] of operations(openApiDocument())) {
    const where = `${method} ${path}`;
    assert(operation.operationId, `${where}: no operationId`);
    assert(operation.summary && operation.description, `${where}: no summary or description`);
    const statuses = Object.keys(operation.responses);
    for (const status of ["405", "431", "500"]) {
      assert(statuses.includes(status), `${where}: ${status} is not listed`);
    }
    if (operation.security?.length === 0) {
      assertEquals(operation["x-roles"], undefined, `${where}: roles on an open route`);
      continue;
    }
    if (operation.security?.length) {
      // The console's own session routes: the cookie alone, for whoever logged in.
      assertEquals(operation.security, [{ session: [] }], `${where}: security`);
      assertEquals(operation["x-roles"], undefined, `${where}: roles on a session route`);
      assert(
        operation.responses["401"]["x-error-codes"].includes("no_session"),
        `${where}: 401 without no_session`,
      );
      continue;
    }
    assert(operation["x-roles"]?.length > 0, `${where}: no x-roles`);
    assertMatch(operation.description, /\*\*Roles:\*\*/, `${where}: roles not in the description`);
    for (const status of ["401", "403", "503"]) {
      assert(statuses.includes(status), `${where}: ${status} is not listed`);
    }
    assert(
      operation.responses["401"]["x-error-codes"].includes("token_expired"),
      `${where}: 401 without token_expired`,
    );
  }
});

Deno.test("openapi: every example validates against the schema beside it", () => {
  const document = openApiDocument();
  const contract = theContract();
  let examples = 0;
  const check = (mediaPointer: string, media: Json) => {
    const validate = contract.validator(`${mediaPointer}/schema`);
    const values: [string, unknown][] = [
      ...(media.example === undefined ? [] : [["example", media.example] as [string, unknown]]),
      ...Object.entries((media.examples ?? {}) as Record<string, { value: unknown }>).map((
        [name, example],
      ) => [name, example.value] as [string, unknown]),
    ];
    for (const [name, value] of values) {
      examples++;
      assert(
        validate(value),
        `${mediaPointer} example ${name}: ${contract.errorsOf(validate)}`,
      );
    }
  };
  for (const [path, method, operation] of operations(document)) {
    const base = `/paths/${segment(path)}/${method}`;
    const body = operation.requestBody?.content?.["application/json"];
    if (body) check(`${base}/requestBody/content/application~1json`, body);
    for (const [status, answer] of Object.entries(operation.responses as Record<string, Json>)) {
      const json = answer.content?.["application/json"];
      if (json) check(`${base}/responses/${status}/content/application~1json`, json);
    }
  }
  assert(examples >= 15, `only ${examples} examples: are they emitted?`);
});

Deno.test("openapi: every error code the proxy's code raises is in the document", async () => {
  const raised = new Map<string, Set<number>>();
  const add = (code: string, status: number) =>
    raised.set(code, (raised.get(code) ?? new Set()).add(status));
  const patterns: [RegExp, (m: RegExpMatchArray) => [string, number]][] = [
    [/new ProxyError\(\s*(\d+),\s*"([a-z_]+)"/g, (m) => [m[2], Number(m[1])]],
    [/new AuthError\(\s*"([a-z_]+)"/g, (m) => [m[1], 401]],
    [/new ForbiddenError\(\s*"([a-z_]+)"/g, (m) => [m[1], 403]],
    [/super\((\d+), "([a-z_]+)"/g, (m) => [m[2], Number(m[1])]],
    [/status:\s*(\d+),\s*code:\s*"([a-z_]+)"/g, (m) => [m[2], Number(m[1])]],
  ];
  const root = new URL("../../src/proxy/", import.meta.url);
  const files = ["errors.ts", "app.ts", "auth.ts", "validation.ts", "routes/ami_routes.ts"];
  files.push("routes/recordings_routes.ts", "routes/guard.ts", "api/docs_ui.ts");
  for (const file of files) {
    const source = await Deno.readTextFile(new URL(file, root));
    for (const [pattern, pick] of patterns) {
      for (const match of source.matchAll(pattern)) add(...pick(match));
    }
  }
  const documented = new Map<string, Set<number>>();
  for (const [, , operation] of operations(openApiDocument())) {
    for (const [status, answer] of Object.entries(operation.responses as Record<string, Json>)) {
      for (const code of answer["x-error-codes"] ?? []) {
        documented.set(code, (documented.get(code) ?? new Set()).add(Number(status)));
      }
    }
  }
  for (const [code, statuses] of raised) {
    for (const status of statuses) {
      assert(documented.get(code)?.has(status), `${status} ${code} is raised, not documented`);
    }
  }
  assert(raised.size >= 20, `only ${raised.size} codes found: do the patterns still match?`);
});

Deno.test("openapi: request bodies refuse unknown fields, in the document and in the proxy", async () => {
  await using px = await startTestProxy();
  let bodies = 0;
  for (const [path, method, operation] of operations(openApiDocument())) {
    const media = operation.requestBody?.content?.["application/json"];
    if (!media) continue;
    bodies++;
    const where = `${method} ${path}`;
    const pointer = `/paths/${
      segment(path)
    }/${method}/requestBody/content/application~1json/schema`;
    const validate = theContract().validator(pointer);
    assert(media.example, `${where}: no example body`);
    assert(validate(media.example), `${where}: its example is refused`);
    const extra = { ...media.example, astrixNoSuchField: 1 };
    assert(!validate(extra), `${where}: the document allows an unknown field`);
    const answer = await px.request(method.toUpperCase(), path, { role: "admin", json: extra });
    assertEquals(answer.status, 400, `${where}: ${JSON.stringify(answer.body)}`);
    assertEquals(answer.body.error.code, "bad_request");
    assertEquals(answer.body.error.message, "unknown field: astrixNoSuchField");
  }
  assertEquals(bodies, 4);
});

Deno.test("openapi: the suite's contract check refuses what the document does not allow", () => {
  const headers = (extra: Record<string, string> = {}) =>
    new Headers({ "x-request-id": "r1", "content-type": "application/json", ...extra });
  const ok = { method: "GET", path: "/healthz", status: 200, headers: headers() };
  const before = theContract().checked;
  checkAnswer({ ...ok, text: '{"status":"ok"}' });
  assertEquals(theContract().checked, before + 1);

  const refused = (answer: Parameters<typeof checkAnswer>[0], why: RegExp) =>
    assertMatch(assertThrows(() => checkAnswer(answer), ContractViolation).message, why);
  refused({ ...ok, headers: new Headers({ "content-type": "application/json" }) }, /request-id/);
  refused({ ...ok, text: '{"status":"ok","extra":1}' }, /additional/);
  refused({ ...ok, status: 418, text: "{}" }, /not documented/);
  refused(
    { ...ok, headers: headers({ "content-type": "text/html" }), text: "<p>" },
    /content-type/,
  );
  refused({ ...ok, path: "/nowhere", text: '{"status":"ok"}' }, /unknown path/);
  const notFound = '{"error":{"code":"token_expired","message":"m","requestId":"r1"}}';
  refused(
    { ...ok, path: "/ami/jobs/j1", status: 404, text: notFound },
    /code must be equal to one of/,
  );
  const wrongMethod = '{"error":{"code":"method_not_allowed","message":"m","requestId":"r1"}}';
  refused({ ...ok, method: "DELETE", status: 405, text: wrongMethod }, /Allow/);
  checkAnswer({
    ...ok,
    method: "DELETE",
    status: 405,
    headers: headers({ allow: "GET, HEAD" }),
    text: wrongMethod,
  });
});
