// The call's recording: where it is (queued, downloading, in the vault, failed, not downloaded)
// in plain words, and a player once something can be played. A remote URL is only fetched when
// the user presses play (preload="none"): opening a call never contacts the recording host by
// itself; the vault copy loads its metadata at once. Every playback failure is said out loud.

import { useState } from "react";
import { recordingFetch, recordingSave, recordingSetOffset } from "../../api/client";
import { queries, useApiQuery } from "../../api/queries";
import type { Recording, RecordingProgress, Turn } from "../../api/types";
import { useNotify } from "../../app/notify";
import { CopyButton } from "../../components/CopyButton";
import { Icon } from "../../components/Icon";
import { formatBytes } from "../../format";
import { clock, hostOf, isAacRecording, offsetLabel, SPEEDS } from "./time";
import type { Player, PlayerFailure } from "./usePlayer";
import { Waveform, type WaveformMarker } from "./Waveform";
import "./player.css";

export const AAC_INSTALL = "sudo apt install gstreamer1.0-libav gstreamer1.0-plugins-bad";

interface Props {
  callId: number;
  recording: Recording;
  /** the latest "recordings-changed" payload for this call, if any */
  progress: RecordingProgress | null;
  player: Player;
  turns: Turn[];
  /** the transcript nudge in force (may be ahead of recording.offset_seconds while saving) */
  offset: number;
  onOffset: (seconds: number) => void;
  /** Turn.index of the turn playing now */
  currentTurn: number | null;
  /** the call's duration from the payload, a last resort for placing things on the track */
  callDuration: number | null;
  /** something changed on the back end: reload the call */
  onChanged: () => void;
  /** review notes to mark on the waveform */
  markers?: WaveformMarker[];
}

function PlayIcon({ playing }: { playing: boolean }) {
  return (
    <svg className="icon" width={16} height={16} viewBox="0 0 24 24" aria-hidden="true" fill="currentColor">
      {playing ? <path d="M7 5h3.5v14H7zM13.5 5H17v14h-3.5z" /> : <path d="M8 5v14l11-7z" />}
    </svg>
  );
}

function sizeText(bytes: number | null, total: number | null): string {
  if (total !== null && total > 0) return `${formatBytes(bytes ?? 0)} of ${formatBytes(total)}`;
  return formatBytes(bytes ?? 0);
}

function StateLine({ r, progress }: { r: Recording; progress: RecordingProgress | null }) {
  switch (r.state) {
    case "queued":
      return <p className="dim">Queued for download{r.attempts > 0 ? ` (attempt ${r.attempts + 1})` : ""}.</p>;
    case "downloading": {
      const live = progress && progress.state === "downloading" ? progress : null;
      const bytes = live ? live.bytes : r.bytes;
      const total = live ? live.total_bytes : r.total_bytes;
      return (
        <div className="rec-progress">
          <p className="dim">Downloading… {sizeText(bytes, total)}</p>
          <progress
            data-testid="recording-progress"
            aria-label="Download progress"
            max={total !== null && total > 0 ? total : undefined}
            value={total !== null && total > 0 ? Math.min(bytes ?? 0, total) : undefined}
          />
        </div>
      );
    }
    case "ready":
      return (
        <p className="dim small">
          Saved in Postcall
          {[r.format, r.bytes !== null ? formatBytes(r.bytes) : null, r.duration_seconds !== null ? clock(r.duration_seconds) : null]
            .filter((x): x is string => x !== null)
            .map((x) => ` · ${x}`)
            .join("")}
        </p>
      );
    case "failed":
      return (
        <p className="field-error">
          The download failed{r.error ? `: ${r.error}` : "."}
          {r.attempts > 1 ? ` (${r.attempts} attempts)` : ""}
        </p>
      );
    case "none":
      if (!r.url) return <p className="dim">No recording</p>;
      return <p className="dim">Not downloaded{r.error ? `: ${r.error}` : "."}</p>;
  }
}

function FailureMessage({ failure, r, src }: { failure: PlayerFailure; r: Recording; src: string }) {
  const local = r.local && src === r.media_url;
  if (failure.code === 4 && isAacRecording(r)) {
    return (
      <div className="callout callout-error rec-failure" role="alert" data-testid="player-error">
        <Icon name="alert" size={18} />
        <div>
          <p>
            This computer has no decoder for AAC recordings, so this one cannot be played. Install it with the command
            below, then restart Postcall.
          </p>
          <pre className="raw mono selectable">{AAC_INSTALL}</pre>
          <CopyButton text={AAC_INSTALL} label="Copy command" className="btn btn-small" />
        </div>
      </div>
    );
  }
  let text: string;
  if (!local) {
    text = `The recording could not be played from ${hostOf(src)}: you may be offline, the link may have expired, or it may need signing in.`;
  } else if (failure.code === 4) {
    text = `This computer cannot play ${r.format ?? "this"} recordings: no installed media decoder supports the format.`;
  } else if (failure.code === 3) {
    text = "The recording file could not be decoded: it may be damaged. Try downloading it again.";
  } else if (failure.code === 2) {
    text = "The recording could not be read from Postcall's media server. Reopen the call, or restart Postcall.";
  } else {
    text = `The recording could not be played${failure.message ? `: ${failure.message}` : "."}`;
  }
  return (
    <div className="callout callout-error rec-failure" role="alert" data-testid="player-error">
      <Icon name="alert" size={18} />
      <div>{text}</div>
    </div>
  );
}

function OffsetControl({ offset, onOffset }: { offset: number; onOffset: (s: number) => void }) {
  const step = (d: number) => onOffset(Math.round((offset + d) * 10) / 10);
  return (
    <div className="rec-offset" role="group" aria-label="Transcript offset">
      <span className="dim small">Transcript offset</span>
      <button type="button" className="btn btn-small" data-testid="offset-minus" onClick={() => step(-0.5)} title="Transcript earlier by 0.5 s">
        −0.5 s
      </button>
      <span className="mono rec-offset-value" data-testid="offset-value" aria-live="polite">
        {offsetLabel(offset)}
      </span>
      <button type="button" className="btn btn-small" data-testid="offset-plus" onClick={() => step(0.5)} title="Transcript later by 0.5 s">
        +0.5 s
      </button>
      <button type="button" className="btn btn-small btn-ghost" onClick={() => onOffset(0)} disabled={offset === 0}>
        Reset
      </button>
    </div>
  );
}

export function RecordingPanel({
  callId,
  recording,
  progress,
  player,
  turns,
  offset,
  onOffset,
  currentTurn,
  callDuration,
  onChanged,
  markers,
}: Props) {
  const notify = useNotify();
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  // Peaks are a nicety: without them (or when they fail) the plain track still seeks. They are
  // keyed by call, so another call's never show; a recording turning ready re-reads them.
  const peaks = useApiQuery({ ...queries.peaks(callId), enabled: recording.has_peaks });

  // Keep the source that is playing (e.g. the remote URL) until the user pauses, so a download
  // finishing mid-listen does not cut the audio; the next source resumes from the same place.
  const [src, setSrc] = useState(recording.media_url);
  if (src !== recording.media_url && !player.playing) setSrc(recording.media_url);

  const fetchNow = async () => {
    setBusy(true);
    try {
      await recordingFetch(callId);
      onChanged();
    } catch (e) {
      notify.error(e);
    } finally {
      setBusy(false);
    }
  };

  const save = async () => {
    setBusy(true);
    try {
      const path = await recordingSave(callId);
      if (path) setSaved(path);
    } catch (e) {
      notify.error(e);
    } finally {
      setBusy(false);
    }
  };

  const shownPeaks = recording.has_peaks ? (peaks.data ?? null) : null;
  const duration =
    player.duration ?? recording.duration_seconds ?? shownPeaks?.duration_seconds ?? callDuration ?? 0;
  const timedTurns = turns.some((t) => t.offset_seconds !== null);
  const local = recording.local && src === recording.media_url;

  return (
    <div className="recording" data-testid="recording-panel" data-state={recording.state}>
      <StateLine r={recording} progress={progress} />
      {recording.state === "failed" && (
        <button type="button" className="btn btn-small" data-testid="recording-retry" onClick={() => void fetchNow()} disabled={busy}>
          <Icon name="refresh" size={13} /> Retry
        </button>
      )}
      {recording.state === "none" && recording.url && (
        <button type="button" className="btn btn-small" data-testid="recording-download" onClick={() => void fetchNow()} disabled={busy}>
          Download
        </button>
      )}
      {src && (
        <div className="player" data-player-controls>
          {!local && (
            <p className="dim small">Streams from {hostOf(src)} when you press play.</p>
          )}
          <audio
            {...player.bind}
            className="visually-hidden"
            data-testid="audio-player"
            preload={local ? "metadata" : "none"}
            src={src}
          />
          <Waveform
            peaks={shownPeaks?.peaks ?? null}
            duration={duration}
            time={player.currentTime}
            playing={player.playing}
            audio={player.audioRef}
            turns={turns}
            offset={offset}
            currentTurn={currentTurn}
            onSeek={player.seek}
            onSeekTurn={(t) => player.seek(Math.max(0, (t.offset_seconds ?? 0) + offset))}
            markers={markers}
          />
          <div className="player-controls">
            <button type="button" className="btn btn-small" onClick={() => player.skip(-15)} title="Back 15 s (Shift+←)" aria-label="Back 15 seconds">
              −15
            </button>
            <button type="button" className="btn btn-small" onClick={() => player.skip(-5)} title="Back 5 s (←)" aria-label="Back 5 seconds">
              −5
            </button>
            <button
              type="button"
              className="btn btn-primary player-play"
              data-testid="player-play"
              aria-label={player.playing ? "Pause" : "Play"}
              title={player.playing ? "Pause (Space)" : "Play (Space)"}
              onClick={player.toggle}
            >
              <PlayIcon playing={player.playing} />
            </button>
            <button type="button" className="btn btn-small" onClick={() => player.skip(5)} title="Forward 5 s (→)" aria-label="Forward 5 seconds">
              +5
            </button>
            <button type="button" className="btn btn-small" onClick={() => player.skip(15)} title="Forward 15 s (Shift+→)" aria-label="Forward 15 seconds">
              +15
            </button>
            <span className="mono player-time" data-testid="player-time">
              {clock(player.currentTime)} / {clock(duration > 0 ? duration : null)}
            </span>
          </div>
          <div className="player-controls">
            <label className="player-field" title="Speed ([ slower, ] faster)">
              <span className="dim small">Speed</span>
              <select
                className="select"
                data-testid="player-speed"
                value={String(player.rate)}
                onChange={(e) => player.setRate(Number(e.target.value))}
              >
                {SPEEDS.map((s) => (
                  <option key={s} value={String(s)}>
                    {s}×
                  </option>
                ))}
              </select>
            </label>
            <label className="player-field">
              <span className="dim small">Volume</span>
              <input
                type="range"
                className="player-volume"
                data-testid="player-volume"
                min={0}
                max={1}
                step={0.05}
                value={player.volume}
                onChange={(e) => player.setVolume(Number(e.target.value))}
              />
            </label>
            {recording.state === "ready" && recording.local && (
              <button type="button" className="btn btn-small" data-testid="player-save" onClick={() => void save()} disabled={busy}>
                <Icon name="folder" size={13} /> Save as…
              </button>
            )}
          </div>
          {saved && (
            <p className="small ok-text selectable" data-testid="player-saved">
              Saved to {saved}
            </p>
          )}
          {player.failure && <FailureMessage failure={player.failure} r={recording} src={src} />}
          {timedTurns && <OffsetControl offset={offset} onOffset={onOffset} />}
        </div>
      )}
    </div>
  );
}

/** Persist a transcript nudge; resolves false (after telling the user) when it could not be saved. */
export async function saveOffset(id: number, seconds: number, notify: (e: unknown) => void): Promise<boolean> {
  try {
    await recordingSetOffset(id, seconds);
    return true;
  } catch (e) {
    notify(e);
    return false;
  }
}
