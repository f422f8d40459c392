/** Byte helpers for tests that build files by hand. */

/** The parts, one after another. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** The bytes of `text` (ASCII chunk ids, tags). */
export const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
