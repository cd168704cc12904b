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
  numberHistory,
  onCallsChanged,
  onDeliveriesChanged,
  onListenerChanged,
  onRecordingsChanged,
  onReviewChanged,
  onSyncProgress,
  onTunnelChanged,
  recordingPeaks,
  recordingsStatus,
  reviewProgress,
  searchCalls,
  variableNames,
  type Unlisten,
} from "./client";
import type { AppStatus, CallDetail, CallQuery, RecordingProgress, StatsQuery } from "./types";

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
  status: ["status"] as const,
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
  status: () => queryOptions({ queryKey: keys.status, queryFn: getStatus }),
  settings: () => queryOptions({ queryKey: keys.settings, queryFn: getSettings }),
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
  variableNames: () => queryOptions({ queryKey: keys.variableNames, queryFn: variableNames }),
  deliveries: (failedOnly: boolean) =>
    queryOptions({ queryKey: keys.deliveries(failedOnly), queryFn: () => listDeliveries(failedOnly) }),
  delivery: (id: number) => queryOptions({ queryKey: keys.delivery(id), queryFn: () => getDelivery(id) }),
  curl: (id: number) => queryOptions({ queryKey: keys.curl(id), queryFn: () => curlForDelivery(id) }),
  drift: () => queryOptions({ queryKey: keys.drift, queryFn: listDrift }),
  stats: (q: StatsQuery) => queryOptions({ queryKey: keys.stats(q), queryFn: () => getStats(q) }),
  team: () => queryOptions({ queryKey: keys.team, queryFn: getTeamStatus }),
  tunnel: () => queryOptions({ queryKey: keys.tunnel, queryFn: getTunnelStatus }),
  vault: () => queryOptions({ queryKey: keys.vault, queryFn: recordingsStatus }),
  syncStatus: () => queryOptions({ queryKey: keys.syncStatus, queryFn: getSyncStatus }),
  syncSettings: () => queryOptions({ queryKey: keys.syncSettings, queryFn: getSyncSettings }),
};

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
  () =>
    onCallsChanged((p) => {
      queryClient.setQueryData<AppStatus>(keys.status, (s) => (s ? { ...s, calls_total: p.total } : s));
      for (const id of p.ids) invalidate(keys.call(id));
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
      // The team's tag list or scorecards changed (here or on another reviewer's machine).
      if (p.definitions) invalidate(keys.scorecards);
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
      queryClient.setQueryData(keys.recordingProgress(p.id), p);
      invalidateSoon(keys.vault, 300);
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
