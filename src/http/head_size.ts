/**
 * The size of a request's head, for refusing oversized ones with a JSON 431
 * of our own. Each runtime also has a limit, above which it answers by
 * itself before any handler runs: Deno (hyper) a bare 400 for heads over
 * about 64 KiB, which no option changes; Bun a bare 431 over its
 * `--max-http-header-size` (16 KiB unless told; the binary that
 * `deno task compile:bun` builds is told 256 KiB).
 *
 * @module
 */

/** The largest request head the proxy serves, in bytes: Node's default, ample for any JWT. */
export const MAX_HEADER_BYTES = 16 * 1024;

/** The bytes of a request's head as sent: request line, `name: value` lines, blank line. */
export function headSize(request: Request): number {
  // The URL here is absolute: its origin stands for the Host line it came from.
  let size = request.method.length + request.url.length + 13;
  for (const [name, value] of request.headers) size += name.length + value.length + 4;
  return size;
}
