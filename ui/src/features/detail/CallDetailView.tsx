// One call: header, transcript, variables, related records, delivery history and recording.
// The player's state lives here so the recording panel (aside) and the transcript (main column)
// follow the same audio.

import { useCallback, useEffect, useRef, useState } from "react";
import { getCall, onCallsChanged, onRecordingsChanged, toAppError } from "../../api/client";
import type { AppError, CallDetail, Delivery, Json, RecordingProgress } from "../../api/types";
import { useNotify } from "../../app/notify";
import { isTypingTarget, useSubscription } from "../../app/hooks";
import { CopyButton } from "../../components/CopyButton";
import { Icon } from "../../components/Icon";
import { Spinner } from "../../components/Spinner";
import { ObjectiveMark, StatusBadge } from "../../components/StatusBadge";
import { ValueView, VariablesTable } from "../../components/ValueView";
import { formatDateTime, formatDuration } from "../../format";
import { DeliveryBody } from "../deliveries/DeliveryBody";
import { RecordingPanel, saveOffset } from "../player/RecordingPanel";
import { currentTurnIndex, turnTime } from "../player/time";
import { usePlayer } from "../player/usePlayer";
import { usePlayerKeys } from "../player/usePlayerKeys";
import { Transcript, transcriptText } from "./Transcript";
import { VariableEvidence } from "./VariableEvidence";

interface Props {
  id: number;
  turnIndex: number | null;
  terms: string[];
  onBack: () => void;
}

function isEmptyJson(v: Json | null | undefined): boolean {
  if (v === null || v === undefined) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === "object") return Object.keys(v).length === 0;
  return false;
}

function JsonSection({ title, value }: { title: string; value: Json | null }) {
  if (value === null || isEmptyJson(value)) return null;
  return (
    <section className="card">
      <h2>{title}</h2>
      {typeof value === "object" && !Array.isArray(value) ? (
        <VariablesTable vars={value} label={title} />
      ) : (
        <ValueView value={value} />
      )}
    </section>
  );
}

function DeliveryItem({ d }: { d: Delivery }) {
  return (
    <li className="delivery">
      <div className="delivery-head">
        <span title={d.received_at}>{formatDateTime(Date.parse(d.received_at) || null)}</span>
        <span className={`badge badge-source`}>{d.source}</span>
        <span className={`badge ${d.outcome === "stored" ? "badge-green" : "badge-red"}`}>{d.outcome}</span>
        <span className="dim mono small">#{d.id}</span>
      </div>
      {d.error && <p className="field-error">{d.error}</p>}
      <DeliveryBody delivery={d} />
    </li>
  );
}

export function CallDetailView({ id, turnIndex, terms, onBack }: Props) {
  const [call, setCall] = useState<CallDetail | null>(null);
  const [error, setError] = useState<AppError | null>(null);
  const [reload, setReload] = useState(0);
  const [progress, setProgress] = useState<RecordingProgress | null>(null);

  useEffect(() => {
    let stale = false;
    getCall(id).then(
      (c) => {
        if (stale) return;
        setCall(c);
        setError(null);
      },
      (e: unknown) => {
        if (!stale) setError(toAppError(e));
      },
    );
    return () => {
      stale = true;
    };
  }, [id, reload]);

  // A new delivery of this call (or its recording finishing) shows up without a reload.
  useSubscription(onCallsChanged, (p) => {
    if (p.ids.includes(id)) setReload((n) => n + 1);
  });

  // Download progress for this call's recording; a new state reloads the call so it all refreshes.
  useSubscription(onRecordingsChanged, (p) => {
    if (p.id !== id) return;
    setProgress(p);
    if (call?.id === id && p.state !== call.recording.state) setReload((n) => n + 1);
  });
  const refresh = useCallback(() => setReload((n) => n + 1), []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== "Escape" || e.defaultPrevented) return;
      if (isTypingTarget(e.target)) {
        (e.target as HTMLElement).blur();
        return;
      }
      e.preventDefault();
      onBack();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onBack]);

  const shown = call && call.id === id ? call : null;

  return (
    <div className="detail" data-testid="call-detail" data-call-id={id}>
      <div className="detail-bar">
        <button type="button" className="btn btn-ghost" onClick={onBack} title="Back (Esc)">
          <Icon name="back" size={15} /> Back
        </button>
        <span className="detail-id mono dim">Call #{id}</span>
        {shown && shown.sources.map((s) => (
          <span key={s} className="badge badge-source">
            {s}
          </span>
        ))}
      </div>
      {error && !shown && (
        <div className="callout callout-error" role="alert">
          <Icon name="alert" size={18} />
          <div>{error.message}</div>
        </div>
      )}
      {!shown && !error && (
        <div className="placeholder">
          <Spinner />
        </div>
      )}
      {shown && (
        <DetailBody
          key={shown.id}
          call={shown}
          turnIndex={turnIndex}
          terms={terms}
          progress={progress?.id === shown.id ? progress : null}
          onChanged={refresh}
        />
      )}
    </div>
  );
}

interface BodyProps {
  call: CallDetail;
  turnIndex: number | null;
  terms: string[];
  progress: RecordingProgress | null;
  onChanged: () => void;
}

function DetailBody({ call, turnIndex, terms, progress, onChanged }: BodyProps) {
  const notify = useNotify();
  const player = usePlayer();
  const { seek } = player;
  const rec = call.recording;
  const hasPlayer = rec.media_url !== null;
  usePlayerKeys(player, hasPlayer);

  // The nudge as the user set it, ahead of the saved value while it is being saved.
  const [offsetEdit, setOffsetEdit] = useState<number | null>(null);
  const offset = offsetEdit ?? rec.offset_seconds;
  const onOffset = (seconds: number) => {
    setOffsetEdit(seconds);
    void saveOffset(call.id, seconds, notify.error).then((ok) => {
      if (!ok) setOffsetEdit(null);
    });
  };

  // A search hit opened the call at a turn: start the audio there once it can seek (no autoplay).
  const sought = useRef<string | null>(null);
  useEffect(() => {
    if (!hasPlayer || turnIndex === null) return;
    const key = `${call.id}:${turnIndex}`;
    if (sought.current === key) return;
    const turn = call.transcript.find((t) => t.index === turnIndex);
    const at = turn ? turnTime(turn, rec.offset_seconds) : null;
    if (at === null) return;
    sought.current = key;
    seek(at);
  }, [hasPlayer, turnIndex, call.id, call.transcript, rec.offset_seconds, seek]);

  const current = hasPlayer ? currentTurnIndex(call.transcript, offset, player.currentTime) : null;
  // A turn picked from the variables' evidence ("said at 1:23").
  const [picked, setPicked] = useState<number | null>(null);
  const pickTurn = (turn: number, at: number | null) => {
    setPicked(turn);
    if (hasPlayer && at !== null) seek(at);
  };

  return (
    <div className="detail-scroll">
      <header className="detail-head">
        <div className="detail-title">
          <h1 className="mono">{call.customer_phone ?? "Unknown caller"}</h1>
          <StatusBadge status={call.status} />
        </div>
        <dl className="facts">
          <div>
            <dt>Assistant</dt>
            <dd className="mono">{call.assistant_phone ?? "–"}</dd>
          </div>
          <div>
            <dt>Started</dt>
            <dd>{formatDateTime(call.created_at_ms)}</dd>
          </div>
          <div>
            <dt>Ended</dt>
            <dd>{formatDateTime(call.finished_at_ms)}</dd>
          </div>
          <div>
            <dt>Duration</dt>
            <dd className="mono">{formatDuration(call.duration)}</dd>
          </div>
          <div>
            <dt>Objective</dt>
            <dd>
              <ObjectiveMark value={call.objective_achieved} />{" "}
              {call.objective_achieved === null ? "unknown" : call.objective_achieved ? "achieved" : "not achieved"}
            </dd>
          </div>
        </dl>
        {call.summary && <p className="summary">{call.summary}</p>}
      </header>

      <div className="detail-grid">
        <section className="card card-transcript">
          <div className="card-head">
            <h2>Transcript</h2>
            <span className="dim small">{call.transcript.length} turns</span>
            {call.transcript.length > 0 && (
              <CopyButton text={transcriptText(call.transcript)} label="Copy transcript" className="btn btn-small" />
            )}
          </div>
          {call.transcript.length > 0 ? (
            <Transcript
              turns={call.transcript}
              terms={terms}
              focusIndex={picked ?? turnIndex}
              sync={hasPlayer ? { current, offset, playing: player.playing, onSeek: seek } : null}
            />
          ) : call.formatted_transcript ? (
            <pre className="raw">{call.formatted_transcript}</pre>
          ) : (
            <p className="dim">No transcript in this call.</p>
          )}
        </section>

        <aside className="detail-side">
          <section className="card">
            <h2>Recording</h2>
            <RecordingPanel
              callId={call.id}
              recording={rec}
              progress={progress}
              player={player}
              turns={call.transcript}
              offset={offset}
              onOffset={onOffset}
              currentTurn={current}
              callDuration={call.duration}
              onChanged={onChanged}
            />
          </section>
          <section className="card">
            <h2>Extracted variables</h2>
            <VariablesTable vars={call.extracted_variables} label="Extracted variables" />
            <VariableEvidence evidence={call.evidence ?? {}} turns={call.transcript} offset={offset} onPick={pickTurn} />
          </section>
          <section className="card">
            <h2>Input variables</h2>
            <VariablesTable vars={call.input_variables} label="Input variables" />
          </section>
          <JsonSection title="Lead" value={call.lead} />
          <JsonSection title="Campaign" value={call.campaign} />
          <JsonSection title="Transfers" value={call.transfers} />
          <section className="card">
            <h2>Deliveries</h2>
            {call.deliveries.length === 0 ? (
              <p className="dim small">None</p>
            ) : (
              <ul className="deliveries">
                {call.deliveries.map((d) => (
                  <DeliveryItem key={d.id} d={d} />
                ))}
              </ul>
            )}
          </section>
        </aside>
      </div>
    </div>
  );
}
