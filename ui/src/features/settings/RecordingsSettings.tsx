// Settings for the recordings vault: automatic download, how long and how much audio to keep,
// what the vault holds now, and applying the retention rules at once. Retention only ever
// removes audio files from the vault: calls and their transcripts are never deleted.
// Two lists guard downloads: private hosts recordings may come from (refused otherwise), and the
// hosts besides the API's that may receive the Intellixent API key (over https only).

import { useState } from "react";
import { recordingsPrune } from "../../api/client";
import { keys, queries, queryClient, useApiQuery } from "../../api/queries";
import type { PruneReport, Settings } from "../../api/types";
import { useNotify } from "../../app/notify";
import { Spinner } from "../../components/Spinner";

interface Props {
  settings: Settings | null;
  update: (patch: Partial<Settings>) => Promise<void>;
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "" → null (no limit); a positive number → the number; anything else → undefined (invalid). */
function parseLimit(text: string, integer: boolean): number | null | undefined {
  const t = text.trim();
  if (t === "") return null;
  const n = Number(t);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) return undefined;
  return n;
}

function LimitField({
  label,
  hint,
  unit,
  value,
  integer,
  disabled,
  testId,
  onSave,
}: {
  label: string;
  hint: string;
  unit: string;
  value: number | null;
  integer: boolean;
  disabled: boolean;
  testId: string;
  onSave: (v: number | null) => void;
}) {
  const [text, setText] = useState(value === null ? "" : String(value));
  const parsed = parseLimit(text, integer);
  const commit = () => {
    if (parsed === undefined || parsed === value) return;
    onSave(parsed);
  };
  return (
    <form
      className="setting"
      onSubmit={(e) => {
        e.preventDefault();
        commit();
      }}
    >
      <div>
        <div className="setting-label">{label}</div>
        <div className="dim small">{hint}</div>
        {parsed === undefined && (
          <div className="field-error">{integer ? "A whole number of days, or empty." : "A number above 0, or empty."}</div>
        )}
      </div>
      <label>
        <input
          type="number"
          className="input input-port mono"
          min={integer ? 1 : 0.1}
          step={integer ? 1 : 0.1}
          placeholder="No limit"
          aria-label={label}
          data-testid={testId}
          value={text}
          disabled={disabled}
          onChange={(e) => setText(e.target.value)}
          onBlur={commit}
        />
        <span className="dim small">{unit}</span>
      </label>
    </form>
  );
}

/** "a, b c" → ["a", "b", "c"]: commas or spaces separate entries. */
export function parseHostList(text: string): string[] {
  return text.split(/[\s,]+/).filter((e) => e !== "");
}

function HostListField({
  label,
  hint,
  placeholder,
  value,
  disabled,
  testId,
  onSave,
}: {
  label: string;
  hint: string;
  placeholder: string;
  value: string[];
  disabled: boolean;
  testId: string;
  onSave: (v: string[]) => void;
}) {
  const [text, setText] = useState(value.join(", "));
  const commit = () => {
    const next = parseHostList(text);
    if (next.join(",") === value.join(",")) return;
    onSave(next);
  };
  return (
    <form
      className="setting"
      onSubmit={(e) => {
        e.preventDefault();
        commit();
      }}
    >
      <div>
        <div className="setting-label">{label}</div>
        <div className="dim small">{hint}</div>
      </div>
      <input
        type="text"
        className="input mono"
        spellCheck={false}
        autoComplete="off"
        placeholder={placeholder}
        aria-label={label}
        data-testid={testId}
        value={text}
        disabled={disabled}
        onChange={(e) => setText(e.target.value)}
        onBlur={commit}
      />
    </form>
  );
}

export function RecordingsSettings({ settings, update }: Props) {
  const notify = useNotify();
  // Re-read when a recording changes state (api/queries.ts).
  const vault = useApiQuery(queries.vault());
  const status = vault.data ?? null;
  const statusError = vault.error?.message ?? null;
  const [report, setReport] = useState<PruneReport | null>(null);
  const [pruning, setPruning] = useState(false);

  const prune = async () => {
    setPruning(true);
    try {
      setReport(await recordingsPrune());
      void queryClient.invalidateQueries({ queryKey: keys.vault });
    } catch (e) {
      notify.error(e);
    } finally {
      setPruning(false);
    }
  };

  const waiting = status ? status.queued + status.downloading : 0;

  return (
    <section className="card">
      <h2>Recordings</h2>
      <p className="dim small">
        Postcall keeps its own copy of each call&apos;s audio, so recordings still play after the provider&apos;s link
        expires. Retention only removes audio files: calls and their transcripts are never deleted.
      </p>
      <label className="setting">
        <div>
          <div className="setting-label">Download recordings automatically</div>
          <div className="dim small">Fetches each call&apos;s recording into Postcall as the call arrives.</div>
        </div>
        <input
          type="checkbox"
          className="switch"
          data-testid="recordings-auto"
          checked={settings?.recordings_auto_download ?? false}
          disabled={!settings}
          onChange={(e) => void update({ recordings_auto_download: e.target.checked })}
        />
      </label>
      <LimitField
        key={`days:${String(settings?.recordings_keep_days ?? "")}`}
        label="Keep recordings for"
        hint="Audio older than this is removed. Empty keeps recordings forever."
        unit="days"
        value={settings?.recordings_keep_days ?? null}
        integer
        disabled={!settings}
        testId="recordings-keep-days"
        onSave={(v) => void update({ recordings_keep_days: v })}
      />
      <LimitField
        key={`gb:${String(settings?.recordings_max_gb ?? "")}`}
        label="Keep at most"
        hint="The oldest audio is removed first above this size. Empty means no limit."
        unit="GB"
        value={settings?.recordings_max_gb ?? null}
        integer={false}
        disabled={!settings}
        testId="recordings-max-gb"
        onSave={(v) => void update({ recordings_max_gb: v })}
      />
      <HostListField
        key={`allow:${(settings?.recordings_allow_private_hosts ?? []).join(",")}`}
        label="Private hosts allowed"
        hint="Recordings on loopback, LAN, link-local or cloud-metadata addresses are refused unless listed here: host names, IPs or CIDRs, separated by commas."
        placeholder="e.g. 192.168.1.20, 10.0.0.0/8"
        value={settings?.recordings_allow_private_hosts ?? []}
        disabled={!settings}
        testId="recordings-allow-private"
        onSave={(v) => void update({ recordings_allow_private_hosts: v })}
      />
      <HostListField
        key={`keys:${(settings?.recordings_key_hosts ?? []).join(",")}`}
        label="Intellixent recording hosts"
        hint="When a recording host refuses access, the Intellixent API key is sent only over https, only to the API's host and the hosts listed here."
        placeholder="e.g. files.intellixent.ai"
        value={settings?.recordings_key_hosts ?? []}
        disabled={!settings}
        testId="recordings-key-hosts"
        onSave={(v) => void update({ recordings_key_hosts: v })}
      />
      <div className="setting setting-top">
        <div data-testid="recordings-status">
          {status ? (
            <>
              <div className="setting-label">
                {plural(status.ready, "recording", "recordings")} · {formatSize(status.bytes)}
              </div>
              <div className="dim small">
                {status.failed > 0 ? `${plural(status.failed, "download", "downloads")} failed` : "No failed downloads"}
                {waiting > 0 ? ` · ${waiting} waiting to download` : ""}
              </div>
              <div className="mono small selectable">{status.dir}</div>
            </>
          ) : statusError ? (
            <div className="field-error">{statusError}</div>
          ) : (
            <Spinner />
          )}
        </div>
        <button
          type="button"
          className="btn"
          data-testid="recordings-prune"
          onClick={() => void prune()}
          disabled={pruning || !settings}
        >
          Apply retention now
        </button>
      </div>
      {report && (
        <p className="note" role="status" data-testid="recordings-prune-report">
          {report.removed === 0
            ? "Nothing to remove: every recording is within the limits."
            : `Removed ${plural(report.removed, "recording", "recordings")}, freeing ${formatSize(report.freed_bytes)}. The calls are still there.`}
        </p>
      )}
    </section>
  );
}
