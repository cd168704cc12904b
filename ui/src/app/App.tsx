// The window: sidebar navigation with the listener's state, and the page beside it. The call
// log stays mounted under every other page so its rows, scroll position and selection survive.

import { ErrorBoundary } from "../components/ErrorBoundary";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { nextUnreviewed, onOpenCallLink, toAppError } from "../api/client";
import { keys, queries, queryClient, readForOpening, useApiQuery } from "../api/queries";
import type { AppStatus, CallQuery, CallSummary, ListenerStatus, ReviewProgress, Settings } from "../api/types";
import { Icon, type IconName } from "../components/Icon";
import { ListenerBadge } from "../components/ListenerBadge";
import { CallsView, type LogQueue, type OpenCall } from "../features/calls/CallsView";
import { ConnectPanel } from "../features/connect/ConnectPanel";
import { FailedDeliveries } from "../features/deliveries/FailedDeliveries";
import { CallDetailView, type ReviewQueue } from "../features/detail/CallDetailView";
import { FaceWarmup } from "../features/detail/FaceWarmup";
import { ReviewProvider, useReview } from "../features/review/ReviewContext";
import { Dashboard } from "../features/insights/Dashboard";
import { DriftBanner } from "../features/insights/DriftBanner";
import { SettingsView } from "../features/settings/SettingsView";
import { formatCount } from "../format";
import { isTypingTarget, useSubscription } from "./hooks";
import { useNotify } from "./notify";
import "./app.css";

export type Page = "calls" | "dashboard" | "failed" | "connect" | "settings";

const nav: { page: Page; label: string; icon: IconName }[] = [
  { page: "calls", label: "Calls", icon: "calls" },
  { page: "dashboard", label: "Dashboard", icon: "wave" },
  { page: "failed", label: "Failed deliveries", icon: "alert" },
  { page: "connect", label: "Connect", icon: "plug" },
  { page: "settings", label: "Settings", icon: "gear" },
];

const darkQuery: MediaQueryList | null =
  typeof window.matchMedia === "function" ? window.matchMedia("(prefers-color-scheme: dark)") : null;

/** Sets `data-theme` on <html> to the theme in force: the override, else the system's. */
export function applyTheme(theme: Settings["theme"] | undefined): "light" | "dark" {
  const resolved = theme === "light" || theme === "dark" ? theme : darkQuery?.matches ? "dark" : "light";
  document.documentElement.dataset.theme = resolved;
  return resolved;
}

/** A start location like "#/connect", "#/calls/42" or "#/search/refund" (for links and tests). */
export function parseLocation(hash: string): { page: Page; open: OpenCall | null; search: string } {
  const [, first = "", second = ""] = hash.replace(/^#/, "").split("/");
  if (first === "failed" || first === "connect" || first === "settings" || first === "dashboard") return { page: first, open: null, search: "" };
  const id = Number(second);
  if (first === "calls" && second !== "" && Number.isInteger(id))
    return { page: "calls", open: { id, turnIndex: null, terms: [] }, search: "" };
  if (first === "search") return { page: "calls", open: null, search: decodeURIComponent(second) };
  return { page: "calls", open: null, search: "" };
}

export function App() {
  return (
    <ReviewProvider>
      <Window />
    </ReviewProvider>
  );
}

/** How long an opening waits for its call before the detail is shown with a placeholder. */
export const OPEN_WAIT_MS = 150;

/**
 * The open call. An opening reads the call first (readForOpening) and switches the view when the
 * answer is in, so the detail's first frame already has it, instead of a frame of spinner the
 * answer then waits behind; an answer slower than OPEN_WAIT_MS shows the detail's placeholder.
 * A later opening, or closing, wins over one still waiting.
 */
function useOpening(initial: OpenCall | null) {
  const [open, setOpen] = useState<(OpenCall & { asked: number | null }) | null>(() => (initial ? { ...initial, asked: null } : null));
  const latest = useRef(0);
  const show = useCallback((o: OpenCall) => {
    const seq = ++latest.current;
    const asked = Date.now();
    // Whichever comes first, the answer or the wait's end, shows it; the other finds it done.
    const go = () => {
      if (latest.current !== seq) return;
      latest.current++;
      setOpen({ ...o, asked });
    };
    setTimeout(go, OPEN_WAIT_MS);
    void readForOpening(o.id).then(go);
  }, []);
  const close = useCallback(() => {
    latest.current++;
    setOpen(null);
  }, []);
  return { open, show, close };
}

function Window() {
  const [start] = useState(() => parseLocation(window.location.hash));
  const [page, setPage] = useState<Page>(start.page);
  const { open, show, close } = useOpening(start.open);
  // The listener, call total and failed count follow their events (api/queries.ts).
  const statusQuery = useApiQuery(queries.status());
  const status = statusQuery.data ?? null;
  const backendError = statusQuery.error ? toAppError(statusQuery.error) : null;
  const settings = useApiQuery(queries.settings()).data ?? null;
  const setSettings = useCallback((s: Settings) => queryClient.setQueryData(keys.settings, s), []);
  const searchInput = useRef<HTMLInputElement>(null);
  const notify = useNotify();
  const { run } = useReview();
  const [dayRequest, setDayRequest] = useState<{ seq: number; day?: string; campaign?: string } | null>(null);
  // The log's search, which the dashboard follows.
  const [logSearch, setLogSearch] = useState("");

  const loadStatus = useCallback(() => void queryClient.invalidateQueries({ queryKey: keys.status }), []);

  useEffect(() => {
    const theme = settings?.theme;
    applyTheme(theme);
    if (!darkQuery || theme === "light" || theme === "dark") return;
    // Following the system: switch when it does.
    const follow = () => applyTheme(theme);
    darkQuery.addEventListener("change", follow);
    return () => darkQuery.removeEventListener("change", follow);
  }, [settings?.theme]);

  const setListener = useCallback((listener: ListenerStatus) => {
    queryClient.setQueryData<AppStatus>(keys.status, (s) => (s ? { ...s, listener } : s));
  }, []);

  const openCall = show;
  const openCallById = useCallback((id: number) => show({ id, turnIndex: null, terms: [] }), [show]);
  const back = close;

  // The review queue: the log's query and rows in order, for j/k and "Next unreviewed" in the detail.
  const log = useRef<{ query: CallQuery | null; rows: CallSummary[]; lastIndex: number }>({ query: null, rows: [], lastIndex: -1 });
  const [progress, setProgress] = useState<ReviewProgress | null>(null);
  const onQueue = useCallback((q: LogQueue) => {
    log.current = { ...log.current, query: q.query, rows: q.rows };
    setProgress(q.progress);
  }, []);
  const queue = useMemo<ReviewQueue>(
    () => ({
      progress,
      open: openCallById,
      step: (from, dir) => {
        const { rows, lastIndex } = log.current;
        let at = rows.findIndex((r) => r.id === from);
        // The call left the filter (e.g. reviewed under "mine unreviewed"): go on from its place.
        if (at < 0) at = dir > 0 ? lastIndex - 1 : lastIndex;
        const row = rows[at + dir];
        if (row) {
          log.current.lastIndex = at + dir;
          show({ id: row.id, turnIndex: null, terms: [] });
        }
      },
      next: (after) => {
        const q = log.current.query;
        if (!q) return;
        void run(() => nextUnreviewed(q, after)).then((id) => {
          if (id === null) notify.info("No unreviewed calls left in this view.");
          else if (id !== undefined) show({ id, turnIndex: null, terms: [] });
        });
      },
    }),
    [progress, openCallById, show, notify, run],
  );
  useEffect(() => {
    if (open) log.current.lastIndex = log.current.rows.findIndex((r) => r.id === open.id);
  }, [open]);

  // postcall://call/<id>?t=<s>, passed on by the shell: that call, at that time.
  useSubscription(onOpenCallLink, (p) => {
    setPage("calls");
    show({ id: p.id, turnIndex: null, terms: [], at: p.t });
  });
  const go = (p: Page) => {
    close();
    setPage(p);
  };

  // "/" focuses the search from anywhere.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey || isTypingTarget(e.target)) return;
      e.preventDefault();
      close();
      setPage("calls");
      // The log becomes visible in this render; focus once it is.
      requestAnimationFrame(() => searchInput.current?.focus());
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [close]);

  const listener = status?.listener ?? null;
  // The failed view lists unusable bodies and deliveries whose call could not be built.
  const failed = (status?.failed_deliveries ?? 0) + (status?.indexing_errors ?? 0);
  const callsCovered = page !== "calls" || open !== null;

  return (
    <div className="app">
      <nav className="sidebar" aria-label="Main">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            <Icon name="calls" size={14} />
          </span>
          Postcall
        </div>
        <ul className="nav">
          {nav.map((n) => (
            <li key={n.page}>
              <button
                type="button"
                className={`nav-item${page === n.page ? " active" : ""}`}
                aria-current={page === n.page ? "page" : undefined}
                onClick={() => go(n.page)}
              >
                <Icon name={n.icon} size={15} />
                <span className="nav-label">{n.label}</span>
                {n.page === "calls" && status && <span className="nav-count">{formatCount(status.calls_total)}</span>}
                {n.page === "failed" && failed > 0 && <span className="nav-count nav-count-alert">{failed}</span>}
              </button>
            </li>
          ))}
        </ul>
        <button type="button" className="sidebar-status" onClick={() => go("connect")} title="Connect Intellixent">
          <ListenerBadge listener={listener} />
        </button>
      </nav>

      <main className="main">
        {backendError && (
          <div className="banner banner-error" role="alert">
            <Icon name="alert" size={15} />
            <span>{backendError.message}</span>
            <button type="button" className="link" onClick={loadStatus}>
              Retry
            </button>
          </div>
        )}
        {!backendError && status?.pipeline_error && (
          <div className="banner banner-error" role="alert" data-testid="pipeline-error">
            <Icon name="alert" size={15} />
            <span>
              New calls cannot be indexed ({status.pipeline_error}). Webhooks are refused until Postcall is
              restarted; nothing already received is lost.
            </span>
          </div>
        )}
        {!backendError && listener?.state === "failed" && page !== "connect" && (
          <div className="banner banner-error" role="alert">
            <Icon name="alert" size={15} />
            <span>{listener.error ?? "The webhook listener is not running."}</span>
            <button type="button" className="link" onClick={() => go("connect")}>
              Fix it
            </button>
          </div>
        )}
        <DriftBanner onOpenCall={openCallById} />
        <FaceWarmup />
        <div className="stage">
          <CallsView
            active={!callsCovered}
            covered={callsCovered}
            callsTotal={status?.calls_total ?? null}
            listener={listener}
            searchInput={searchInput}
            initialSearch={start.search}
            onOpen={openCall}
            onListenerChanged={setListener}
            openId={open?.id ?? null}
            onQueue={onQueue}
            dayRequest={dayRequest}
            onSearchChange={setLogSearch}
          />
          {!open && page === "dashboard" && (
            <div className="layer">
              <Dashboard
                active
                search={logSearch}
                onOpenDay={(day) => {
                  setDayRequest((r) => ({ seq: (r?.seq ?? 0) + 1, day }));
                  go("calls");
                }}
                onOpenCampaign={(campaign) => {
                  setDayRequest((r) => ({ seq: (r?.seq ?? 0) + 1, campaign }));
                  go("calls");
                }}
              />
            </div>
          )}
          {!open && page === "connect" && (
            <div className="layer">
              <ConnectPanel listener={listener} onListenerChanged={setListener} onOpenCall={openCallById} />
            </div>
          )}
          {!open && page === "failed" && (
            <div className="layer">
              <FailedDeliveries onOpenCall={openCallById} />
            </div>
          )}
          {!open && page === "settings" && (
            <div className="layer">
              <SettingsView
                status={status}
                settings={settings}
                onSettings={setSettings}
                onListenerChanged={setListener}
              />
            </div>
          )}
          {open && (
            <div className="layer">
              <ErrorBoundary key={open.id} onReset={back}>
                <CallDetailView
                  id={open.id}
                  turnIndex={open.turnIndex}
                  terms={open.terms}
                  at={open.at ?? null}
                  asked={open.asked}
                  onBack={back}
                  queue={queue}
                />
              </ErrorBoundary>
            </div>
          )}
        </div>
      </main>
    </div>
  );
}

