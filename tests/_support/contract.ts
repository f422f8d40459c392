/**
 * The API contract, checked on real answers: every answer a proxy test
 * receives is held to the OpenAPI document the code generates (its status
 * listed for the route, its content type, its JSON body valid against the
 * schema, strict objects refusing unknown fields, an error's code one the
 * answer lists), and every event of the stream to the schema of its name.
 * `contractFetch` is `fetch` with that check; the test proxy's requests and
 * the typed client go through it, so the contract is proven on every answer
 * of the suite, not on a few examples. A violation throws
 * {@linkcode ContractViolation}, failing the test that met it.
 *
 * @module
 */

import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { openApiDocument } from "../../src/proxy/api/openapi.ts";

/** An answer the document does not allow. */
export class ContractViolation extends Error {
  override name = "ContractViolation";
}

const BASE = "astrix:openapi";
// deno-lint-ignore no-explicit-any
type Json = any;

/** The document and its compiled schemas, built once per test process. */
class Contract {
  readonly document = openApiDocument();
  readonly #ajv = new Ajv2020({ strict: false, allErrors: true });
  readonly #compiled = new Map<string, ValidateFunction>();
  readonly #paths: { regex: RegExp; template: string }[];
  /** How many answers and stream events were checked (for the suite's own test). */
  checked = 0;

  constructor() {
    // zod writes a pattern beside each format, so the format itself needs no check.
    this.#ajv.addFormat("date-time", true);
    this.#ajv.addSchema({ $id: BASE, ...this.document } as Json);
    this.#paths = Object.keys(this.document.paths).map((template) => ({
      template,
      regex: new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`),
    }));
  }

  /** The schema at `pointer` in the document, compiled. */
  validator(pointer: string): ValidateFunction {
    let validate = this.#compiled.get(pointer);
    if (!validate) {
      validate = this.#ajv.compile({ $ref: `${BASE}#${pointer}` });
      this.#compiled.set(pointer, validate);
    }
    return validate;
  }

  /** The document's path template for a request path, if any. */
  template(path: string): string | undefined {
    return this.#paths.find((p) => p.regex.test(path))?.template;
  }

  errorsOf(validate: ValidateFunction): string {
    return this.#ajv.errorsText(validate.errors, { separator: "; " });
  }
}

let contract: Contract | undefined;
/** The contract of this process (the document is generated once). */
export function theContract(): Contract {
  return contract ??= new Contract();
}

/** What the check needs of an answer. */
export interface CheckedAnswer {
  method: string;
  /** The request's path (no query). */
  path: string;
  status: number;
  headers: Headers;
  /** The body's text, or undefined when it was not read (a stream, audio). */
  text?: string;
}

/**
 * Throws {@linkcode ContractViolation} unless the document allows this
 * answer to this request. OPTIONS (a CORS preflight) is not an API call.
 */
export function checkAnswer(answer: CheckedAnswer): void {
  if (answer.method === "OPTIONS") return;
  const c = theContract();
  c.checked++;
  const where = `${answer.method} ${answer.path} → ${answer.status}`;
  const fail = (problem: string): never => {
    throw new ContractViolation(`${where}: ${problem}`);
  };
  if (!answer.headers.get("x-request-id")) fail("no x-request-id header");
  const template = c.template(answer.path);
  if (template === undefined) {
    // A path the proxy does not serve: 404 not_found, the Error body.
    if (answer.status !== 404) fail("an unknown path must answer 404");
    return checkJson(answer, "/components/schemas/Error", fail, ["not_found"]);
  }
  const item = c.document.paths[template];
  const method = answer.method.toLowerCase();
  const operation = item[method] ?? (method === "head" ? item.get : undefined);
  if (!operation) {
    // The 405 of another method: every operation of the path lists it.
    if (answer.status !== 405) fail(`the document has no ${answer.method} on ${template}`);
    const [first] = Object.keys(item);
    const pointer = `/paths/${escape(template)}/${first}/responses/405`;
    return checkResponse(answer, item[first].responses["405"], pointer, fail);
  }
  const spec = operation.responses[String(answer.status)];
  if (!spec) {
    fail(`status ${answer.status} is not documented (${Object.keys(operation.responses)})`);
  }
  const opMethod = item[method] ? method : "get";
  checkResponse(
    answer,
    spec,
    `/paths/${escape(template)}/${opMethod}/responses/${answer.status}`,
    fail,
    method === "head",
  );
}

function checkResponse(
  answer: CheckedAnswer,
  spec: Json,
  pointer: string,
  fail: (problem: string) => never,
  head = false,
): void {
  checkHeaders(answer, spec, pointer, fail);
  const type = answer.headers.get("content-type");
  const content = spec.content as Record<string, Json> | undefined;
  if (!content) {
    if (answer.text) fail(`a body where the document has none: ${answer.text.slice(0, 200)}`);
    return;
  }
  if (head) return;
  const mediaType = type?.split(";")[0].trim().toLowerCase();
  if (!mediaType || !(mediaType in content)) {
    fail(`content-type ${type} is none of ${Object.keys(content).join(", ")}`);
  }
  if (mediaType === "application/json" && answer.text !== undefined) {
    checkJson(answer, `${pointer}/content/application~1json/schema`, fail);
  }
}

/** The answer's documented headers: each required one present, each one sent of its schema. */
function checkHeaders(
  answer: CheckedAnswer,
  spec: Json,
  pointer: string,
  fail: (problem: string) => never,
): void {
  const headers = (spec.headers ?? {}) as Record<string, { required?: boolean }>;
  for (const [name, header] of Object.entries(headers)) {
    const value = answer.headers.get(name);
    if (value === null) {
      if (header.required) fail(`no ${name} header`);
      continue;
    }
    const validate = theContract().validator(`${pointer}/headers/${escape(name)}/schema`);
    if (!validate(value)) fail(`header ${name}: ${theContract().errorsOf(validate)} in "${value}"`);
  }
}

function checkJson(
  answer: CheckedAnswer,
  pointer: string,
  fail: (problem: string) => never,
  codes?: string[],
): void {
  if (answer.text === undefined) return;
  let body: Json;
  try {
    body = JSON.parse(answer.text);
  } catch {
    fail(`the body is not JSON: ${answer.text.slice(0, 200)}`);
  }
  const c = theContract();
  const validate = c.validator(pointer);
  if (!validate(body)) {
    fail(`${c.errorsOf(validate)} in ${JSON.stringify(body).slice(0, 400)}`);
  }
  const code = (body as { error?: { code?: string } }).error?.code;
  if (codes && !codes.includes(code!)) fail(`error code ${code}`);
}

/** Throws unless the stream's event `name` is documented and `data` fits its schema. */
export function checkStreamEvent(name: string, data: string): void {
  const c = theContract();
  const events = c.document.paths["/ami/events"].get.responses["200"].content["text/event-stream"][
    "x-sse-events"
  ] as Record<string, { schema: { $ref: string } }>;
  const event = events[name];
  if (!event) throw new ContractViolation(`the stream sent an undocumented event "${name}"`);
  c.checked++;
  const validate = c.validator(event.schema.$ref.slice(1));
  let parsed: Json;
  try {
    parsed = JSON.parse(data);
  } catch {
    throw new ContractViolation(`event ${name}: data is not JSON: ${data.slice(0, 200)}`);
  }
  if (!validate(parsed)) {
    throw new ContractViolation(
      `event ${name}: ${c.errorsOf(validate)} in ${data.slice(0, 400)}`,
    );
  }
}

/** The streams whose events {@linkcode checkStreamEvent} holds to the document. */
const proxyStreams = new WeakSet<Response>();

/** Is `response` a proxy's event stream (its events are checked as read)? */
export function isProxyStream(response: Response): boolean {
  return proxyStreams.has(response);
}

/**
 * `fetch`, with the answer held to the document: a JSON or text body is
 * read from a copy and checked; an event stream's events are checked as
 * the test reads them (through `SseReader`); audio is checked by its head.
 */
export async function contractFetch(
  input: Request | URL | string,
  init?: RequestInit,
): Promise<Response> {
  const request = new Request(input, init);
  const response = await fetch(request);
  const type = response.headers.get("content-type") ?? "";
  const readable = /^(application\/json|text\/plain|text\/html)/i.test(type);
  const text = readable && response.body ? await response.clone().text() : undefined;
  checkAnswer({
    method: request.method,
    path: new URL(request.url).pathname,
    status: response.status,
    headers: response.headers,
    text: text === "" ? undefined : text,
  });
  if (type.startsWith("text/event-stream")) proxyStreams.add(response);
  return response;
}

function escape(template: string): string {
  return template.replaceAll("~", "~0").replaceAll("/", "~1");
}
