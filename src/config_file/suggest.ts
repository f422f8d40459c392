/**
 * The message for a key nobody knows: the closest valid key suggested, a
 * camelCase key pointed at its flag name (`auditDb` → `audit-db`).
 *
 * @module
 */

/** `[mock-ami] has no key "prot" (did you mean "port"?); valid keys: …` */
export function unknownKeyMessage(key: string, valid: readonly string[], where: string): string {
  return `${where} has no key "${key}"${didYouMean(key, valid)}; valid keys: ${
    [...valid].sort().join(", ")
  }`;
}

/** ` (did you mean "port"?)`, or nothing when no valid key is close. */
export function didYouMean(key: string, valid: readonly string[]): string {
  const suggestion = closest(key, valid);
  return suggestion === undefined ? "" : ` (did you mean "${suggestion}"?)`;
}

/** The valid key `key` was most likely meant to be: its kebab-case spelling, or one a few edits away. */
function closest(key: string, valid: readonly string[]): string | undefined {
  const kebab = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replaceAll("_", "-");
  if (valid.includes(kebab)) return kebab;
  const limit = Math.max(2, Math.floor(kebab.length / 3));
  let best: { key: string; distance: number } | undefined;
  for (const candidate of valid) {
    const distance = editDistance(kebab, candidate);
    if (distance <= limit && (best === undefined || distance < best.distance)) {
      best = { key: candidate, distance };
    }
  }
  return best?.key;
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        previous[j] + 1,
        row[j - 1] + 1,
        previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = row;
  }
  return previous[b.length];
}
