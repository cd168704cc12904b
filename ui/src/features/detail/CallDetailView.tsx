// One call: header, transcript, variables, related records, delivery history and recording.
// The player's state lives here so the recording panel (aside) and the transcript (main column)
// follow the same audio.

import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { addNote, deleteNote, editNote, toAppError } from "../../api/client";
import { keys, queries, queryClient, readSince, useApiQuery } from "../../api/queries";
import type { CallDetail, DeliveryHead, Json, Note, RecordingProgress, ReviewProgress, ReviewState } from "../../api/types";
import { useNotify } from "../../app/notify";
import { isTypingTarget } from "../../app/hooks";
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
import type { WaveformMarker } from "../player/Waveform";
import { NumberHistory } from "../review/NumberHistory";
import { NoteComposer, NoteItem, type NoteTarget } from "../review/Notes";
import { ReviewBar, useReviewKeys } from "../review/ReviewBar";
import { useReview } from "../review/ReviewContext";
import { ScorecardPanel } from "../review/ScorecardPanel";
import { useCallReview } from "../review/useCallReview";
import { trace, traceLayout } from "../search/trace";
import { Transcript, transcriptText } from "./Transcript";
import { VariableEvidence } from "./VariableEvidence";
import "./detail.css";

/** How the open call moves through the log (its filter and order). */
export interface ReviewQueue {
  progress: ReviewProgress | null;
  /** j / k: the next or previous call in the log's order */
  step: (from: number, dir: 1 | -1) => void;
  /** the next call in the log's filter that I have not reviewed */
  next: (after: number) => void;
  open: (id: number) => void;
}

interface Props {
  id: number;
  turnIndex: number | null;
  terms: string[];
  onBack: () => void;
  /** seconds to start the recording at (a postcall:// link) */
  at?: number | null;
  queue?: ReviewQueue | null;
  /** when (ms since the epoch) the opening was asked for: a read made since then is shown as is */
  asked?: number | null;
}

const NOT_READ = { dataUpdatedAt: 0, isInvalidated: true, status: "pending" };

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

function DeliveryItem({ d }: { d: DeliveryHead }) {
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

export function CallDetailView({ id, turnIndex, terms, onBack, at = null, queue = null, asked = null }: Props) {
  // The view shows nothing older than the opening: the read the opening made (readForOpening),
  // else its own. A new delivery of this call, or a new state of its recording, re-reads it
  // (api/queries.ts).
  const [readForUs] = useState(() => readSince(queryClient.getQueryState(keys.call(id)) ?? NOT_READ, asked));
  const detail = useApiQuery({ ...queries.call(id), refetchOnMount: readForUs ? false : "always" });
  const call = ((detail.isFetchedAfterMount || readForUs) && detail.data) || null;
  const error = detail.error ? toAppError(detail.error) : null;
  // Download progress for this call's recording.
  const progress = useApiQuery(queries.recordingProgress(id)).data ?? null;
  const refresh = useCallback(() => void queryClient.invalidateQueries({ queryKey: keys.call(id) }), [id]);

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
  trace(shown ? "detail-render-data" : "detail-render");

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
          at={at}
          queue={queue}
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
  at: number | null;
  queue: ReviewQueue | null;
}

function DetailBody({ call, turnIndex, terms, progress, onChanged, at, queue }: BodyProps) {
  useLayoutEffect(() => {
    trace("detail-commit");
    traceLayout("detail-layout");
  }, []);
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

  // A postcall:// link opened the call at a time.
  const soughtAt = useRef<string | null>(null);
  useEffect(() => {
    if (!hasPlayer || at === null) return;
    const key = `${call.id}@${at}`;
    if (soughtAt.current === key) return;
    soughtAt.current = key;
    seek(at);
  }, [hasPlayer, at, call.id, seek]);

  const current = hasPlayer ? currentTurnIndex(call.transcript, offset, player.currentTime) : null;
  // A turn picked from the variables' evidence ("said at 1:23").
  const [picked, setPicked] = useState<number | null>(null);
  const pickTurn = (turn: number, at: number | null) => {
    setPicked(turn);
    if (hasPlayer && at !== null) seek(at);
  };

  // Review: my state (optimistic), tags, notes pinned to turns and times.
  const ctx = useReview();
  const { review, update: updateReview } = useCallReview(call.id);
  const me = ctx.reviewer?.email ?? null;
  const patch = ctx.patches.get(call.id)?.review;
  const myState: ReviewState | null =
    patch?.my_state ?? (review ? (review.states.find((s) => s.reviewer === me)?.state ?? "unreviewed") : null);
  const others = (review?.states ?? []).filter((s) => s.reviewer !== me && s.state !== "unreviewed");
  const tags = patch?.tags ?? review?.tags ?? [];
  const [selectedTurn, setSelectedTurn] = useState<number | null>(turnIndex);
  const [composer, setComposer] = useState<NoteTarget | null>(null);

  const timeOfTurn = useCallback(
    (index: number | null) => {
      const t = index === null ? undefined : call.transcript.find((x) => x.index === index);
      return t ? turnTime(t, offset) : null;
    },
    [call.transcript, offset],
  );
  const noteTarget = (): NoteTarget => {
    const turn = current ?? selectedTurn;
    const time = hasPlayer ? player.currentTime : timeOfTurn(turn);
    return { turn, at: time === null ? null : Math.round(time * 10) / 10 };
  };
  const openComposer = () => setComposer(noteTarget());
  const saveNote = async (text: string) => {
    const target = composer ?? noteTarget();
    const note = await ctx.run(() => addNote(call.id, text, target.turn, target.at));
    if (!note) return false;
    updateReview((r) => (r.notes.some((n) => n.id === note.id) ? r : { ...r, notes: [...r.notes, note] }));
    setComposer(null);
    return true;
  };
  const changeNote = async (n: Note, text: string) => {
    const saved = await ctx.run(() => editNote(call.id, n.id, text));
    if (!saved) return false;
    updateReview((r) => ({ ...r, notes: r.notes.map((x) => (x.id === n.id ? saved : x)) }));
    return true;
  };
  const removeNote = async (n: Note) => {
    const done = await ctx.run(() => deleteNote(call.id, n.id).then(() => true));
    if (done) updateReview((r) => ({ ...r, notes: r.notes.filter((x) => x.id !== n.id) }));
  };
  const noteTime = (n: Note) => n.at_seconds ?? timeOfTurn(n.turn);
  const seekNote = (n: Note) => {
    if (n.turn !== null) setSelectedTurn(n.turn);
    const t = noteTime(n);
    if (hasPlayer && t !== null) seek(t);
  };

  const notes = useMemo(() => review?.notes ?? [], [review]);
  const turnIndexes = useMemo(() => new Set(call.transcript.map((t) => t.index)), [call.transcript]);
  const byTurn = useMemo(() => {
    const m = new Map<number, Note[]>();
    for (const n of notes) if (n.turn !== null && turnIndexes.has(n.turn)) m.set(n.turn, [...(m.get(n.turn) ?? []), n]);
    return m;
  }, [notes, turnIndexes]);
  const loose = notes.filter((n) => n.turn === null || !turnIndexes.has(n.turn));
  const markers: WaveformMarker[] = notes.flatMap((n) => {
    const t = noteTime(n);
    return t === null ? [] : [{ id: n.id, at: t, label: n.text, turn: n.turn }];
  });
  const noteItem = (n: Note, as: "li" | "div" = "li") => (
    <NoteItem
      key={n.id}
      as={as}
      note={n}
      mine={me !== null && n.author === me}
      onSeek={noteTime(n) !== null || n.turn !== null ? () => seekNote(n) : undefined}
      onEdit={(text) => changeNote(n, text)}
      onDelete={() => void removeNote(n)}
    />
  );

  const mark = (state: ReviewState) => ctx.markState([call.id], state);
  const next = queue ? () => queue.next(call.id) : null;
  useReviewKeys({
    mark: () => void mark("reviewed"),
    markAndNext: () =>
      void mark("reviewed").then((ok) => {
        if (ok) next?.();
      }),
    note: openComposer,
    step: queue ? (dir) => queue.step(call.id, dir) : undefined,
  });

  return (
    <div className="detail-scroll">
      <ReviewBar
        callId={call.id}
        state={myState}
        others={others}
        tags={tags}
        progress={queue?.progress ?? null}
        linkTime={() => (hasPlayer ? player.currentTime : null)}
        onState={(s) => void mark(s)}
        onNext={next}
        onNote={openComposer}
        onTags={(add, remove) => void ctx.changeTags([{ id: call.id, tags }], add, remove)}
      />
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
              <CopyButton text={() => transcriptText(call.transcript)} label="Copy transcript" className="btn btn-small" />
            )}
          </div>
          {composer && <NoteComposer target={composer} onSave={saveNote} onCancel={() => setComposer(null)} />}
          {call.transcript.length > 0 ? (
            <Transcript
              turns={call.transcript}
              terms={terms}
              focusIndex={picked ?? turnIndex}
              sync={hasPlayer ? { current, offset, playing: player.playing, onSeek: seek } : null}
              annotations={(index) => byTurn.get(index)?.map((n) => noteItem(n))}
              selectedIndex={selectedTurn}
              onSelectTurn={setSelectedTurn}
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
              markers={markers}
            />
          </section>
          {loose.length > 0 && (
            <section className="card">
              <h2>Notes on the call</h2>
              <div className="notes-loose">{loose.map((n) => noteItem(n, "div"))}</div>
            </section>
          )}
          <ScorecardPanel callId={call.id} review={review} onSaved={() => undefined} />
          {queue && <NumberHistory callId={call.id} phone={call.customer_phone} onOpen={queue.open} />}
          <section className="card">
            <h2>Extracted variables</h2>
            <VariablesTable vars={call.extracted_variables} label="Extracted variables" />
            <VariableEvidence evidence={call.evidence} turns={call.transcript} offset={offset} onPick={pickTurn} />
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
