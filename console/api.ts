/**
 * The console's client of the proxy's API: openapi-fetch typed by the types
 * generated from the proxy's OpenAPI document (`console/api_types.ts`), so
 * the console speaks to the API exactly as any other client app does. The
 * browser sends the session cookie by itself (same origin); every request
 * that changes state also carries the session's CSRF token, which the proxy
 * requires of cookie sessions.
 *
 * @module
 */

import createClient from "openapi-fetch";
import type { components, paths } from "./api_types.ts";

export type Job = components["schemas"]["Job"];
export type JobEvent = components["schemas"]["JobEvent"];
export type Channel = components["schemas"]["Channel"];
export type Recording = components["schemas"]["Recording"];
export type Role = Job["ownerRole"];
export type { components };

/** The header the proxy reads the CSRF token from. */
export const CSRF_HEADER = "X-Astrix-CSRF";

let csrfToken: string | null = null;

/** Sets (or, with null, forgets) the CSRF token of the current session. */
export function useCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** The typed client of the proxy this page was served by. */
export const api = createClient<paths>({ baseUrl: location.origin });
api.use({
  onRequest({ request }) {
    if (csrfToken && request.method !== "GET" && request.method !== "HEAD") {
      request.headers.set(CSRF_HEADER, csrfToken);
    }
    return request;
  },
});

/** An answer that was not a success: the proxy's error code and words, or a network failure. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
    this.name = "ApiError";
  }
}

/** The data of a call's answer, or an {@linkcode ApiError} saying what the proxy said. */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let answer;
  try {
    answer = await call;
  } catch {
    throw new ApiError(0, "network", "The proxy cannot be reached");
  }
  const { data, error, response } = answer;
  if (response.ok) return data as T;
  const body = (error as { error?: { code?: string; message?: string } } | undefined)?.error;
  throw new ApiError(
    response.status,
    body?.code ?? `http_${response.status}`,
    body?.message ?? response.statusText,
  );
}
