// A register read page by page, newest first (`{entries, next_cursor}`): the journal and
// the destruction register. `search` starts again from the newest with new filters;
// `more` appends the next (older) page.
import { useEffect, useState } from "preact/hooks";

import { api, type Query } from "../../lib/api";
import { refusal } from "./model";

export function usePaged<T>(path: string, pageSize = 100) {
  const [entries, setEntries] = useState<T[] | null>(null);
  const [cursor, setCursor] = useState<number | null>(null);
  const [query, setQuery] = useState<Query>({});
  const [error, setError] = useState<string | null>(null);

  const load = async (q: Query, before: number | null) => {
    try {
      const page = await api<{ entries: T[]; next_cursor: number | null }>(path, {
        query: { ...q, cursor: before, limit: pageSize },
      });
      setEntries((prev) => (before === null ? page.entries : [...(prev ?? []), ...page.entries]));
      setCursor(page.next_cursor);
      setError(null);
    } catch (e) {
      setError(refusal(e, () => null));
    }
  };
  useEffect(() => void load({}, null), [path]);

  return {
    entries,
    cursor,
    query,
    error,
    setError,
    search: (q: Query) => {
      setQuery(q);
      setEntries(null);
      void load(q, null);
    },
    more: () => void load(query, cursor),
  };
}
