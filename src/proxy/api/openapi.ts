/**
 * The proxy's OpenAPI 3.1 document, generated from the route table
 * (`operations.ts`) and the zod schemas (`schemas.ts`) with zod's own JSON
 * Schema output: the contract is the code's, never written by hand. The
 * same document is served at `/openapi.json`, printed by `astrix openapi`
 * and committed as `docs/openapi.json` (CI checks it is fresh).
 *
 * @example
 * ```ts
 * import { openApiDocument } from "./openapi.ts";
 *
 * const doc = openApiDocument();
 * doc.paths["/ami/jobs/{id}"].get.responses["200"]; // the JobAnswer schema
 * ```
 *
 * @module
 */

import { z } from "zod";
import pkg from "../../../package.json" with { type: "json" };
import { PERMISSIONS, ROLES } from "../roles.ts";
import {
  type AnswerSpec,
  type ApiOperation,
  openApiPath,
  OPERATIONS,
  STREAM_EVENTS,
} from "./operations.ts";
import { requestSchemas, responseSchemas } from "./schemas.ts";

/** A JSON Schema or any other part of the document. */
// deno-lint-ignore no-explicit-any
type Json = any;

/** The generated document (loosely typed: it is JSON for other programs). */
export interface OpenApiDocument {
  openapi: string;
  info: Json;
  servers: Json[];
  tags: Json[];
  security: Json[];
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json>; securitySchemes: Record<string, Json> };
}

const SCHEMA_PREFIX = "#/components/schemas/";
const uri = (id: string) => `${SCHEMA_PREFIX}${id}`;

/** The document, built anew from the code (deterministic: the same code gives the same bytes). */
export function openApiDocument(): OpenApiDocument {
  const paths: Record<string, Record<string, Json>> = {};
  for (const operation of OPERATIONS) {
    const path = (paths[openApiPath(operation.path)] ??= {});
    path[operation.method] = operationObject(operation);
    if (operation.head) path.head = headObject(operation);
  }
  return {
    openapi: "3.1.1",
    info: {
      title: "astrix proxy",
      version: pkg.version,
      summary: "An audited HTTP API in front of an Asterisk/Issabel PBX's Manager Interface",
      description: INFO_DESCRIPTION,
    },
    servers: [{ url: "/", description: "This proxy" }],
    tags: [
      { name: "probes", description: "Health, readiness and metrics (no token)" },
      { name: "console", description: "The web console: its page, and its browser sessions" },
      { name: "recordings", description: "Search, read and stream call recordings" },
      { name: "pbx", description: "Live channels; listen, whisper, barge; play a recording" },
      { name: "jobs", description: "Follow and steer a listen or playback" },
      { name: "events", description: "The live event stream" },
      { name: "admin", description: "The audit browser, its verification, the health panel" },
    ],
    security: [{ bearer: [] }, { session: [] }],
    paths,
    components: {
      schemas: {
        ...componentSchemas(requestSchemas, "input"),
        ...componentSchemas(responseSchemas, "output"),
      },
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description: "A JWT under the proxy's pinned algorithm (HS256, or RS256/ES256 from a " +
            "JWKS), with exp (at most 24 h after iat), and the claims sub (or user_id), role " +
            `(${ROLES.join(", ")}) and ext (the caller's extension). \`astrix token\` signs one; ` +
            "`astrix dev` prints one per role.",
        },
        session: {
          type: "apiKey",
          in: "cookie",
          name: "astrix_session",
          description: "The console's browser session, made by POST /console/session from a " +
            "token: the same caller, until the token's exp. A request it authenticates that " +
            "changes anything (POST) must also send X-Astrix-CSRF with the session's csrfToken " +
            "(403 csrf_required). An Authorization header, when sent, wins over the cookie.",
        },
      },
    },
  };
}

/** The document as the bytes of docs/openapi.json. */
export function openApiJson(): string {
  return `${JSON.stringify(openApiDocument(), null, 2)}\n`;
}

function operationObject(operation: ApiOperation): Json {
  const roles = operation.permission ? rolesOf(operation.permission) : undefined;
  const parameters = [
    ...parametersOf(operation.params, "path"),
    ...parametersOf(operation.query, "query"),
    ...(operation.requestHeaders ?? []).map((header) => ({
      name: header.name,
      in: "header",
      description: header.description,
      schema: { type: "string" },
    })),
  ];
  return {
    operationId: operation.operationId,
    tags: [operation.tag],
    summary: operation.summary,
    description: roles
      ? `${operation.description}\n\n**Roles:** ${roles.text}.`
      : operation.description,
    ...(roles
      ? { "x-roles": roles.names }
      : { security: operation.sessionCookie ? [{ session: [] }] : [] }),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(operation.body
      ? {
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: { $ref: refOf(requestSchemas, operation.body) },
              ...(operation.bodyExample ? { example: operation.bodyExample } : {}),
            },
          },
        },
      }
      : {}),
    responses: Object.fromEntries(
      Object.entries(operation.responses).map(([status, spec]) => [status, answerObject(spec)]),
    ),
  };
}

/** HEAD: the GET's answers without bodies. */
function headObject(operation: ApiOperation): Json {
  const get = operationObject(operation);
  const responses: Json = {};
  for (const [status, answer] of Object.entries(get.responses as Record<string, Json>)) {
    const { content: _, ...headers } = answer;
    responses[status] = headers;
  }
  return {
    ...get,
    operationId: `${operation.operationId}Head`,
    summary: `${operation.summary}: headers only`,
    responses,
  };
}

function answerObject(spec: AnswerSpec): Json {
  const codes = spec.codes?.length ? spec.codes : undefined;
  const description = codes
    ? `${spec.description}. Codes: ${codes.map((code) => `\`${code}\``).join(", ")}`
    : spec.description;
  let content: Json;
  if (spec.json || codes) {
    const schema = codes
      ? {
        allOf: [{ $ref: uri("Error") }],
        properties: { error: { properties: { code: { enum: codes } } } },
      }
      : { $ref: refOf(responseSchemas, spec.json!) };
    content = {
      "application/json": { schema, ...(spec.examples ? { examples: spec.examples } : {}) },
    };
  }
  if (spec.content) {
    // Beside the JSON body where a route answers either (GET /audit: JSON or CSV).
    content = {
      ...content,
      ...Object.fromEntries(
        Object.entries(spec.content).map(([type, schema]) => [
          type,
          type === "text/event-stream" ? streamMedia(schema) : { schema },
        ]),
      ),
    };
  }
  return {
    description,
    ...(spec.headers
      ? {
        headers: Object.fromEntries(
          Object.entries(spec.headers).map(([name, header]) => [
            name,
            {
              description: header.description,
              ...(header.required ? { required: true } : {}),
              schema: header.schema ?? { type: "string" },
            },
          ]),
        ),
      }
      : {}),
    ...(content ? { content } : {}),
    ...(codes ? { "x-error-codes": codes } : {}),
  };
}

/** The event stream: OpenAPI 3.1 has no schema for each event, so `x-sse-events` names them. */
function streamMedia(schema: Json): Json {
  return {
    schema: {
      ...schema,
      description: "Frames of `id:`, `event:` and `data:` (one JSON object) lines, `retry:`, and " +
        "`: heartbeat` comments",
    },
    "x-sse-events": Object.fromEntries(
      Object.entries(STREAM_EVENTS).map(([name, event]) => [
        name,
        { description: event.description, schema: { $ref: uri(event.schema) } },
      ]),
    ),
  };
}

/** A zod object's fields as OpenAPI parameters; each field's description moves up to it. */
function parametersOf(schema: z.ZodObject | undefined, where: "path" | "query"): Json[] {
  if (!schema) return [];
  const json = z.toJSONSchema(schema, { target: "draft-2020-12", io: "input" }) as Json;
  const required = new Set<string>(json.required ?? []);
  return Object.entries(json.properties as Record<string, Json>).map(([name, property]) => {
    const { description, ...fieldSchema } = property;
    return {
      name,
      in: where,
      required: where === "path" || required.has(name),
      ...(description ? { description } : {}),
      schema: fieldSchema,
    };
  });
}

/** Each registered schema as a component, without its `$schema` and `$id`. */
function componentSchemas(
  registry: typeof requestSchemas,
  io: "input" | "output",
): Record<string, Json> {
  const { schemas } = z.toJSONSchema(registry, { target: "draft-2020-12", io, uri }) as Json;
  return Object.fromEntries(
    Object.entries(schemas as Record<string, Json>).map(([id, schema]) => {
      const { $schema: _, $id: __, ...rest } = schema;
      return [id, rest];
    }),
  );
}

function refOf(registry: typeof requestSchemas, schema: z.ZodType): string {
  const id = registry.get(schema)?.id;
  if (!id) throw new Error("A route names a schema that is not registered in schemas.ts");
  return uri(id);
}

/** The roles that hold `permission`, with their scope. */
function rolesOf(permission: keyof typeof PERMISSIONS): { names: string[]; text: string } {
  const scopes = PERMISSIONS[permission];
  const names = ROLES.filter((role) => scopes[role]);
  const text = names.map((role) => scopes[role] === "own" ? `${role} (${OWN[permission]})` : role)
    .join(", ");
  return { names, text };
}

/** What `own` means for each permission. */
const OWN: Record<string, string> = {
  recordings: "only calls of its own extension",
  jobs: "only its own jobs",
  events: "only its own jobs' events",
};

const INFO_DESCRIPTION = `The proxy stands between call-center apps and an Asterisk/Issabel PBX's
Manager Interface (AMI). Clients never speak AMI: they name a live channel, an extension or a
recording id, and the proxy builds every action itself, checks the caller's role, and writes an
audit row before anything reaches the PBX (no row, no action).

**Authentication.** Every route but the probes needs \`Authorization: Bearer <JWT>\`. Each route
says which roles may call it (also as \`x-roles\`); \`own\` scopes limit a role to its own jobs or
its own extension's recordings.

**Errors.** Every error is \`{"error": {"code", "message", "requestId"}}\`, with \`field\` on a
400 and \`jobId\` on an \`outcome_unknown\` 504. \`code\` is stable (each answer lists the codes
it can carry, also as \`x-error-codes\`); \`message\` is for people. Unknown paths answer 404
\`not_found\`; a known path asked with another method 405 \`method_not_allowed\`. Bodies refuse
unknown fields. Every answer carries \`x-request-id\` (sent, or made up).

**Jobs.** A listen or playback is a job: \`queued → dialing → active ⇄ paused → ended\`, or
\`failed\`, or \`unknown\` while the proxy lost sight of a call it asked for. Follow it with GET
/ami/jobs/{id} or the event stream. A job acts only on its own call, by Uniqueid.

**CORS.** With \`--cors-origin ORIGINS\` the proxy answers browsers' preflight (OPTIONS) requests; without
it, it sends no CORS headers. There is no rate limit (no 429): put one in the load balancer.`;
