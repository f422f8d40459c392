/**
 * A list the API answers a page at a time under filters (recordings, the
 * audit): the filters being typed (`draft`) and those applied, the rows so
 * far, the next page's cursor, and what went wrong. Applying filters reads
 * the first page again; `more()` appends the next one.
 *
 * @module
 */

import { useEffect, useState } from "preact/hooks";

/** One page: its rows and the cursor of the next (null at the end). */
export interface Page<R> {
  rows: R[];
  nextCursor: string | null;
}

/** The state and actions of a paged, filtered list. */
export function usePagedList<F extends { [K in keyof F]: string }, R>(
  initial: F,
  /** The field ids' prefix: `rec` makes `rec-from`, `rec-to`, ... */
  idPrefix: string,
  fetchPage: (filters: F, cursor?: string) => Promise<Page<R>>,
) {
  const [draft, setDraft] = useState<F>(initial);
  const [filters, setFilters] = useState<F>(initial);
  const [rows, setRows] = useState<R[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);

  async function load(after?: string) {
    setLoading(true);
    setError(null);
    try {
      const page = await fetchPage(filters, after);
      setRows((before) => after ? [...before, ...page.rows] : page.rows);
      setCursor(page.nextCursor);
    } catch (failure) {
      setError(failure);
    } finally {
      setLoading(false);
    }
  }
  useEffect(() => void load(), [filters]);

  return {
    filters,
    rows,
    cursor,
    loading,
    error,
    setError,
    /** Reads the first page under the filters typed so far. */
    apply: () => setFilters(draft),
    /** Appends the next page. */
    more: () => void load(cursor ?? undefined),
    /** The props of the input or select of filter `name`. */
    field: (name: keyof F & string) => ({
      id: `${idPrefix}-${name}`,
      name,
      value: draft[name],
      onInput: (e: Event) =>
        setDraft({ ...draft, [name]: (e.target as HTMLInputElement | HTMLSelectElement).value }),
    }),
  };
}
