// The loaded window of the call log: keyset pages appended as the user scrolls, and a refresh
// that re-reads the first page and merges it in front of what is already loaded, so new calls
// appear without throwing away the rows (and the scroll position) the user is looking at.

import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";
import { listCalls, toAppError } from "../../api/client";
import type { AppError, CallQuery, CallSummary } from "../../api/types";

export const PAGE_SIZE = 100;

interface Loaded {
  /** the query (as JSON) these rows belong to; null before the first page */
  key: string | null;
  rows: CallSummary[];
  cursor: string | null;
  loadingMore: boolean;
  error: AppError | null;
  /** rows that arrived through a refresh, for a brief highlight */
  fresh: ReadonlySet<number>;
}

export interface CallLogState {
  rows: CallSummary[];
  cursor: string | null;
  /** a first page has arrived (possibly for an earlier query, shown until the new one lands) */
  loaded: boolean;
  loading: boolean;
  error: AppError | null;
  fresh: ReadonlySet<number>;
}

const initial: Loaded = {
  key: null,
  rows: [],
  cursor: null,
  loadingMore: false,
  error: null,
  fresh: new Set(),
};

/** Negative when `a` comes before `b` in the log's order. */
export function compareCalls(a: CallSummary, b: CallSummary, q: CallQuery): number {
  const key = (c: CallSummary) =>
    q.sort === "duration" ? (c.duration ?? -Infinity) : (c.created_at_ms ?? -Infinity);
  const ka = key(a);
  const kb = key(b);
  const primary = ka === kb ? a.id - b.id : ka < kb ? -1 : 1;
  return q.order === "asc" ? primary : -primary;
}

/**
 * Merge a fresh first page into the loaded rows: the page replaces the head; loaded rows that
 * sort after the page's last row are kept (with the old cursor, which still points after them).
 */
export function mergeFirstPage(
  old: CallSummary[],
  oldCursor: string | null,
  page: CallSummary[],
  pageCursor: string | null,
  q: CallQuery,
): { rows: CallSummary[]; cursor: string | null } {
  const last = page[page.length - 1];
  if (pageCursor === null || last === undefined) return { rows: page, cursor: pageCursor };
  const inPage = new Set(page.map((c) => c.id));
  const tail = old.filter((c) => !inPage.has(c.id) && compareCalls(c, last, q) > 0);
  return tail.length > 0 ? { rows: page.concat(tail), cursor: oldCursor } : { rows: page, cursor: pageCursor };
}

export function useCallLog(query: CallQuery | null) {
  const [state, setState] = useState<Loaded>(initial);
  const stateRef = useRef(state);
  const queryRef = useRef(query);
  const generation = useRef(0);
  const busy = useRef(false);
  const key = query === null ? null : JSON.stringify(query);

  useLayoutEffect(() => {
    stateRef.current = state;
    queryRef.current = query;
  });

  useEffect(() => {
    if (key === null) return;
    const q = JSON.parse(key) as CallQuery;
    const g = ++generation.current;
    busy.current = true;
    listCalls({ ...q, cursor: null, limit: PAGE_SIZE }).then(
      (page) => {
        if (g !== generation.current) return;
        busy.current = false;
        setState({
          key,
          rows: page.items,
          cursor: page.next_cursor,
          loadingMore: false,
          error: null,
          fresh: new Set(),
        });
      },
      (e: unknown) => {
        if (g !== generation.current) return;
        busy.current = false;
        setState((s) => ({ ...s, key, rows: [], cursor: null, error: toAppError(e) }));
      },
    );
  }, [key]);

  const loadMore = useCallback(() => {
    const q = queryRef.current;
    const s = stateRef.current;
    if (q === null || busy.current || s.cursor === null || s.key !== JSON.stringify(q)) return;
    const g = generation.current;
    busy.current = true;
    setState((st) => ({ ...st, loadingMore: true }));
    listCalls({ ...q, cursor: s.cursor, limit: PAGE_SIZE }).then(
      (page) => {
        if (g !== generation.current) return;
        busy.current = false;
        setState((st) => {
          const have = new Set(st.rows.map((c) => c.id));
          return {
            ...st,
            rows: st.rows.concat(page.items.filter((c) => !have.has(c.id))),
            cursor: page.next_cursor,
            loadingMore: false,
          };
        });
      },
      (e: unknown) => {
        if (g !== generation.current) return;
        busy.current = false;
        setState((st) => ({ ...st, loadingMore: false, error: toAppError(e) }));
      },
    );
  }, []);

  /** Re-read the first page after the data changed, keeping what is loaded below it. */
  const refresh = useCallback(() => {
    const q = queryRef.current;
    if (q === null || stateRef.current.key === null) return;
    const key = JSON.stringify(q);
    const g = ++generation.current;
    busy.current = true;
    listCalls({ ...q, cursor: null, limit: PAGE_SIZE }).then(
      (page) => {
        if (g !== generation.current) return;
        busy.current = false;
        setState((st) => {
          const merged =
            st.key === key
              ? mergeFirstPage(st.rows, st.cursor, page.items, page.next_cursor, q)
              : { rows: page.items, cursor: page.next_cursor };
          const had = new Set(st.rows.map((c) => c.id));
          const fresh = new Set(merged.rows.filter((c) => !had.has(c.id)).map((c) => c.id));
          return {
            ...st,
            ...merged,
            key,
            loadingMore: false,
            error: null,
            fresh: fresh.size > 0 ? fresh : st.fresh,
          };
        });
      },
      () => {
        // A failed background refresh keeps the rows on screen; the next change retries.
        if (g === generation.current) busy.current = false;
      },
    );
  }, []);

  // The highlight of new rows is brief.
  useEffect(() => {
    if (state.fresh.size === 0) return;
    const t = setTimeout(() => setState((s) => ({ ...s, fresh: new Set() })), 2500);
    return () => clearTimeout(t);
  }, [state.fresh]);

  const result: CallLogState = {
    rows: state.rows,
    cursor: state.cursor,
    loaded: state.key !== null,
    loading: (key !== null && state.key !== key) || state.loadingMore,
    error: state.error,
    fresh: state.fresh,
  };
  return { ...result, loadMore, refresh };
}
