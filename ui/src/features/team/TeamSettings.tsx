import { useCallback, useState } from "react";
import { joinTeam, leaveTeam, toAppError } from "../../api/client";
import { keys, queries, queryClient, useApiQuery } from "../../api/queries";
import type { TeamJoinInput, TeamStatus } from "../../api/types";
import { formatDateTime } from "../../format";
import { SettingField } from "../../components/SettingField";
import { Spinner } from "../../components/Spinner";
import "./team.css";

/** How often the screen re-reads the status (it is read from local files, never dialled). */
const POLL_MS = 5000;

type AuthKind = "creds" | "password" | "none";

function when(iso: string | null): string {
  const ms = iso ? Date.parse(iso) : NaN;
  return Number.isFinite(ms) ? formatDateTime(ms) : "–";
}

function plural(n: number, one: string, many: string): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
}

/** What waits to go out: edits, and on the receiver calls and recordings. */
function pendingLine(status: TeamStatus): string {
  const parts: string[] = [];
  if (status.pending_reviews > 0) parts.push(`${plural(status.pending_reviews, "edit", "edits")} pending`);
  if (status.pending_calls > 0) parts.push(`${plural(status.pending_calls, "call", "calls")} to publish`);
  if (status.pending_recordings > 0) {
    parts.push(`${plural(status.pending_recordings, "recording", "recordings")} waiting to upload`);
  }
  if (parts.length === 0) {
    if (status.refused_edits > 0) return "Nothing waiting to go out.";
    return status.role === "receiver"
      ? "Nothing: every call, recording and edit here is on the team server."
      : "Nothing: every edit made here is on the team server.";
  }
  return parts.join(", ");
}

/** The connection line: connected, offline since …, or not reached yet. */
function ConnectionState({ status }: { status: TeamStatus }) {
  if (status.connected) {
    return (
      <span className="badge badge-green" data-testid="team-state" data-state="connected">
        Connected
      </span>
    );
  }
  if (status.offline_since) {
    return (
      <span className="badge badge-amber" data-testid="team-state" data-state="offline">
        Offline since {when(status.offline_since)}
      </span>
    );
  }
  return (
    <span className="badge badge-grey" data-testid="team-state" data-state="connecting">
      Not connected yet
    </span>
  );
}

function JoinForm({ onJoined }: { onJoined: (s: TeamStatus) => void }) {
  const [server, setServer] = useState("");
  const [auth, setAuth] = useState<AuthKind>("password");
  const [credsFile, setCredsFile] = useState("");
  const [user, setUser] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const ready =
    server.trim() !== "" &&
    (auth === "none" || (auth === "creds" ? credsFile.trim() !== "" : user.trim() !== "" && password !== ""));

  const submit = async () => {
    setBusy(true);
    setError(null);
    const input: TeamJoinInput = { server: server.trim() };
    if (auth === "creds") input.creds_file = credsFile.trim();
    if (auth === "password") {
      input.user = user.trim();
      input.password = password;
    }
    try {
      const s = await joinTeam(input);
      setPassword("");
      onJoined(s);
    } catch (e) {
      setError(toAppError(e).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="team-join"
      data-testid="team-join"
      onSubmit={(e) => {
        e.preventDefault();
        if (ready && !busy) void submit();
      }}
    >
      <SettingField label="Server" className="setting">
        <input
          type="text"
          className="input input-wide mono"
          aria-label="Team server URL"
          placeholder="tls://team.example.org:4222"
          autoComplete="off"
          spellCheck={false}
          value={server}
          onChange={(e) => setServer(e.target.value)}
        />
      </SettingField>
      <div className="setting">
        <span className="setting-label">Sign in with</span>
        <div className="segmented" role="group" aria-label="Sign in with">
          {(
            [
              ["password", "User and password"],
              ["creds", "Credentials file"],
              ["none", "Nothing"],
            ] as [AuthKind, string][]
          ).map(([k, label]) => (
            <button key={k} type="button" aria-pressed={auth === k} onClick={() => setAuth(k)}>
              {label}
            </button>
          ))}
        </div>
      </div>
      {auth === "creds" && (
        <SettingField label="Credentials file" className="setting">
          <input
            type="text"
            className="input input-wide mono"
            aria-label="Credentials file"
            placeholder="/home/you/.config/nats/postcall.creds"
            spellCheck={false}
            value={credsFile}
            onChange={(e) => setCredsFile(e.target.value)}
          />
        </SettingField>
      )}
      {auth === "password" && (
        <div className="setting">
          <SettingField label="User">
            <input
              type="text"
              className="input"
              aria-label="Team user"
              autoComplete="off"
              spellCheck={false}
              value={user}
              onChange={(e) => setUser(e.target.value)}
            />
          </SettingField>
          <SettingField label="Password">
            <input
              type="password"
              className="input"
              aria-label="Team password"
              autoComplete="off"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </SettingField>
        </div>
      )}
      <div className="setting">
        <span className="dim small">The password is kept in the system keyring, never in the settings file.</span>
        <button type="submit" className="btn btn-primary" disabled={!ready || busy}>
          Join
        </button>
        {busy && <Spinner label="Joining…" />}
      </div>
      {error && (
        <p className="field-error" role="alert" data-testid="team-error">
          {error}
        </p>
      )}
    </form>
  );
}

function LeaveButton({ onLeft }: { onLeft: (s: TeamStatus) => void }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const leave = async () => {
    setBusy(true);
    setError(null);
    try {
      onLeft(await leaveTeam());
      setConfirming(false);
    } catch (e) {
      setError(toAppError(e).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" className="btn btn-danger-outline" data-testid="team-leave" onClick={() => setConfirming(true)}>
        Leave the team…
      </button>
      {confirming && (
        <div className="dialog-backdrop">
          <div className="dialog" role="alertdialog" aria-modal="true" aria-labelledby="team-leave-title">
            <h2 id="team-leave-title">Leave the team?</h2>
            <p>
              Postcall stops following the team server and forgets its credentials. The calls and review work in this
              data folder stay; edits not shared yet are kept and go out if you join again.
            </p>
            {error && (
              <p className="field-error" role="alert">
                {error}
              </p>
            )}
            <div className="dialog-actions">
              <button type="button" className="btn" onClick={() => setConfirming(false)} disabled={busy}>
                Cancel
              </button>
              <button type="button" className="btn btn-danger" onClick={() => void leave()} disabled={busy}>
                Leave
              </button>
            </div>
          </div>
        </div>
      )}
    </>
  );
}

/** Settings → Team: the team server, whether it answers, what waits to be shared, join and leave. */
export function TeamSettings() {
  // Polled as well: the connection is read from local files, never dialled, and has no event.
  const team = useApiQuery({ ...queries.team(), refetchInterval: POLL_MS });
  const status = team.data ?? null;
  const loadError = team.error ? toAppError(team.error).message : null;
  const setStatus = useCallback((s: TeamStatus) => queryClient.setQueryData(keys.team, s), []);

  const joined = status?.server ?? null;

  return (
    <section className="card" data-testid="team-settings">
      <h2>Team</h2>
      <p className="dim small">
        With a team server, one machine receives the webhooks and every reviewer&apos;s Postcall keeps a full copy of the
        calls and of everyone&apos;s states, notes, tags and scores. Work offline as usual: edits wait here and go out
        when the server is back.
      </p>
      {loadError && !status && <p className="dim small">{loadError}</p>}
      {status && joined === null && <JoinForm onJoined={setStatus} />}
      {status && joined !== null && (
        <>
          <div className="setting">
            <div>
              <div className="setting-label">Server</div>
              <div className="mono small selectable" data-testid="team-server">
                {joined}
              </div>
              {status.role === "receiver" && (
                <div className="dim small">This machine is the team&apos;s receiver: it publishes the calls.</div>
              )}
            </div>
            <ConnectionState status={status} />
          </div>
          <div className="setting">
            <div>
              <div className="setting-label">Waiting to be shared</div>
              <div className="dim small" data-testid="team-pending" data-pending={status.pending}>
                {pendingLine(status)}
              </div>
              {status.refused_edits > 0 && (
                <div className="field-error small" data-testid="team-refused" data-refused={status.refused_edits}>
                  {plural(status.refused_edits, "edit", "edits")} the server refused: signed by a reviewer this
                  machine&apos;s team user may not publish for. Kept here, not shared;{" "}
                  <span className="mono">postcall team refused</span> lists them, and <span className="mono">--retry</span>{" "}
                  sends them again once the administrator has changed the permissions.
                </div>
              )}
              {status.rejected_events > 0 && (
                <div className="dim small" data-testid="team-rejected">
                  {plural(status.rejected_events, "event", "events")} from the team not applied: published in another
                  reviewer&apos;s name.
                </div>
              )}
            </div>
          </div>
          <div className="setting">
            <div>
              <div className="setting-label">Applied from the team</div>
              <div className="dim small" data-testid="team-seqs">
                calls up to #{status.calls_seq.toLocaleString("en-US")} · review events up to #
                {status.reviews_seq.toLocaleString("en-US")}
                {status.last_connected && ` · last reached ${when(status.last_connected)}`}
              </div>
            </div>
          </div>
          {status.last_error && !status.connected && (
            <p className="field-error" data-testid="team-last-error">
              {status.last_error}
            </p>
          )}
          <div className="setting">
            <span className="dim small">Leaving keeps the calls and review work in this data folder.</span>
            <LeaveButton onLeft={setStatus} />
          </div>
        </>
      )}
    </section>
  );
}
