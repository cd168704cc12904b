import { useState } from "react";
import { copyText, startTunnel, stopTunnel, toAppError } from "../../api/client";
import { keys, queries, queryClient, useApiQuery } from "../../api/queries";
import type { TunnelConfig, TunnelOverview, TunnelProvider, TunnelStatus } from "../../api/types";
import { Icon } from "../../components/Icon";
import { SettingField } from "../../components/SettingField";
import "./tunnel.css";

/** Where the last copied public URL is remembered, to warn when Intellixent has a stale one. */
export const LAST_COPIED_KEY = "postcall.tunnel.lastCopiedUrl";

function readLastCopied(): string | null {
  try {
    return window.localStorage.getItem(LAST_COPIED_KEY);
  } catch {
    return null;
  }
}

function rememberCopied(url: string): void {
  try {
    window.localStorage.setItem(LAST_COPIED_KEY, url);
  } catch {
    // private mode or no storage: the warning just cannot persist across restarts
  }
}

/** "HH:MM", local time. */
export function clock(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function stateText(s: TunnelStatus): string {
  switch (s.state) {
    case "off":
      return "Off";
    case "starting":
      return "Starting…";
    case "online":
      return "Online";
    case "reconnecting":
      return `Reconnecting: ${s.reason}`;
    case "failed":
      return s.next_retry_ms === null
        ? `Failed: ${s.reason}`
        : `Failed: ${s.reason} (retrying at ${clock(s.next_retry_ms)})`;
  }
}

const PROVIDERS: { value: TunnelProvider; label: string }[] = [
  { value: "cloudflared", label: "Cloudflare quick tunnel (HTTPS, no account)" },
  { value: "ngrok", label: "ngrok (HTTPS, needs an authtoken)" },
  { value: "bore", label: "bore (plain HTTP)" },
  { value: "custom", label: "My own public URL" },
];

/** The public URL: pick a tunnel, start/stop it, and copy the verified public webhook URL. */
export function TunnelPanel() {
  // The event says "something changed"; the status is re-read so the order of events cannot matter.
  const tunnel = useApiQuery(queries.tunnel());
  const overview = tunnel.data ?? null;
  const [provider, setProvider] = useState<TunnelProvider>("cloudflared");
  const [server, setServer] = useState("bore.pub");
  const [secret, setSecret] = useState("");
  const [domain, setDomain] = useState("");
  const [url, setUrl] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  /** A failed status read: shown quietly, not as an alert (the other panels report a missing back end). */
  const loadError = tunnel.error ? toAppError(tunnel.error).message : null;
  const [lastCopied, setLastCopied] = useState<string | null>(readLastCopied);
  const [copied, setCopied] = useState(false);

  // The form starts from the saved tunnel, once: later reads never overwrite what is being typed.
  const [prefilled, setPrefilled] = useState(false);
  if (overview && !prefilled) {
    setPrefilled(true);
    const saved = overview.saved;
    if (saved && saved.provider !== "none") {
      setProvider(saved.provider);
      if (saved.provider === "bore") setServer(saved.server);
      if (saved.provider === "ngrok") setDomain(saved.domain ?? "");
      if (saved.provider === "custom") setUrl(saved.url);
    }
  }

  const status = overview?.status ?? null;
  const running = status !== null && status.state !== "off";

  const config = (): TunnelConfig => {
    switch (provider) {
      case "bore":
        return { provider, server: server.trim(), secret: secret.trim() || null };
      case "ngrok":
        return { provider, domain: domain.trim() || null, authtoken: secret.trim() || null };
      case "custom":
        return { provider, url: url.trim() };
      case "cloudflared":
        return { provider };
      case "none":
        return { provider };
    }
  };

  const act = async (f: () => Promise<TunnelStatus>) => {
    setBusy(true);
    setError(null);
    try {
      const s = await f();
      queryClient.setQueryData<TunnelOverview>(keys.tunnel, (o) => ({
        saved: o?.saved ?? null,
        saved_secret: o?.saved_secret ?? false,
        secret_storage: o?.secret_storage ?? null,
        status: s,
      }));
      setSecret("");
    } catch (e) {
      setError(toAppError(e).message);
    } finally {
      setBusy(false);
    }
  };

  const copy = async (value: string) => {
    try {
      await copyText(value);
      rememberCopied(value);
      setLastCopied(value);
      setCopied(true);
      setTimeout(() => setCopied(false), 1500);
    } catch (e) {
      setError(toAppError(e).message);
    }
  };

  /** The secret field's placeholder: whether one is saved for this provider, and where. */
  const secretPlaceholder =
    overview?.saved_secret && overview.saved?.provider === provider
      ? overview.secret_storage === "keyring"
        ? "saved in the system keyring (leave blank to keep)"
        : "saved (leave blank to keep)"
      : "none";

  const online = status?.state === "online" ? status : null;
  const stale = online !== null && lastCopied !== null && lastCopied !== online.public_url;

  return (
    <section className="card" data-testid="tunnel-panel">
      <h2>Public URL</h2>
      {!running && (
        <p>
          Public URL: <span className="dim">not configured</span>
        </p>
      )}

      <form
        className="setting tunnel-form"
        onSubmit={(e) => {
          e.preventDefault();
          void act(() => startTunnel(config()));
        }}
      >
        <SettingField label="Tunnel">
          <select
            className="input"
            aria-label="Tunnel provider"
            value={provider}
            onChange={(e) => {
              setProvider(e.currentTarget.value as TunnelProvider);
              // the bore secret and the ngrok authtoken share the field: never carry one over
              setSecret("");
            }}
          >
            {PROVIDERS.map((p) => (
              <option key={p.value} value={p.value}>
                {p.label}
              </option>
            ))}
          </select>
        </SettingField>
        {provider === "bore" && (
          <>
            <SettingField label="bore server (HOST[:PORT])">
              <input
                className="input mono"
                aria-label="bore server"
                value={server}
                onChange={(e) => setServer(e.currentTarget.value)}
              />
            </SettingField>
            <SettingField label="bore secret">
              <input
                className="input mono"
                type="password"
                aria-label="bore secret"
                autoComplete="off"
                placeholder={secretPlaceholder}
                value={secret}
                onChange={(e) => setSecret(e.currentTarget.value)}
              />
            </SettingField>
          </>
        )}
        {provider === "ngrok" && (
          <>
            <SettingField label="ngrok authtoken">
              <input
                className="input mono"
                type="password"
                aria-label="ngrok authtoken"
                autoComplete="off"
                placeholder={secretPlaceholder === "none" ? "dashboard.ngrok.com → Your Authtoken" : secretPlaceholder}
                value={secret}
                onChange={(e) => setSecret(e.currentTarget.value)}
              />
            </SettingField>
            <SettingField label="ngrok domain (optional)" title="A reserved ngrok domain keeps the public URL the same across restarts">
              <input
                className="input mono"
                aria-label="ngrok domain"
                placeholder="my-calls.ngrok.app"
                value={domain}
                onChange={(e) => setDomain(e.currentTarget.value)}
              />
            </SettingField>
          </>
        )}
        {provider === "custom" && (
          <SettingField label="Your public base URL">
            <input
              className="input mono"
              aria-label="Public base URL"
              placeholder="https://my-laptop.tailnet.ts.net"
              value={url}
              onChange={(e) => setUrl(e.currentTarget.value)}
            />
          </SettingField>
        )}
        <button type="submit" className="btn btn-primary" disabled={busy || (provider === "custom" && !url.trim())}>
          {running ? "Restart" : "Start"}
        </button>
        {running && (
          <button type="button" className="btn" disabled={busy} onClick={() => void act(stopTunnel)}>
            Stop
          </button>
        )}
      </form>

      {provider === "bore" && (
        <p className="note" data-testid="bore-warning">
          bore is plain HTTP: the webhook payloads carry phone numbers and transcripts, readable by anyone on the
          path. Prefer the Cloudflare tunnel or your own HTTPS URL for real calls.
        </p>
      )}

      {status && running && (
        <p data-testid="tunnel-state" className={status.state === "failed" ? "field-error" : undefined}>
          {stateText(status)}
        </p>
      )}
      {status?.warning && status.provider !== "bore" && <p className="note">{status.warning}</p>}

      {online && (
        <>
          <div className="url-field">
            <input
              className="input mono"
              readOnly
              aria-label="Public webhook URL"
              data-testid="public-url"
              value={online.public_url}
              onFocus={(e) => e.currentTarget.select()}
            />
            <button
              type="button"
              className="btn btn-primary"
              data-testid="copy-public-url"
              onClick={() => void copy(online.public_url)}
            >
              <Icon name={copied ? "check" : "copy"} size={14} />
              {copied ? "Copied" : "Copy"}
            </button>
          </div>
          <p data-testid="tunnel-reachable">
            {online.reachable && online.checked_at_ms !== null
              ? `reachable ✓ (checked ${clock(online.checked_at_ms)})`
              : online.check_error
                ? `not reachable yet: ${online.check_error}`
                : "checking that it is reachable…"}
          </p>
          {stale ? (
            <div className="callout callout-error" role="alert" data-testid="tunnel-stale">
              <Icon name="alert" size={18} />
              <div>
                <strong>The public URL changed. Intellixent still has the old URL.</strong>
                <p>Copy the new one and paste it in the assistant&apos;s Post-Call Actions.</p>
              </div>
            </div>
          ) : (
            lastCopied === null && (
              <p className="note">Copy it and paste it in Intellixent (assistant → Post-Call Actions).</p>
            )
          )}
        </>
      )}

      {loadError && <p className="note">Tunnel status unavailable: {loadError}</p>}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
