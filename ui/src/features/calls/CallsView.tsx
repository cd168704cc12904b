// The call log screen: search box, filters, count, and either the virtualized log, the search
// hits, or (for a new install) the empty state. It stays mounted while a call is open, so the
// loaded rows, scroll position and selection are all still there on the way back.

import { useCallback, useEffect, useMemo, useRef, useState, type RefObject } from "react";
import {
  markFirstRows,
  nextUnreviewed,
  onCallsChanged,
  onReviewChanged,
  saveViewState,
  toAppError,
} from "../../api/client";
import { keys, LIVE_DEBOUNCE_MS, queries, queryClient, useApiQuery } from "../../api/queries";
import type { CallQuery, CallSummary, ListenerStatus, ReviewProgress, PaintedHit, SortKey } from "../../api/types";
import { useDebouncedValue, useSubscription, useWindowKeys, isTypingTarget } from "../../app/hooks";
import { useNotify } from "../../app/notify";
import { searchTerms } from "../../components/Highlight";
import { Icon } from "../../components/Icon";
import { Spinner } from "../../components/Spinner";
import { formatCount, plural } from "../../format";
import { SearchResults } from "../search/SearchResults";
import { SEARCH_LIMIT, useSearch } from "../search/useSearch";
import { trace } from "../search/trace";
import { BulkActions } from "../review/BulkActions";
import { progressText } from "../review/ReviewBadges";
import { useReview } from "../review/ReviewContext";
import { CallTable } from "./CallTable";
import { EmptyState } from "./EmptyState";
import { FiltersBar } from "./FiltersBar";
import { useCallLog } from "./useCallLog";
import {
  activeFilterCount,
  defaultViewState,
  toCallQuery,
  viewStateFromJson,
  viewStateToJson,
  type ViewState,
} from "./viewState";
import "./calls.css";

let firstRowsMarked = false;

const SAVE_DEBOUNCE_MS = 500;

export interface OpenCall {
  id: number;
  turnIndex: number | null;
  terms: string[];
  /** seconds into the recording to start at (a postcall:// link) */
  at?: number | null;
}

/** What the open call's review queue needs from the log: its query, rows in order, and progress. */
export interface LogQueue {
  query: CallQuery | null;
  rows: CallSummary[];
  progress: ReviewProgress | null;
}

interface Props {
  /** receives keyboard shortcuts */
  active: boolean;
  /** another page is shown over it (it stays laid out, so its scroll position survives) */
  covered: boolean;
  callsTotal: number | null;
  listener: ListenerStatus | null;
  searchInput: RefObject<HTMLInputElement | null>;
  initialSearch?: string;
  onOpen: (open: OpenCall) => void;
  onListenerChanged: (l: ListenerStatus) => void;
  /** the call open over the log, kept selected in it */
  openId?: number | null;
  /** told whenever the query, rows or progress change */
  onQueue?: (q: LogQueue) => void;
  /** a day to show (from the dashboard): sets the date filter to it; `seq` makes a repeat count */
  /** the dashboard asks for the log filtered to a day or a campaign */
  dayRequest?: { seq: number; day?: string; campaign?: string } | null;
  /** the search as it settles (the dashboard follows it) */
  onSearchChange?: (search: string) => void;
}

export function CallsView(props: Props) {
  trace("calls-render");
  const { active, covered, callsTotal, listener, searchInput, initialSearch = "", onOpen, onListenerChanged } = props;
  const { openId = null, onQueue } = props;
  const notify = useNotify();
  const review = useReview();
  const reviewerEmail = review.reviewer?.email ?? null;
  const [checked, setChecked] = useState<ReadonlySet<number>>(new Set());
  const checkAnchor = useRef<number | null>(null);
  const [view, setView] = useState<ViewState>(defaultViewState);
  const [ready, setReady] = useState(false);
  const [search, setSearch] = useState(initialSearch);
  const [searchAsTable, setSearchAsTable] = useState(false);
  // A day picked on the dashboard becomes the date filter (once per request).
  const { dayRequest = null } = props;
  const [daySeq, setDaySeq] = useState(0);
  if (dayRequest && dayRequest.seq !== daySeq) {
    setDaySeq(dayRequest.seq);
    const { day, campaign } = dayRequest;
    // With a search, the log shows its matches within the picked day or campaign.
    if (search.trim()) setSearchAsTable(true);
    setView((v) => ({
      ...v,
      filters: { ...v.filters, ...(day ? { from: day, to: day } : {}), ...(campaign ? { campaign } : {}) },
    }));
  }
  const [selectedId, setSelectedId] = useState<number | null>(null);
  const [hitIndex, setHitIndex] = useState(0);
  const [liveTick, setLiveTick] = useState(0);
  const [now, setNow] = useState(() => Date.now());

  // Restore the filters and sort of the last session before the first query.
  const restored = useApiQuery(queries.viewState());
  if (!ready && restored.isSuccess) {
    setReady(true);
    setView(viewStateFromJson(restored.data));
  }

  // Persist them, debounced; the cache has them at once (the dashboard follows the log's filters).
  const skipSave = useRef(true);
  useEffect(() => {
    if (!ready) return;
    if (skipSave.current) {
      skipSave.current = false;
      return;
    }
    const json = viewStateToJson(view);
    queryClient.setQueryData(keys.viewState, json);
    const t = setTimeout(() => {
      saveViewState(json).catch((e: unknown) => notify.error(e));
    }, SAVE_DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [view, ready, notify]);

  // Relative times ("3 min ago") stay current while the log is shown; under an open call they
  // are brought up to date when it shows again, not re-rendered hidden.
  const wasCovered = useRef(covered);
  useEffect(() => {
    if (covered) {
      wasCovered.current = true;
      return;
    }
    // Within the same half minute, nothing to re-render.
    const shown = wasCovered.current
      ? setTimeout(() => setNow((n) => (Date.now() - n >= 30_000 ? Date.now() : n)), 0)
      : undefined;
    wasCovered.current = false;
    const t = setInterval(() => setNow(Date.now()), 30_000);
    return () => {
      clearTimeout(shown);
      clearInterval(t);
    };
  }, [covered]);

  const searching = search.trim() !== "";
  const showHits = searching && !searchAsTable;
  // The query follows the filters at once, except while a phone number is being typed.
  const [queryView, setQueryView] = useState<ViewState | null>(null);
  const queriedPhone = useRef<string | null>(null);
  useEffect(() => {
    if (!ready) return;
    const typing = queriedPhone.current !== null && queriedPhone.current !== view.filters.phone;
    const t = setTimeout(
      () => {
        queriedPhone.current = view.filters.phone;
        setQueryView(view);
      },
      typing ? 200 : 0,
    );
    return () => clearTimeout(t);
  }, [view, ready]);
  const settledSearch = useDebouncedValue(search, 150);
  const { onSearchChange } = props;
  useEffect(() => onSearchChange?.(settledSearch.trim()), [settledSearch, onSearchChange]);
  const query = useMemo(
    () => (queryView ? toCallQuery(queryView, searchAsTable ? settledSearch : "", reviewerEmail) : null),
    [queryView, settledSearch, searchAsTable, reviewerEmail],
  );
  const queryKey = query === null ? null : JSON.stringify(query);
  const log = useCallLog(query);
  const found = useSearch(search, liveTick);

  // Once per window: the first rows are on screen (the frame after they render).
  const firstRows = log.rows.length > 0;
  useEffect(() => {
    if (!firstRows || firstRowsMarked) return;
    firstRowsMarked = true;
    requestAnimationFrame(() => void markFirstRows().catch(() => undefined));
  }, [firstRows]);

  useEffect(() => {
    if (log.error) notify.error(log.error);
  }, [log.error, notify]);
  useEffect(() => {
    if (found.error) notify.error(found.error);
  }, [found.error, notify]);

  // The count may be slower than the page; it arrives on its own. New calls and reviews
  // re-read it, the facets and the progress line (api/queries.ts).
  const counted = useApiQuery({ ...queries.count(query ?? {}), enabled: query !== null });
  useEffect(() => {
    if (counted.error && toAppError(counted.error).code !== "no_backend") notify.error(counted.error);
  }, [counted.error, notify]);
  const facets = useApiQuery(queries.facets()).data ?? null;

  // Live updates: one refresh per burst.
  const liveTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const refresh = log.refresh;
  useSubscription(onCallsChanged, () => {
    if (liveTimer.current) clearTimeout(liveTimer.current);
    liveTimer.current = setTimeout(() => {
      liveTimer.current = null;
      refresh();
      setLiveTick((n) => n + 1);
    }, LIVE_DEBOUNCE_MS);
  });
  useEffect(
    () => () => {
      if (liveTimer.current) clearTimeout(liveTimer.current);
    },
    [],
  );

  // Review changes: the rows re-read (optimistic patches already show them) and the progress line.
  const reviewTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useSubscription(onReviewChanged, () => {
    if (reviewTimer.current) clearTimeout(reviewTimer.current);
    reviewTimer.current = setTimeout(() => {
      reviewTimer.current = null;
      refresh();
    }, 60);
  });
  useEffect(
    () => () => {
      if (reviewTimer.current) clearTimeout(reviewTimer.current);
    },
    [],
  );
  const { prune } = review;
  useEffect(() => {
    prune(log.rows);
  }, [log.rows, prune]);

  const progress = useApiQuery({ ...queries.progress(query ?? {}, reviewerEmail), enabled: query !== null });
  const shownProgress: ReviewProgress | null = (query !== null && progress.data) || null;

  useEffect(() => {
    onQueue?.({ query: queryKey === null ? null : (JSON.parse(queryKey) as CallQuery), rows: log.rows, progress: shownProgress });
  }, [onQueue, queryKey, log.rows, shownProgress]);

  // The call open over the log becomes selected in it, so Back lands there. Only once the log
  // is shown again: selecting it at once would re-render the hidden table on every open.
  const [seenOpenId, setSeenOpenId] = useState(openId);
  const [selectOnShow, setSelectOnShow] = useState<number | null>(null);
  if (openId !== seenOpenId) {
    setSeenOpenId(openId);
    if (openId !== null) setSelectOnShow(openId);
  }
  if (!covered && selectOnShow !== null) {
    setSelectOnShow(null);
    setSelectedId(selectOnShow);
  }

  // Ticked rows belong to the rows shown: a new query clears them.
  const [checkedKey, setCheckedKey] = useState(queryKey);
  if (queryKey !== checkedKey) {
    setCheckedKey(queryKey);
    if (checked.size > 0) setChecked(new Set());
  }

  const onCheck = useCallback(
    (id: number, range: boolean) => {
      const anchor = checkAnchor.current;
      checkAnchor.current = id;
      setChecked((old) => {
        const next = new Set(old);
        const rows = log.rows;
        const from = anchor === null ? -1 : rows.findIndex((r) => r.id === anchor);
        const to = rows.findIndex((r) => r.id === id);
        if (range && from >= 0 && to >= 0) {
          const [a, b] = from < to ? [from, to] : [to, from];
          for (const r of rows.slice(a, b + 1)) next.add(r.id);
        } else if (next.has(id)) next.delete(id);
        else next.add(id);
        return next;
      });
    },
    [log.rows],
  );
  const onCheckAll = useCallback(
    (on: boolean) => setChecked(on ? new Set(log.rows.map((r) => r.id)) : new Set()),
    [log.rows],
  );
  const checkedRows = useMemo(() => log.rows.filter((r) => checked.has(r.id)), [log.rows, checked]);

  const openNextUnreviewed = useCallback(async () => {
    if (queryKey === null) return;
    const q = JSON.parse(queryKey) as CallQuery;
    const id = await review.run(() => nextUnreviewed(q, selectedId));
    if (id === null) notify.info("No unreviewed calls left in this view.");
    else if (id !== undefined) {
      setSelectedId(id);
      onOpen({ id, turnIndex: null, terms: [] });
    }
  }, [queryKey, selectedId, notify, onOpen, review]);

  const onSort = useCallback((key: SortKey) => {
    setView((v) =>
      v.sort === key ? { ...v, order: v.order === "desc" ? "asc" : "desc" } : { ...v, sort: key, order: "desc" },
    );
  }, []);

  const terms = useMemo(() => searchTerms(search), [search]);
  const openCall = useCallback(
    (id: number) => {
      setSelectedId(id);
      onOpen({ id, turnIndex: null, terms: searchAsTable ? terms : [] });
    },
    [onOpen, searchAsTable, terms],
  );
  // The terms of the query the hits came from (not of each keystroke), so the hit list keeps
  // its props while the next query is typed and is not re-rendered per key.
  const hitTerms = useMemo(() => searchTerms(found.query), [found.query]);
  const openHit = useCallback(
    (hit: PaintedHit) => onOpen({ id: hit.call_id, turnIndex: hit.turn_index, terms: hitTerms }),
    [onOpen, hitTerms],
  );
  const onFilters = useCallback((filters: ViewState["filters"]) => setView((v) => ({ ...v, filters })), []);

  // Keyboard: ↑/↓ or j/k move, Enter opens, Esc clears.
  useWindowKeys((e) => {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
    const inSearch = e.target === searchInput.current;
    const typing = isTypingTarget(e.target);
    if (typing && !inSearch) return;
    let step = 0;
    if (e.key === "ArrowDown" || (!typing && e.key === "j")) step = 1;
    else if (e.key === "ArrowUp" || (!typing && e.key === "k")) step = -1;
    if (step !== 0) {
      e.preventDefault();
      if (showHits) {
        setHitIndex((i) => Math.max(0, Math.min(found.hits.length - 1, i + step)));
      } else {
        const rows = log.rows;
        if (rows.length === 0) return;
        const at = rows.findIndex((r) => r.id === selectedId);
        const next = at < 0 ? 0 : Math.max(0, Math.min(rows.length - 1, at + step));
        const row = rows[next];
        if (row) setSelectedId(row.id);
      }
      return;
    }
    if ((e.key === "r" || e.key === "R") && !typing && !showHits) {
      const ids = checked.size > 0 ? [...checked] : selectedId !== null ? [selectedId] : [];
      if (ids.length === 0) return;
      e.preventDefault();
      void review.markState(ids, "reviewed").then((ok) => {
        if (ok && e.shiftKey) void openNextUnreviewed();
      });
      return;
    }
    if (e.key === "Enter") {
      if (showHits) {
        const hit = found.hits[hitIndex];
        if (hit) {
          e.preventDefault();
          openHit(hit);
        }
      } else if (selectedId !== null) {
        e.preventDefault();
        openCall(selectedId);
      }
      return;
    }
    if (e.key === "Escape") {
      if (search) {
        e.preventDefault();
        setSearch("");
        searchInput.current?.blur();
      } else if (inSearch) {
        searchInput.current?.blur();
      } else {
        setSelectedId(null);
      }
    }
  }, active);

  const count = query !== null ? (counted.data ?? null) : null;
  const filtered = activeFilterCount(view.filters) > 0;
  const empty = callsTotal === 0 && !filtered && !searching && log.loaded && log.rows.length === 0;

  let countText: string | null = null;
  if (showHits) {
    if (found.query) {
      countText =
        found.hits.length >= SEARCH_LIMIT
          ? `${formatCount(SEARCH_LIMIT)}+ matches`
          : plural(found.hits.length, "match", "matches");
    }
  } else if (count !== null) {
    countText = plural(count, "call", "calls");
  }

  return (
    <div className={`calls${covered ? " covered" : ""}`} aria-hidden={covered}>
      <div className="toolbar">
        <div className="search">
          <Icon name="search" size={15} className="search-icon" />
          <input
            ref={searchInput}
            type="search"
            className="search-input"
            data-testid="search-input"
            placeholder="Search transcripts, summaries, phone numbers, ids"
            aria-label="Search calls"
            value={search}
            onChange={(e) => {
              found.ask(e.target.value);
              setSearch(e.target.value);
              setHitIndex(0);
            }}
          />
          {!search && (
            <kbd className="search-kbd" aria-hidden="true">
              /
            </kbd>
          )}
        </div>
        {searching && (
          <div className="segmented" role="group" aria-label="Show search as">
            <button type="button" aria-pressed={!searchAsTable} onClick={() => setSearchAsTable(false)}>
              Matches
            </button>
            <button type="button" aria-pressed={searchAsTable} onClick={() => setSearchAsTable(true)}>
              Table
            </button>
          </div>
        )}
        {!showHits && (
          <>
            {shownProgress && shownProgress.total > 0 && (
              <span className="review-progress small" data-testid="review-progress">
                <progress max={shownProgress.total} value={shownProgress.reviewed} aria-hidden="true" />
                {progressText(shownProgress)}
              </span>
            )}
            <button
              type="button"
              className="btn btn-small"
              data-testid="next-unreviewed"
              title="Open the next call in this view that you have not reviewed (Shift+R marks and moves on)"
              onClick={() => void openNextUnreviewed()}
            >
              Next unreviewed
            </button>
          </>
        )}
        <div className="toolbar-count" data-testid="call-count">
          {(showHits ? found.loading : log.loading && !log.loaded) ? <Spinner /> : countText}
        </div>
      </div>
      {!empty && <FiltersBar filters={view.filters} facets={facets} onChange={onFilters} />}
      {!showHits && checkedRows.length > 0 && <BulkActions rows={checkedRows} onClear={() => setChecked(new Set())} />}
      {showHits && filtered && (
        <div className="notice small">
          Matches are across all calls. Switch to <strong>Table</strong> to apply the filters to the search.
        </div>
      )}
      <div className="calls-body">
        {empty ? (
          <EmptyState
            listener={listener}
            onListenerChanged={onListenerChanged}
            onOpenCall={(id) => onOpen({ id, turnIndex: null, terms: [] })}
          />
        ) : (
          <>
            {/* The log stays mounted (and laid out) under the hits: a search neither tears it down
                nor rebuilds it, and clearing the box shows it again where it was. */}
            <div className={`calls-log${showHits ? " calls-log-under" : ""}`} aria-hidden={showHits || undefined}>
              {log.error && log.rows.length === 0 ? (
                <div className="placeholder">
                  <Icon name="alert" size={16} /> {log.error.message}
                </div>
              ) : log.loaded && log.rows.length === 0 ? (
                <div className="placeholder">
                  No calls match these filters.{" "}
                  {filtered && (
                    <button
                      type="button"
                      className="link"
                      onClick={() => setView((v) => ({ ...v, filters: defaultViewState.filters }))}
                    >
                      Clear filters
                    </button>
                  )}
                </div>
              ) : (
                <CallTable
                  rows={log.rows}
                  selectedId={selectedId}
                  fresh={log.fresh}
                  sort={view.sort}
                  order={view.order}
                  now={now}
                  hasMore={log.cursor !== null}
                  loading={log.loading}
                  onSort={onSort}
                  onOpen={openCall}
                  onEndReached={log.loadMore}
                  checked={checked}
                  onCheck={onCheck}
                  onCheckAll={onCheckAll}
                />
              )}
            </div>
            {showHits && (
              <div className="calls-hits" data-query={found.query} aria-busy={found.loading}>
                {found.query && found.hits.length === 0 && !found.loading ? (
                  <div className="placeholder">No calls match “{found.query}”.</div>
                ) : (
                  <SearchResults hits={found.hits} selectedIndex={hitIndex} now={now} onOpen={openHit} />
                )}
              </div>
            )}
          </>
        )}
      </div>
    </div>
  );
}
