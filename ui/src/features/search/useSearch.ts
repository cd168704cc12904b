// Results as you type. A query goes out at once when none is in flight (no fixed debounce: the
// core answers in milliseconds, and a debounce is pure waiting); while one is in flight, only the
// newest text waits, and goes out when it returns. A response whose query has been overtaken by
// newer text is not painted, so results never flicker back to an older query and typing fast
// never queues renders of stale hit lists.

import { useCallback, useEffect, useLayoutEffect, useRef, useState, type Dispatch, type SetStateAction } from "react";
import { toAppError } from "../../api/client";
import { queries, queryClient } from "../../api/queries";
import type { AppError, PaintedHit } from "../../api/types";
import { trace } from "./trace";

export const SEARCH_LIMIT = 200;

export interface SearchState {
  /** the query the hits belong to */
  query: string;
  hits: PaintedHit[];
  loading: boolean;
  error: AppError | null;
}

const EMPTY: SearchState = { query: "", hits: [], loading: false, error: null };

/** The cached hits of `q`, unless new calls have made them stale. */
function freshHits(q: string): PaintedHit[] | undefined {
  const s = queryClient.getQueryState<PaintedHit[]>(queries.search(q, SEARCH_LIMIT).queryKey);
  return s && s.status === "success" && !s.isInvalidated ? s.data : undefined;
}

/** busy: a request is in flight; want: the text to send next; shown: the text in the box now;
 * asked: the text and refresh key last asked for (by the input's handler or a render). */
interface Flight {
  busy: boolean;
  want: string | null;
  shown: string;
  alive: boolean;
  asked: [string, number] | null;
}

/** Sends the text waiting in `f`, unless the component is gone; the newest text waits for it. */
function sendNext(f: Flight, setState: Dispatch<SetStateAction<SearchState>>): void {
  const query = f.want;
  if (query === null || !f.alive) return;
  f.want = null;
  f.busy = true;
  setState((s) => (s.loading ? s : { ...s, loading: true }));
  const done = (next: SearchState) => {
    f.busy = false;
    if (!f.alive) return;
    if (f.want !== null) sendNext(f, setState);
    else if (query === f.shown) setState(next);
  };
  // Through the cache: a query typed again (e.g. after a backspace) is answered at once.
  trace("search-send");
  queryClient.query(queries.search(query, SEARCH_LIMIT)).then(
    (hits) => {
      trace("search-answer");
      done({ query, hits, loading: false, error: null });
    },
    (e: unknown) => done({ query, hits: [], loading: false, error: toAppError(e) }),
  );
}

export interface Search extends SearchState {
  /**
   * Asks for `text` now, from the input's own event handler: the request goes out before React
   * renders the keystroke rather than after (about one render of the log sooner). Rendering with
   * that text afterwards does not ask again.
   */
  ask: (text: string) => void;
}

export function useSearch(text: string, refreshKey = 0): Search {
  const [state, setState] = useState<SearchState>(EMPTY);
  const q = text.trim();
  // A cleared box forgets its hits, so the next query does not first lay out the old ones.
  if (!q && state !== EMPTY) setState(EMPTY);
  // A query typed again (a backspace, a word searched before) is answered from the cache in the
  // same render: no frame of the old hits or a spinner first.
  const cached = q && state.query !== q ? freshHits(q) : undefined;
  if (cached) setState({ query: q, hits: cached, loading: false, error: null });
  const flight = useRef<Flight>({ busy: false, want: null, shown: "", alive: true, asked: null });
  const refresh = useRef(refreshKey);
  useLayoutEffect(() => {
    refresh.current = refreshKey;
  }, [refreshKey]);

  useEffect(() => {
    const f = flight.current;
    f.alive = true;
    return () => {
      f.alive = false;
    };
  }, []);

  const ask = useCallback(
    (raw: string) => {
      const f = flight.current;
      const next = raw.trim();
      f.asked = [next, refresh.current];
      f.shown = next;
      // Answered from the cache while rendering; a request in flight for older text is dropped.
      f.want = next && !freshHits(next) ? next : null;
      if (!f.busy) sendNext(f, setState);
    },
    [],
  );

  useEffect(() => {
    const a = flight.current.asked;
    if (a && a[0] === q && a[1] === refreshKey) return;
    ask(q);
  }, [q, refreshKey, ask]);

  return { ...(q ? state : EMPTY), ask };
}
