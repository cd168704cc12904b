import { useState } from "react";
import { revealDataDir, rotateSecret, saveSettings } from "../../api/client";
import type { AppStatus, ListenerStatus, Settings, Theme } from "../../api/types";
import { useNotify } from "../../app/notify";
import { Icon } from "../../components/Icon";
import { ListenerBadge } from "../../components/ListenerBadge";
import { Spinner } from "../../components/Spinner";
import { PortForm } from "./PortForm";
import { RecordingsSettings } from "./RecordingsSettings";
import { SyncPanel } from "../sync/SyncPanel";
import { ReviewerSettings } from "./ReviewerSettings";
import { ScorecardSettings } from "./ScorecardSettings";
import { TagSettings } from "./TagSettings";
import { TeamSettings } from "../team/TeamSettings";

interface Props {
  status: AppStatus | null;
  settings: Settings | null;
  onSettings: (s: Settings) => void;
  onListenerChanged: (l: ListenerStatus) => void;
}

function RotateSecret({ onListenerChanged }: { onListenerChanged: (l: ListenerStatus) => void }) {
  const notify = useNotify();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);

  const rotate = async () => {
    setBusy(true);
    try {
      onListenerChanged(await rotateSecret());
      setConfirming(false);
      notify.info("New webhook URL created. Paste it in Intellixent.");
    } catch (e) {
      notify.error(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <button type="button" className="btn btn-danger-outline" onClick={() => setConfirming(true)}>
        Rotate webhook secret…
      </button>
      {confirming && (
        <div className="dialog-backdrop">
          <div className="dialog" role="alertdialog" aria-modal="true" aria-labelledby="rotate-title">
            <h2 id="rotate-title">Rotate the webhook secret?</h2>
            <p>
              The current webhook URL stops working at once. Calls reach Postcall again only after you paste the new
              URL into <strong>Post-Call Actions</strong> in Intellixent.
            </p>
            <div className="dialog-actions">
              <button type="button" className="btn" onClick={() => setConfirming(false)} disabled={busy}>
                Cancel
              </button>
              <button type="button" className="btn btn-danger" onClick={() => void rotate()} disabled={busy}>
                Rotate secret
              </button>
              {busy && <Spinner label="Rotating…" />}
            </div>
          </div>
        </div>
      )}
    </>
  );
}

export function SettingsView({ status, settings, onSettings, onListenerChanged }: Props) {
  const notify = useNotify();

  const update = async (patch: Partial<Settings>) => {
    if (!settings) return;
    const next = { ...settings, ...patch };
    onSettings(next);
    try {
      onSettings(await saveSettings(next));
    } catch (e) {
      onSettings(settings);
      notify.error(e);
    }
  };

  return (
    <div className="page">
      <header className="page-head">
        <h1>Settings</h1>
      </header>

      <section className="card">
        <h2>Data</h2>
        <div className="setting">
          <div>
            <div className="setting-label">Data folder</div>
            <div className="mono small selectable">{status?.data_dir ?? "–"}</div>
          </div>
          <button
            type="button"
            className="btn"
            onClick={() => {
              revealDataDir().catch((e: unknown) => notify.error(e));
            }}
            disabled={!status}
          >
            <Icon name="folder" size={14} /> Open folder
          </button>
        </div>
      </section>

      <section className="card">
        <h2>Webhook listener</h2>
        <div className="setting">
          <div>
            <div className="setting-label">Port</div>
            <div className="dim small">0 picks any free port. The webhook URL changes with the port.</div>
          </div>
          <ListenerBadge listener={status?.listener ?? null} />
        </div>
        <PortForm
          key={status?.listener.port ?? settings?.port ?? "none"}
          initial={settings?.port ?? status?.listener.port ?? null}
          submitLabel="Apply"
          onChanged={onListenerChanged}
        />
        <div className="setting setting-top">
          <div>
            <div className="setting-label">Webhook secret</div>
            <div className="dim small">Creates a new webhook URL; the old one stops working.</div>
          </div>
          <RotateSecret onListenerChanged={onListenerChanged} />
        </div>
      </section>

      <SyncPanel />

      <TeamSettings />

      <RecordingsSettings settings={settings} update={update} />

      <ReviewerSettings />

      <TagSettings />

      <ScorecardSettings />

      <section className="card">
        <h2>Behaviour</h2>
        <label className="setting">
          <div>
            <div className="setting-label">Notifications</div>
            <div className="dim small">A desktop notification for each new call.</div>
          </div>
          <input
            type="checkbox"
            className="switch"
            checked={settings?.notifications ?? false}
            disabled={!settings}
            onChange={(e) => void update({ notifications: e.target.checked })}
          />
        </label>
        <label className="setting">
          <div>
            <div className="setting-label">Keep running in the tray</div>
            <div className="dim small">Closing the window keeps the listener running.</div>
          </div>
          <input
            type="checkbox"
            className="switch"
            checked={settings?.close_to_tray ?? false}
            disabled={!settings}
            onChange={(e) => void update({ close_to_tray: e.target.checked })}
          />
        </label>
        <label className="setting">
          <div>
            <div className="setting-label">Start the tunnel with Postcall</div>
            <div className="dim small">Reopens the public URL set up in Connect each time Postcall starts.</div>
          </div>
          <input
            type="checkbox"
            className="switch"
            checked={settings?.tunnel_on_start ?? false}
            disabled={!settings}
            onChange={(e) => void update({ tunnel_on_start: e.target.checked })}
          />
        </label>
        <div className="setting">
          <div className="setting-label">Theme</div>
          <div className="segmented" role="group" aria-label="Theme">
            {(["system", "light", "dark"] as Theme[]).map((t) => (
              <button
                key={t}
                type="button"
                aria-pressed={settings?.theme === t}
                disabled={!settings}
                onClick={() => void update({ theme: t })}
              >
                {t[0]?.toUpperCase()}
                {t.slice(1)}
              </button>
            ))}
          </div>
        </div>
      </section>

      <p className="dim small version">Postcall {status?.version ?? ""}</p>
    </div>
  );
}
