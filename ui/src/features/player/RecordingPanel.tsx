// The call's recording: a player once a playable URL exists, otherwise where the recording is.
// A remote URL is only fetched when the user presses play (preload="none"): opening a call never
// contacts the recording host by itself.

import { useState } from "react";
import type { Recording } from "../../api/types";
import { formatBytes } from "../../format";

function stateText(r: Recording): string {
  switch (r.state) {
    case "none":
      return "No recording";
    case "queued":
      return "Recording queued for download";
    case "downloading":
      return r.total_bytes
        ? `Downloading recording… ${formatBytes(r.bytes)} of ${formatBytes(r.total_bytes)}`
        : `Downloading recording… ${formatBytes(r.bytes)}`;
    case "ready":
      return "Recording ready";
    case "failed":
      return r.error ? `Recording failed: ${r.error}` : "Recording failed";
  }
}

function host(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

export function RecordingPanel({ recording }: { recording: Recording }) {
  const [failedUrl, setFailedUrl] = useState<string | null>(null);
  const url = recording.media_url;
  if (url && failedUrl === url) {
    return (
      <div className="recording" data-testid="recording-panel">
        <p className="dim">
          The recording could not be played from {host(url)}: you may be offline, the link may have expired, or it may
          need signing in.
        </p>
      </div>
    );
  }
  return (
    <div className="recording" data-testid="recording-panel">
      {url ? (
        <audio
          data-testid="audio-player"
          controls
          preload="none"
          src={url}
          onError={() => {
            setFailedUrl(url);
          }}
        />
      ) : (
        <p className={recording.state === "failed" ? "field-error" : "dim"}>{stateText(recording)}</p>
      )}
    </div>
  );
}
