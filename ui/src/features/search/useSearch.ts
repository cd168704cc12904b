// Results as you type: the query settles for a moment, and a response that arrives after a
// newer query was sent is dropped, so results never flicker back to an older query.

import { useEffect, useRef, useState } from "react";
import { searchCalls, toAppError } from "../../api/client";
import type { AppError, SearchHit } from "../../api/types";

export const SEARCH_DEBOUNCE_MS = 150;
export const SEARCH_LIMIT = 200;

export interface SearchState {
  /** the query the hits belong to */
  query: string;
  hits: SearchHit[];
  loading: boolean;
  error: AppError | null;
}

export function useSearch(text: string, refreshKey = 0): SearchState {
  const [state, setState] = useState<SearchState>({ query: "", hits: [], loading: false, error: null });
  const latest = useRef(0);
  const q = text.trim();

  useEffect(() => {
    if (!q) {
      latest.current++;
      return;
    }
    const t = setTimeout(() => {
      const n = ++latest.current;
      setState((s) => ({ ...s, loading: true }));
      searchCalls(q, SEARCH_LIMIT).then(
        (hits) => {
          if (n === latest.current) setState({ query: q, hits, loading: false, error: null });
        },
        (e: unknown) => {
          if (n === latest.current) setState({ query: q, hits: [], loading: false, error: toAppError(e) });
        },
      );
    }, SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [q, refreshKey]);

  return q ? state : { query: "", hits: [], loading: false, error: null };
}
