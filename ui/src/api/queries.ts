// Every read the window makes, as a TanStack Query: the query keys live here, and so does the
// one table that says which keys each back-end event makes stale. Views never re-read by hand
// (no fetch effects, no "tick" counters): they use `useApiQuery(queries.x())`, and an event
// that changes x invalidates it, so every screen showing x refreshes together.
//
// Data is fresh until an event says otherwise (`staleTime: Infinity`): the back end announces
// every change it makes, and a command's own answer is written into the cache by its caller.
// The cache is shared without a provider (each hook is given `queryClient`), so a feature can
// be rendered on its own in a test exactly as it is inside the window.

import { QueryClient, queryOptions, useQuery, type QueryKey, type UseQueryOptions } from "@tanstack/react-query";
import { useEffect } from "react";
import {
  callFacets,
  countCalls,
  curlForDelivery,
  getCall,
  getCallReview,
  getDelivery,
  getReviewer,
  getSettings,
  getStartup,
  getStats,
  getStatus,
  getSyncSettings,
  getSyncStatus,
  getTeamStatus,
  getTunnelStatus,
  listDeliveries,
  listDrift,
  listScorecards,
  listTags,
  loadViewState,
  numberHistory,
  onCallsChanged,
  onDeliveriesChanged,
  onListenerChanged,
  onRecordingsChanged,
  onReviewChanged,
  onStartup,
  onSyncProgress,
  onTunnelChanged,
  prefillScore,
  recordingPeaks,
  recordingsStatus,
  reviewProgress,
  searchCalls,
  variableNames,
  type Unlisten,
} from "./client";
import type { AppStatus, CallDetail, CallQuery, Json, RecordingProgress, ScoreAnswer, Startup, StatsQuery } from "./types";

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: Infinity,
      // A command's error says what to do; asking again at once would only delay it.
      retry: false,
      refetchOnWindowFocus: false,
      refetchOnReconnect: false,
    },
  },
});

/** The query keys. A prefix (e.g. `keys.log`) names every query under it. */
export const keys = {
  /** the data folder's opening: the first answer, then the `startup` events */
  startup: ["startup"] as const,
  status: ["status"] as const,
  /** the call log's filters and sort, as the log last set them (read once, then written by the log) */
  viewState: ["view-state"] as const,
  settings: ["settings"] as const,
  /** count, facets and review progress of the log: follow new calls and reviews */
  log: ["log"] as const,
  count: (q: CallQuery) => ["log", "count", q] as const,
  facets: ["log", "facets"] as const,
  /** `reviewer`: whose "reviewed" is counted (the back end's current reviewer) */
  progress: (q: CallQuery, reviewer: string | null) => ["log", "progress", q, reviewer] as const,
  search: (text: string, limit: number) => ["search", text, limit] as const,
  call: (id: number) => ["call", id] as const,
  callReview: (id: number) => ["call-review", id] as const,
  numberHistory: (id: number) => ["number-history", id] as const,
  peaks: (id: number) => ["peaks", id] as const,
  /** the last download progress of a call's recording, as the event said (never fetched) */
  recordingProgress: (id: number) => ["recording-progress", id] as const,
  reviewer: ["reviewer"] as const,
  tags: ["tags"] as const,
  scorecards: ["scorecards"] as const,
  /** a scorecard's answers suggested by a call's variables */
  prefill: (id: number, scorecard: string) => ["prefill", id, scorecard] as const,
  variableNames: ["variable-names"] as const,
  deliveries: (failedOnly: boolean) => ["deliveries", failedOnly] as const,
  delivery: (id: number) => ["delivery", id] as const,
  curl: (id: number) => ["delivery", id, "curl"] as const,
  drift: ["drift"] as const,
  stats: (q: StatsQuery) => ["stats", q] as const,
  team: ["team"] as const,
  tunnel: ["tunnel"] as const,
  vault: ["vault"] as const,
  syncStatus: ["sync", "status"] as const,
  syncSettings: ["sync", "settings"] as const,
};

export const queries = {
  startup: () => queryOptions({ queryKey: keys.startup, queryFn: readStartup }),
  status: () => queryOptions({ queryKey: keys.status, queryFn: getStatus }),
  settings: () => queryOptions({ queryKey: keys.settings, queryFn: getSettings }),
  // Nothing saved, or no back end: the log starts from its defaults.
  viewState: () => queryOptions({ queryKey: keys.viewState, queryFn: () => loadViewState().catch((): Json | null => null) }),
  count: (q: CallQuery) => queryOptions({ queryKey: keys.count(q), queryFn: () => countCalls(q) }),
  facets: () => queryOptions({ queryKey: keys.facets, queryFn: callFacets }),
  progress: (q: CallQuery, reviewer: string | null) =>
    queryOptions({ queryKey: keys.progress(q, reviewer), queryFn: () => reviewProgress(q) }),
  search: (text: string, limit: number) =>
    queryOptions({ queryKey: keys.search(text, limit), queryFn: () => searchCalls(text, limit) }),
  // Read afresh each time a call is opened (the view shows nothing older than its own read).
  call: (id: number) => queryOptions({ queryKey: keys.call(id), queryFn: () => getCall(id), refetchOnMount: "always" }),
  recordingProgress: (id: number) =>
    queryOptions<RecordingProgress | null>({ queryKey: keys.recordingProgress(id), queryFn: () => null, enabled: false }),
  callReview: (id: number) => queryOptions({ queryKey: keys.callReview(id), queryFn: () => getCallReview(id) }),
  numberHistory: (id: number) => queryOptions({ queryKey: keys.numberHistory(id), queryFn: () => numberHistory(id) }),
  peaks: (id: number) => queryOptions({ queryKey: keys.peaks(id), queryFn: () => recordingPeaks(id) }),
  reviewer: () => queryOptions({ queryKey: keys.reviewer, queryFn: getReviewer }),
  tags: () => queryOptions({ queryKey: keys.tags, queryFn: listTags }),
  scorecards: () => queryOptions({ queryKey: keys.scorecards, queryFn: listScorecards }),
  // Without a suggestion (e.g. the call has no variables) the form starts empty.
  prefill: (id: number, scorecard: string) =>
    queryOptions({ queryKey: keys.prefill(id, scorecard), queryFn: () => prefillScore(id, scorecard).catch((): Record<string, ScoreAnswer> => ({})) }),
  variableNames: () => queryOptions({ queryKey: keys.variableNames, queryFn: variableNames }),
  deliveries: (failedOnly: boolean) =>
    queryOptions({ queryKey: keys.deliveries(failedOnly), queryFn: () => listDeliveries(failedOnly) }),
  delivery: (id: number) => queryOptions({ queryKey: keys.delivery(id), queryFn: () => getDelivery(id) }),
  curl: (id: number) => queryOptions({ queryKey: keys.curl(id), queryFn: () => curlForDelivery(id) }),
  drift: () => queryOptions({ queryKey: keys.drift, queryFn: listDrift }),
  // Read afresh each time the dashboard is shown (review work changes the figures too).
  stats: (q: StatsQuery) => queryOptions({ queryKey: keys.stats(q), queryFn: () => getStats(q), refetchOnMount: "always" }),
  team: () => queryOptions({ queryKey: keys.team, queryFn: getTeamStatus }),
  tunnel: () => queryOptions({ queryKey: keys.tunnel, queryFn: getTunnelStatus }),
  vault: () => queryOptions({ queryKey: keys.vault, queryFn: recordingsStatus }),
  syncStatus: () => queryOptions({ queryKey: keys.syncStatus, queryFn: getSyncStatus }),
  syncSettings: () => queryOptions({ queryKey: keys.syncSettings, queryFn: getSyncSettings }),
};

const READY: Startup = { state: "ready", step: null, error: null };

/** A later state of the opening never goes back to "opening" (the answer and the events can cross). */
function laterStartup(prev: Startup | undefined, next: Startup): Startup {
  return prev !== undefined && prev.state !== "opening" ? prev : next;
}

/** Asked once the events are heard, so a `ready` sent in between cannot be missed. */
async function readStartup(): Promise<Startup> {
  await listening();
  // No back end, or one from before this screen existed: the app shows its own errors.
  const s = await getStartup().catch(() => READY);
  return laterStartup(queryClient.getQueryData<Startup>(keys.startup), s);
}

// ---- Events → stale keys: the one place that says what each event changes. ----

const timers = new Map<string, ReturnType<typeof setTimeout>>();

/** Invalidate `key` once a burst of events has settled for `ms` (one re-read per burst). */
function invalidateSoon(key: QueryKey, ms: number): void {
  const id = JSON.stringify(key);
  const t = timers.get(id);
  if (t) clearTimeout(t);
  timers.set(
    id,
    setTimeout(() => {
      timers.delete(id);
      void queryClient.invalidateQueries({ queryKey: key });
    }, ms),
  );
}

/** Trailing debounce of the log's figures on new calls, on top of the back end's coalescing. */
export const LIVE_DEBOUNCE_MS = 250;

function invalidate(key: QueryKey): void {
  void queryClient.invalidateQueries({ queryKey: key });
}

const bridge: (() => Promise<Unlisten>)[] = [
  // Progress of the data folder's opening, written into the cache as it comes (never fetched again).
  () => onStartup((s) => queryClient.setQueryData<Startup>(keys.startup, (prev) => laterStartup(prev, s))),
  () =>
    onCallsChanged((p) => {
      queryClient.setQueryData<AppStatus>(keys.status, (s) => (s ? { ...s, calls_total: p.total } : s));
      for (const id of p.ids) {
        invalidate(keys.call(id));
        invalidate(["prefill", id]);
      }
      // Only marked stale (nothing observes it): the search box re-asks after LIVE_DEBOUNCE_MS.
      invalidate(["search"]);
      for (const key of [keys.log, keys.drift, keys.variableNames, ["stats"], ["number-history"]]) invalidateSoon(key, LIVE_DEBOUNCE_MS);
    }),
  () =>
    onReviewChanged((p) => {
      for (const id of p.call_ids) invalidate(keys.callReview(id));
      invalidateSoon(["number-history"], 60);
      invalidateSoon(keys.log, 60);
      invalidateSoon(keys.tags, 150);
      // The dashboard counts reviewed and flagged calls per day.
      invalidateSoon(["stats"], 150);
      // The team's tag list or scorecards changed (here or on another reviewer's machine).
      if (p.definitions) {
        invalidate(keys.scorecards);
        invalidate(["prefill"]);
      }
      // A review edit (here or from the team) changes what waits to be shared.
      invalidate(keys.team);
    }),
  () =>
    onDeliveriesChanged(() => {
      invalidate(keys.status);
      invalidate(["deliveries"]);
    }),
  () => onListenerChanged((listener) => queryClient.setQueryData<AppStatus>(keys.status, (s) => (s ? { ...s, listener } : s))),
  () =>
    onRecordingsChanged((p) => {
      // Kept only for a recording on screen: a vault working through thousands would otherwise
      // leave an entry per recording in the cache.
      if (queryClient.getQueryCache().find({ queryKey: keys.recordingProgress(p.id), exact: true })) {
        queryClient.setQueryData(keys.recordingProgress(p.id), p);
      }
      // Progress ticks are frequent; only a change of state changes the vault's totals.
      if (p.state !== "downloading") invalidateSoon(keys.vault, 300);
      // A new state of a call's recording re-reads the call (progress alone does not).
      const call = queryClient.getQueryData<CallDetail>(keys.call(p.id));
      if (call && call.recording.state !== p.state) invalidate(keys.call(p.id));
      if (p.state === "ready") invalidate(keys.peaks(p.id));
    }),
  () => onTunnelChanged(() => invalidate(keys.tunnel)),
  () =>
    onSyncProgress((p) => {
      invalidate(keys.syncStatus);
      if (p.state !== "running") invalidate(keys.syncSettings);
    }),
];

let users = 0;
let unlisteners: Promise<Unlisten[]> | null = null;

/** Resolves once the events → keys table is subscribed (at once when nothing is on screen). */
function listening(): Promise<unknown> {
  return unlisteners?.catch(() => undefined) ?? Promise.resolve();
}

/** Keeps the events → keys table subscribed while any query is on screen. */
function useEventBridge(): void {
  useEffect(() => {
    users += 1;
    unlisteners ??= Promise.all(bridge.map((subscribe) => subscribe()));
    return () => {
      users -= 1;
      if (users > 0) return;
      const pending = unlisteners;
      unlisteners = null;
      void pending?.then((list) => list.forEach((un) => un()));
    };
  }, []);
}

/**
 * Opening a call asks for it in the click's own task instead of after the view has switched:
 * the answer is usually back before the next frame, so the detail's first frame already shows
 * the call (see `useOpening` in App.tsx). Resolves once the call has been read, or has failed to
 * be (the detail then shows the error).
 */
export function readForOpening(id: number): Promise<void> {
  const ignore = () => undefined;
  // The call alone first: a read beside it would take a second, colder database connection and
  // slowed a one-hour call's read several times over. Its review and the other calls with its
  // number follow it.
  return queryClient.query({ ...queries.call(id), staleTime: 0 }).then(
    (call) => {
      queryClient.query(queries.callReview(id)).catch(ignore);
      if (call.customer_phone) queryClient.query(queries.numberHistory(id)).catch(ignore);
    },
    ignore,
  );
}

/** Whether a cached read was made after `asked` (ms since the epoch) and no event has made it stale since. */
export function readSince(state: { dataUpdatedAt: number; isInvalidated: boolean; status: string }, asked: number | null): boolean {
  return asked !== null && state.status === "success" && state.dataUpdatedAt >= asked && !state.isInvalidated;
}

/** `useQuery` on the shared cache, kept fresh by the back end's events. */
export function useApiQuery<T, K extends QueryKey>(options: UseQueryOptions<T, Error, T, K>) {
  useEventBridge();
  return useQuery(options, queryClient);
}

/** Forgets everything cached and every pending re-read (between tests). */
export function resetQueries(): void {
  for (const t of timers.values()) clearTimeout(t);
  timers.clear();
  queryClient.clear();
}
