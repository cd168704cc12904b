import { useState } from "react";
import { cancelSync, onSyncProgress, saveSyncSettings, setApiKey, syncNow, toAppError } from "../../api/client";
import { keys, queries, queryClient, useApiQuery } from "../../api/queries";
import type { AppError, SyncProgress, SyncReport, SyncSettings, SyncStatus } from "../../api/types";
import { useSubscription } from "../../app/hooks";
import { SettingField } from "../../components/SettingField";
import { Spinner } from "../../components/Spinner";

/** The outcome shown under "Sync now": the last report, or why it failed. */
type Outcome = { ok: true; report: SyncReport } | { ok: false; error: AppError };

function describeError(e: AppError): string {
  // The back end's message already says what to do; a 401 must read "API key rejected" first.
  if (e.code === "api_key_rejected" && !e.message.startsWith("API key rejected")) {
    return `API key rejected: ${e.message}`;
  }
  return e.message;
}

/** The last sync's outcome as the back end remembers it (a timer's, or one started elsewhere). */
function lastOutcome(s: SyncStatus | undefined): Outcome | null {
  const last = s?.last;
  if (last?.ok && last.report) return { ok: true, report: last.report };
  if (last && !last.ok) return { ok: false, error: { code: last.code ?? "unexpected", message: last.message ?? "The sync failed." } };
  return null;
}

function progressText(p: SyncProgress): string {
  const pages = p.last_page > 0 ? `page ${p.pages} of ${p.last_page}` : "starting";
  return `Syncing… ${pages} · ${p.added} added · ${p.updated} updated`;
}

/** Backfill from Intellixent's calls API: API key, base URL, interval, and "Sync now". */
export function SyncPanel() {
  // Both re-read on each progress event (api/queries.ts): the form is filled from the first
  // settings read and from each save, never under the user's typing.
  const settingsQuery = useApiQuery(queries.syncSettings());
  const statusQuery = useApiQuery(queries.syncStatus());
  const settings = settingsQuery.data ?? null;
  const [baseUrl, setBaseUrl] = useState("");
  const [interval, setIntervalText] = useState("15");
  const [filled, setFilled] = useState(false);
  const [key, setKey] = useState("");
  const [running, setRunning] = useState(false);
  const [seenStatus, setSeenStatus] = useState<SyncStatus | null>(null);
  const [progress, setProgress] = useState<SyncProgress | null>(null);
  /** The outcome of a sync run from here; until one, the back end's last. */
  const [ranHere, setRanHere] = useState<Outcome | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);

  const fill = (s: SyncSettings) => {
    setBaseUrl(s.api_base);
    setIntervalText(String(s.interval_minutes));
  };
  if (settings && !filled) {
    setFilled(true);
    fill(settings);
  }
  /** A save's answer: into the cache and the form. */
  const applySettings = (s: SyncSettings) => {
    queryClient.setQueryData(keys.syncSettings, s);
    fill(s);
  };
  const loadError = settingsQuery.error ? toAppError(settingsQuery.error).message : null;
  // Each status read says whether a sync is running (one started by the timer, say).
  if (statusQuery.data && statusQuery.data !== seenStatus) {
    setSeenStatus(statusQuery.data);
    setRunning(statusQuery.data.running);
  }
  const outcome = ranHere ?? lastOutcome(statusQuery.data);

  // A stream of progress, not a read: each event is shown as it comes.
  useSubscription(onSyncProgress, (p) => {
    setProgress(p);
    setRunning(p.state === "running");
  });

  const runSync = async () => {
    setRunning(true);
    setProgress(null);
    setRanHere(null);
    try {
      setRanHere({ ok: true, report: await syncNow() });
    } catch (e) {
      setRanHere({ ok: false, error: toAppError(e) });
    } finally {
      setRunning(false);
    }
  };

  const minutes = Number(interval);
  const intervalValid = interval.trim() !== "" && Number.isInteger(minutes) && minutes >= 0 && minutes <= 1440;

  const save = async () => {
    setFormError(null);
    setSaved(null);
    try {
      applySettings(await saveSyncSettings({ api_base: baseUrl.trim(), interval_minutes: minutes }));
      setSaved("Saved.");
    } catch (e) {
      setFormError(toAppError(e).message);
    }
  };

  const storeKey = async (value: string) => {
    setFormError(null);
    setSaved(null);
    try {
      applySettings(await setApiKey(value));
      setKey("");
      setSaved(value ? "API key saved." : "API key removed.");
    } catch (e) {
      setFormError(toAppError(e).message);
    }
  };

  return (
    <section className="card" data-testid="sync-panel">
      <h2>Backfill from Intellixent</h2>
      <p className="dim small">
        Missed webhooks are fetched from Intellixent&apos;s calls API at start, every few minutes and on demand.
        Calls that came only this way are marked &quot;recovered&quot;.
      </p>

      <form
        className="setting"
        onSubmit={(e) => {
          e.preventDefault();
          if (key.trim()) void storeKey(key.trim());
        }}
      >
        <div>
          <div className="setting-label">API key</div>
          <div className="dim small">
            {settings?.has_api_key
              ? settings.api_key_storage === "keyring"
                ? "A key is saved in the system keyring."
                : "A key is saved in a file only you can read (no system keyring is available)."
              : "No key saved yet."}
          </div>
        </div>
        <input
          type="password"
          className="input mono"
          aria-label="Intellixent API key"
          autoComplete="off"
          placeholder={settings?.has_api_key ? "•••••••• (replace)" : "Paste the API key"}
          value={key}
          onChange={(e) => setKey(e.target.value)}
        />
        <button type="submit" className="btn" disabled={!key.trim()}>
          Save key
        </button>
        {settings?.has_api_key && (
          <button type="button" className="btn" onClick={() => void storeKey("")}>
            Remove key
          </button>
        )}
      </form>

      <form
        className="setting"
        onSubmit={(e) => {
          e.preventDefault();
          if (intervalValid) void save();
        }}
      >
        <SettingField label="API base URL">
          <input
            type="url"
            className="input mono"
            aria-label="API base URL"
            value={baseUrl}
            onChange={(e) => setBaseUrl(e.target.value)}
          />
        </SettingField>
        <SettingField label="Every (minutes, 0 = off)">
          <input
            type="number"
            className="input input-port mono"
            aria-label="Sync interval in minutes"
            min={0}
            max={1440}
            value={interval}
            onChange={(e) => setIntervalText(e.target.value)}
          />
        </SettingField>
        <button type="submit" className="btn" disabled={!settings || !intervalValid}>
          Save
        </button>
      </form>
      {(formError ?? loadError) && (
        <p className="field-error" role="alert">
          {formError ?? loadError}
        </p>
      )}
      {saved && <p className="dim small">{saved}</p>}

      <div className="setting">
        <button type="button" className="btn" onClick={() => void runSync()} disabled={running}>
          Sync now
        </button>
        {running && (
          <>
            <Spinner label={progress ? progressText(progress) : "Syncing…"} />
            <button
              type="button"
              className="btn"
              onClick={() => {
                cancelSync().catch(() => undefined);
              }}
            >
              Cancel
            </button>
          </>
        )}
        {!running && outcome?.ok === true && (
          <span className="dim small" data-testid="sync-result">
            Last sync: {outcome.report.pages} pages, {outcome.report.added} added, {outcome.report.updated} updated.
          </span>
        )}
        {!running && outcome?.ok === false && (
          <span className="field-error" role="alert" data-testid="sync-error">
            {describeError(outcome.error)}
          </span>
        )}
      </div>
    </section>
  );
}
