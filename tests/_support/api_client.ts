/**
 * The proxy's API as a client app speaks to it: openapi-fetch typed by the
 * types generated from docs/openapi.json (`deno task openapi`), so that a test
 * that asks for a path, a parameter or a field the document does not have
 * fails `deno check`. Every answer also goes through `contractFetch`, which
 * holds it to the document at run time.
 *
 * @example
 * ```ts ignore
 * const client = apiClient(proxy.url, token);
 * const { data, error, response } = await client.GET("/ami/jobs/{id}", {
 *   params: { path: { id: jobId } },
 * });
 * ```
 *
 * @module
 */

import createClient, { type Client } from "openapi-fetch";
import type { paths } from "../../console/api_types.ts";
import { contractFetch } from "./contract.ts";

/** A typed client of the proxy's API. */
export type ApiClient = Client<paths>;

/**
 * A typed client of the proxy at `baseUrl`, sending `token` as a bearer token when given;
 * requests go through `fetchImpl` (default: `contractFetch`, which checks every answer).
 */
export function apiClient(baseUrl: string, token?: string, fetchImpl?: typeof fetch): ApiClient {
  const client = createClient<paths>({ baseUrl, fetch: fetchImpl ?? contractFetch });
  if (token !== undefined) {
    client.use({
      onRequest({ request }) {
        request.headers.set("authorization", `Bearer ${token}`);
        return request;
      },
    });
  }
  return client;
}
