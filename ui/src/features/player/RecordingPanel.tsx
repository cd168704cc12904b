// The call's recording: a player once a playable URL exists, otherwise where the recording is.

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

export function RecordingPanel({ recording }: { recording: Recording }) {
  return (
    <div className="recording" data-testid="recording-panel">
      {recording.media_url ? (
        <audio data-testid="audio-player" controls preload="metadata" src={recording.media_url} />
      ) : (
        <p className={recording.state === "failed" ? "field-error" : "dim"}>{stateText(recording)}</p>
      )}
    </div>
  );
}
